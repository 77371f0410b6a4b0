/**
 * A section of `npm run bench`. The interpreter suite is the first; later
 * parts (monitor overhead, hosted vs native, migration) add theirs to
 * sections/index.ts and run in the same command, saved in the same result
 * file under their own name.
 */
import type { ChalkInstance } from 'chalk';
import type { BenchOptions } from './options.js';

export interface SectionContext {
  readonly options: BenchOptions;
  readonly paint: ChalkInstance;
  /** Say what is being measured now (a status line on a terminal; nothing otherwise). */
  progress(message: string): void;
}

export interface SectionRun {
  /** Plain JSON-ready data: saved, printed by --json, handed back to compare() in a later run. */
  readonly data: unknown;
  /** The section's report for the terminal. */
  readonly text: string;
  /** Something gave a wrong answer or crashed (the command then exits 1). */
  readonly failed: boolean;
}

export interface Comparison {
  /** Lines for the terminal. */
  readonly lines: readonly string[];
  /** The same, as data for --json. */
  readonly changes: readonly unknown[];
}

export interface BenchSection {
  /** Its key in the saved result. */
  readonly name: string;
  /** A heading for the terminal. */
  readonly title: string;
  run(ctx: SectionContext): Promise<SectionRun>;
  /**
   * This run's data against an earlier run's (as read back from disk, so
   * unchecked); undefined when the two cannot be compared (other sizes or
   * tier, or data this version does not understand).
   */
  compare(previous: unknown, current: unknown, paint: ChalkInstance): Comparison | undefined;
}
