/**
 * The bench's monitors section at the tests' sizes: the guest kernel bare and
 * under the native monitor prints the same and retires the same instructions,
 * and each row carries both ratios (wall time and CPU time). No time is asserted.
 */
import { Chalk } from 'chalk';
import { expect, test } from 'vitest';
import { BARE, NATIVE, runMonitors } from '../../bench/sections/monitors.js';

test('monitors section, small: both workloads run on bare and native with the same instruction count, and a speed on wall and on CPU time', async () => {
  const options = { only: [], peers: [], runs: 1, quick: true, size: 'small', tiers: ['jit'], budget: 1 } as const;
  const outcome = await runMonitors({ options, paint: new Chalk({ level: 0 }), progress: () => {} }, [BARE, NATIVE]);
  expect(outcome.rows.map((r) => r.workload)).toEqual(['cpu', 'syscalls']);
  for (const r of outcome.rows) {
    expect(r.failure).toBeUndefined();
    const [bare, native] = r.cells;
    expect(native!.instructions).toBe(bare!.instructions);
    for (const c of r.cells) {
      expect(c.speed).toBeGreaterThan(0);
      expect(Number.isFinite(c.cpuSpeed)).toBe(true);
      expect(c.cpuSpeed).toBeGreaterThan(0);
    }
  }
}, 60_000);
