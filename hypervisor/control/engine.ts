/**
 * The migration engine as the control plane sees it: the one file that binds
 * to hypervisor/migration's API (its README, "The API"). Everything else in
 * this folder imports the engine's names from here, so a change there is one
 * edit here.
 */

export const STRATEGY_NAMES = ['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const STALL_POLICIES = ['cancel', 'stop-and-copy', 'post-copy'] as const;
export type StallPolicy = (typeof STALL_POLICIES)[number];

// Until hypervisor/migration/index.ts lands: the shapes its README promises.
export type MigrationPhase = 'setup' | 'pre-copy' | 'switchover' | 'post-copy' | 'interrupted' | 'completed' | 'aborted' | 'lost';
export type MigrationReport = Readonly<Record<string, unknown>>;
export type MigrationOutcome =
  | { readonly kind: 'completed'; readonly report: MigrationReport }
  | { readonly kind: 'aborted'; readonly reason: string; readonly phase: MigrationPhase; readonly report: MigrationReport }
  | { readonly kind: 'interrupted'; readonly reason: string; readonly report: MigrationReport }
  | { readonly kind: 'lost'; readonly reason: string; readonly report: MigrationReport };
export type MigrationEvent =
  | { readonly kind: 'phase'; readonly id: string; readonly phase: MigrationPhase; readonly at: number }
  | { readonly kind: 'round'; readonly id: string; readonly round: number; readonly pages: number; readonly dirty: number; readonly at: number }
  | { readonly kind: 'progress'; readonly id: string; readonly bytes: number; readonly pagesSent: number; readonly pagesTotal: number; readonly at: number }
  | { readonly kind: 'fault'; readonly id: string; readonly page: number; readonly at: number }
  | { readonly kind: 'done'; readonly id: string; readonly outcome: MigrationOutcome['kind']; readonly at: number };
