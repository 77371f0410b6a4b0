/** The report's "guest MIPS during" exists only when the guest ran during the migration. */
import { expect, test } from 'vitest';
import { simulateMigration } from '../../../hypervisor/lab/simulate.js';
import { FAST, image, MiB } from './helpers.js';

const WORK = { WS_PAGES: 16, WRITES: 400_000, SPIN: 20 };

test('stop-and-copy: no "during" (the guest was paused throughout); pre-copy: the guest ran, so there is one', async () => {
  const stop = (await simulateMigration({ image: image('writes', WORK), memSize: 4 * MiB, link: FAST, strategy: 'stop-and-copy', at: 100_000, runToEnd: false })).outgoing.report;
  expect(stop.outcome).toBe('completed');
  expect(stop.progress.duringMips).toBeNull();
  const pre = (await simulateMigration({ image: image('writes', WORK), memSize: 4 * MiB, link: FAST, strategy: 'pre-copy', at: 100_000, runToEnd: false })).outgoing.report;
  expect(pre.outcome).toBe('completed');
  expect(pre.progress.duringMips).toBeGreaterThan(0);
});

test('a guest that finishes during the observation after the migration has no "after" rate, not 0.0', async () => {
  // A short run: it powers off on the destination within the observation window.
  const short = { WS_PAGES: 4, WRITES: 30_000, SPIN: 1 };
  const r = await simulateMigration({ image: image('writes', short), memSize: 4 * MiB, link: FAST, strategy: 'pre-copy', at: 20_000, options: { observeMs: 2000 } });
  const report = r.outgoing.report;
  expect(report.outcome).toBe('completed');
  expect(r.side).toBe('destination');
  expect(report.progress.afterMips).toBeNull();
});
