/**
 * What a run of the interpreter suite produced, as plain JSON-ready data:
 * saved under bench/results/, printed by --json, rendered by report.ts and
 * compared with an earlier run by --compare.
 */
import type { PeerId } from './runners/runner.js';
import type { BenchName, Params, SizeName } from './suite.js';
import type { RunPlan } from './timing.js';

export type { Tier } from '../vm/machine.js';
import type { Tier } from '../vm/machine.js';

export interface PeerStatus {
  readonly id: PeerId;
  readonly label: string;
  readonly available: boolean;
  /** e.g. "Lua 5.4.6", "fengari 0.1.5". */
  readonly version?: string;
  /** Why it is not available. */
  readonly reason?: string;
}

export type TypevisorCell =
  | {
      readonly kind: 'ok';
      /** Median of the timed runs. */
      readonly seconds: number;
      readonly times: readonly number[];
      /** Guest instructions retired in one run (the same in every run). */
      readonly instructions: number;
      /** Millions of guest instructions per second, at the median time. */
      readonly mips: number;
      /** Timer interrupts taken in one run. */
      readonly ticks: number;
    }
  | { readonly kind: 'failed'; readonly reason: string };

export type PeerCell =
  | {
      readonly kind: 'ok';
      readonly seconds: number;
      readonly times: readonly number[];
      /** typevisor's median time ÷ this peer's: 2 means typevisor took twice as long. */
      readonly ratio: number | null;
    }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface BenchRow {
  readonly name: BenchName;
  readonly params: Params;
  readonly expected: string;
  readonly typevisor: TypevisorCell;
  readonly peers: Readonly<Partial<Record<PeerId, PeerCell>>>;
}

export interface InterpreterOutcome {
  readonly tier: Tier;
  readonly size: SizeName;
  /** Instructions between timer ticks. */
  readonly tick: number;
  readonly plan: Omit<RunPlan, 'budgetSeconds'> & { readonly budgetSeconds: number | null };
  readonly peers: readonly PeerStatus[];
  readonly rows: readonly BenchRow[];
  /** Geometric mean of the ratios, per peer, over the benchmarks it ran (null: none). */
  readonly geomean: Readonly<Partial<Record<PeerId, number | null>>>;
}
