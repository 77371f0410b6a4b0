/**
 * What a migration is asked to do: the strategy and its knobs, with the
 * defaults the CLI shows.
 */

export const STRATEGY_NAMES = ['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What pre-copy does when its rounds do not converge. */
export const STALL_POLICIES = ['cancel', 'stop-and-copy', 'post-copy'] as const;
export type StallPolicy = (typeof STALL_POLICIES)[number];

export interface MigrationOptions {
  /** Cap on what the source sends, in bytes per second of the migration's clock; 0: no cap. */
  readonly bandwidth: number;
  /** Pre-copy stops when the pages left would take at most this long to send at the measured bandwidth. */
  readonly downtimeLimitMs: number;
  /** Pre-copy rounds at most (round 0, the full copy, included). */
  readonly maxRounds: number;
  /** Pre-copy did not converge: cancel, stop and copy the rest, or switch to post-copy. */
  readonly onStall: StallPolicy;
  /** Hybrid: pre-copy rounds (round 0 included) before switching to post-copy. */
  readonly hybridRounds: number;
  /** Bytes sent before pre-copy gives up, as a multiple of guest memory. */
  readonly byteCapFactor: number;
  /** Pages per PAGES frame while copying in bulk. */
  readonly batchPages: number;
  /**
   * Watch the guest this long before starting and after completing, to
   * measure its progress rate before and after (0: do not).
   */
  readonly observeMs: number;
}

export const DEFAULT_MIGRATION_OPTIONS: MigrationOptions = {
  bandwidth: 0,
  downtimeLimitMs: 30,
  maxRounds: 30,
  onStall: 'stop-and-copy',
  hybridRounds: 2,
  byteCapFactor: 3,
  batchPages: 64,
  observeMs: 0,
};

export function withDefaults(options: Partial<MigrationOptions> = {}): MigrationOptions {
  const o = { ...DEFAULT_MIGRATION_OPTIONS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  return o;
}
