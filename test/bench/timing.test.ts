/** The measurement policy, driven by fake trials that report set times (nothing is really timed). */
import { describe, expect, test } from 'vitest';
import { BenchError } from '../../bench/bench-error.js';
import { timeCall, timeRuns, type RunPlan, type Trial } from '../../bench/timing.js';

/** A trial reporting `seconds` each time, counting its calls. */
function fake(seconds: number | ((call: number) => number), output = 'ok'): { trial: () => Trial; calls: () => number } {
  let n = 0;
  return {
    trial: () => {
      n++;
      return { output, seconds: typeof seconds === 'number' ? seconds : seconds(n) };
    },
    calls: () => n,
  };
}

const plan = (p: Partial<RunPlan>): RunPlan => ({ runs: 5, warmupSeconds: 0, budgetSeconds: Number.POSITIVE_INFINITY, minRuns: 3, ...p });

describe('timeRuns', () => {
  test('without warm-up or budget: exactly the runs asked for, in order', () => {
    const f = fake((n) => n / 10);
    const t = timeRuns(f.trial, plan({}));
    expect(t.times).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(t.output).toBe('ok');
  });

  test('warms up until the warm-up time has passed, and does not count those runs', () => {
    const f = fake(0.1);
    const t = timeRuns(f.trial, plan({ warmupSeconds: 0.35 }));
    expect(f.calls()).toBe(4 + 5);
    expect(t.times).toHaveLength(5);
  });

  test('a slow peer stops once past its budget, after the minimum runs', () => {
    expect(timeRuns(fake(4).trial, plan({ budgetSeconds: 5 })).times).toHaveLength(3);
    expect(timeRuns(fake(4).trial, plan({ budgetSeconds: 5, minRuns: 1 })).times).toHaveLength(2); // 8 s > 5 s after the second
    expect(timeRuns(fake(1).trial, plan({ budgetSeconds: 5, minRuns: 1 })).times).toHaveLength(5); // never past it
  });

  test('one timed run is enough when the warm-up alone took longer than the budget', () => {
    const f = fake(30);
    const t = timeRuns(f.trial, plan({ warmupSeconds: 0.5, budgetSeconds: 10 }));
    expect(f.calls()).toBe(2);
    expect(t.times).toEqual([30]);
  });

  test('runs that print different results are an error', () => {
    let n = 0;
    expect(() => timeRuns(() => ({ output: String(n++), seconds: 0 }), plan({}))).toThrow(BenchError);
  });
});

test('timeCall returns the output and a non-negative duration in seconds', () => {
  const t = timeCall(() => 'x');
  expect(t.output).toBe('x');
  expect(t.seconds).toBeGreaterThanOrEqual(0);
  expect(t.seconds).toBeLessThan(60);
});
