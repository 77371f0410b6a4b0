/**
 * The raw loopback TCP measurement a real migration is compared with: it
 * pushes what it was asked to (or stops at its time bound), reports a
 * positive rate, and leaves nothing open. No timing thresholds.
 */
import { describe, expect, test } from 'vitest';
import { comparisonNotes, comparisonRows, type Comparison } from '../../../hypervisor/lab/compare.js';
import { measureLoopback } from '../../../hypervisor/migration/loopback.js';
import type { MigrationReport } from '../../../hypervisor/migration/migration-report.js';

const MiB = 1024 * 1024;

describe('raw loopback TCP', () => {
  test('pushes the bytes asked for and reports a positive rate', async () => {
    const r = await measureLoopback({ bytes: 8 * MiB, chunk: MiB });
    expect(r.bytes).toBe(8 * MiB);
    expect(r.ms).toBeGreaterThan(0);
    expect(r.rate).toBeGreaterThan(0);
    expect(r.rate).toBeCloseTo((r.bytes / r.ms) * 1000);
  });

  test('a size that is not a whole number of writes, in small writes', async () => {
    const r = await measureLoopback({ bytes: 3 * MiB + 123, chunk: 64 * 1024 });
    expect(r.bytes).toBe(3 * MiB + 123);
    expect(r.rate).toBeGreaterThan(0);
  });

  test('bounded in time: stops early with what arrived', async () => {
    const r = await measureLoopback({ bytes: 64 * 1024 * MiB, timeoutMs: 100 });
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.bytes).toBeLessThan(64 * 1024 * MiB);
    expect(r.rate).toBeGreaterThan(0);
  });
});

describe('the comparison table over real TCP', () => {
  /** A completed run that moved 100 MB in 500 ms, with every field the table reads. */
  const report = {
    memBytes: 100e6, totalMs: 500, clock: 'wall', rounds: [], postcopy: null, outcome: 'completed', strategy: 'stop-and-copy', finishedAs: 'stop-and-copy',
    downtimeMs: 1, downtime: null, bytesSent: 0, pagesSent: 0, zeroPages: 0, pagesResent: 0, converged: null, stopRule: null, stopReason: null,
    bandwidth: 0, dirtyRate: 0, progress: { beforeMips: null, duringMips: null, afterMips: null }, options: { onStall: 'cancel' },
  } as unknown as MigrationReport;
  const c: Comparison = {
    mode: 'real', workload: 'fill', params: {}, memSize: 100e6, link: { bandwidth: 1e9, latencyMs: 0.1 }, at: 0,
    runs: [{ strategy: 'stop-and-copy', report, verified: null, verdict: '' }],
    loopback: { bytes: 1, ms: 1, rate: 400e6 },
  };

  test('each effective rate, and under it as a multiple of raw loopback', () => {
    const table = comparisonRows(c);
    const i = table.findIndex((r) => r[0] === 'effective rate');
    expect(table[i]).toEqual(['effective rate', '200.0 MB/s']);
    expect(table[i + 1]).toEqual(['  ÷ raw loopback', '0.50×']);
    expect(comparisonNotes(c).join('\n')).toMatch(/raw loopback TCP on this machine, measured in the same run: 400 MB\/s/);
  });
});
