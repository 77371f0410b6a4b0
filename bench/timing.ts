/**
 * How every in-process measurement is taken, and how long to keep at it.
 *
 * Warm-up first (JIT-compiled code — V8, and the JS inside fengari and
 * typevisor — is only fast once optimised): run until `warmupSeconds` have
 * passed, at least once. Then up to `runs` timed runs. A slow peer may stop
 * early: once its timed runs add up to more than `budgetSeconds` and
 * `minRuns` are done (just one if the warm-up alone took longer than the
 * budget: a peer that needs half a minute per run tells us enough in one).
 * typevisor itself is given an infinite budget: it always gets `runs`.
 *
 * The native peers' scripts (bench/peers/lua/harness.lua,
 * bench/peers/python/harness.py) follow the same policy with one warm-up run.
 */
import { BenchError } from './bench-error.js';

/** Warm-up before timing, in seconds of running (at least one run). */
export const WARMUP_SECONDS = 0.5;

export interface RunPlan {
  /** Timed runs wanted. */
  readonly runs: number;
  /** Warm up for at least this long (at least one run); 0: no warm-up. */
  readonly warmupSeconds: number;
  /** Stop early once the timed runs add up to more than this; Infinity: never. */
  readonly budgetSeconds: number;
  /** Timed runs to do whatever the budget says. */
  readonly minRuns: number;
}

/** One run: what it printed (its checksum line) and how long the work itself took. */
export interface Trial {
  readonly output: string;
  readonly seconds: number;
}

export interface Timed {
  readonly output: string;
  /** Each timed run, in seconds, in the order they ran. */
  readonly times: readonly number[];
}

/** Time a synchronous call with the monotonic clock. */
export function timeCall(work: () => string): Trial {
  const t0 = performance.now();
  const output = work();
  return { output, seconds: (performance.now() - t0) / 1000 };
}

/** Warm up, then time runs, by the plan. Throws BenchError if two runs print different things. */
export function timeRuns(trial: () => Trial, plan: RunPlan): Timed {
  let output: string | undefined;
  const check = (t: Trial): void => {
    if (output !== undefined && t.output !== output) throw new BenchError(`two runs printed different results: ${JSON.stringify(output)} and ${JSON.stringify(t.output)}`);
    output = t.output;
  };
  let minRuns = plan.minRuns;
  if (plan.warmupSeconds > 0) {
    let warm = 0;
    let first = true;
    do {
      const t = trial();
      check(t);
      if (first && t.seconds > plan.budgetSeconds) minRuns = 1;
      first = false;
      warm += t.seconds;
    } while (warm < plan.warmupSeconds);
  }
  const times: number[] = [];
  let total = 0;
  for (let r = 1; r <= plan.runs; r++) {
    const t = trial();
    check(t);
    times.push(t.seconds);
    total += t.seconds;
    if (r >= minRuns && total > plan.budgetSeconds) break;
  }
  return { output: output ?? '', times };
}
