/**
 * What a migration tells the outside while it runs (phases, rounds, progress,
 * remote faults) and how it ends. Plain data: the control plane streams these
 * as --json lines and draws its progress bar from them.
 */
import type { MigrationReport } from './migration-report.js';

export type MigrationPhase = 'setup' | 'pre-copy' | 'switchover' | 'post-copy' | 'interrupted' | 'completed' | 'aborted' | 'lost';

export type MigrationEvent =
  | { readonly kind: 'phase'; readonly id: string; readonly phase: MigrationPhase; readonly at: number; readonly detail?: string }
  | { readonly kind: 'round'; readonly id: string; readonly round: number; readonly pages: number; readonly dirty: number; readonly at: number }
  /**
   * pagesSent counts page copies (a page resent in a later round counts
   * again), so it can pass pagesTotal; roundSent of roundPages is the current
   * round's own progress (post-copy: round 0xffff, of the pages left at the switchover).
   */
  | { readonly kind: 'progress'; readonly id: string; readonly bytes: number; readonly pagesSent: number; readonly pagesTotal: number; readonly round: number; readonly roundSent: number; readonly roundPages: number; readonly at: number }
  | { readonly kind: 'fault'; readonly id: string; readonly page: number; readonly at: number }
  | { readonly kind: 'done'; readonly id: string; readonly outcome: MigrationOutcome['kind']; readonly at: number };

/**
 * What stopped a migration before the commit point, as the source saw it:
 * - cancelled: cancel() (Ctrl-C);
 * - refused: the destination gave up and said why (ERROR or CANCEL frame);
 * - quiet: the destination sent nothing for the idle timeout while the source waited;
 * - link: the connection closed or reset (a dead destination looks the same: only asking it tells);
 * - bad-frame: a frame from the destination could not be read;
 * - source: this side gave up (pre-copy did not converge under cancel, the commit was refused, a local failure).
 */
export type AbortCause = 'cancelled' | 'refused' | 'quiet' | 'link' | 'bad-frame' | 'source';

export type MigrationOutcome =
  /** The guest runs on the destination only, with every page there. */
  | { readonly kind: 'completed'; readonly report: MigrationReport }
  /**
   * Before the switchover: the guest runs on the source, unchanged; the
   * destination's copy, if any, never runs (it is discarded there). `cause`
   * (the source's side) says what stopped it, so a caller can say what the
   * destination did: see AbortCause.
   */
  | { readonly kind: 'aborted'; readonly reason: string; readonly phase: MigrationPhase; readonly report: MigrationReport; readonly cause?: AbortCause }
  /** After the switchover the link broke: this side's copy is paused; recover() goes on, or learns it completed. */
  | { readonly kind: 'interrupted'; readonly reason: string; readonly report: MigrationReport }
  /** Cannot be completed (a side is gone): the guest is lost, and said so. */
  | { readonly kind: 'lost'; readonly reason: string; readonly report: MigrationReport };
