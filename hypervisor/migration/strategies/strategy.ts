/**
 * A strategy decides how memory crosses before the switchover, over the one
 * protocol: which pages, in which rounds, while the guest runs or not, and
 * what is left on the source for post-copy. The session (outgoing.ts) does
 * the rest the same way for all of them: setup, the switchover handshake,
 * the post-copy phase, failures, the report.
 */
import type { MigrationPhase } from '../events.js';
import type { SourceRecorder } from '../metrics.js';
import type { MigrationOptions, StrategyName } from '../options.js';
import type { RoundReport } from '../migration-report.js';
import type { MigrationSource } from '../source.js';
import type { SourceDisk } from '../disk-region.js';

/** Sector runs [first, count]. */
export type Runs = ReadonlyArray<readonly [number, number]>;

/** How the switchover goes: every page is at the destination, or some stay for post-copy. */
export type Switchover =
  | { readonly kind: 'complete' }
  /** 1 for each page still (only) on the source. */
  | { readonly kind: 'post-copy'; readonly onSource: Uint8Array; readonly diskOnSource?: Uint8Array | undefined };

/** A round on the wire, before the dirty log is read. */
export type SentRound = Omit<RoundReport, 'dirtied'>;

export interface SourceContext {
  readonly source: MigrationSource;
  readonly options: MigrationOptions;
  readonly metrics: SourceRecorder;
  /** The guest's disk, migrated beside its memory (undefined: memory only). */
  readonly disk: SourceDisk | undefined;
  /** Bytes sent so far on this migration (every frame). */
  readonly bytesSent: number;
  phase(phase: MigrationPhase): void;
  /**
   * Send these pages, then these disk sectors, as one round — each read as
   * it goes, zero pages and zero runs as a flag — then ROUND_END.
   */
  sendRound(pages: readonly number[], round: number, sectors?: Runs): Promise<SentRound>;
  /** Record a sent round with the number of pages dirtied meanwhile (and of disk sectors written). */
  endRound(sent: SentRound, dirtied: number, sectorsWritten?: number): void;
  /** Stop the guest: its last instruction on the source. */
  pause(): Promise<void>;
}

export interface MigrationStrategy {
  readonly name: StrategyName;
  /** Copy memory; returns with the guest paused, saying what stays on the source. */
  copy(ctx: SourceContext): Promise<Switchover>;
}

/** Every page number of the guest, in order. */
export function allPages(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The pages in this list, as a mark per page. */
export function marks(pages: readonly number[], n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (const p of pages) m[p] = 1;
  return m;
}
