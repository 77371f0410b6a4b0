/** The report's bandwidth: bytes over the time they took, also when the migration stopped mid-round. */
import { expect, test } from 'vitest';
import type { MigrationClock } from '../../../hypervisor/migration/clock.js';
import { SourceRecorder } from '../../../hypervisor/migration/metrics.js';
import { DEFAULT_MIGRATION_OPTIONS } from '../../../hypervisor/migration/options.js';

function recorder(): { rec: SourceRecorder; advance: (ms: number) => void } {
  let t = 1000;
  const clock = { kind: 'virtual', now: () => t, sleep: async () => {} } as unknown as MigrationClock;
  const rec = new SourceRecorder(clock, 'm1', 'web', 'pre-copy', DEFAULT_MIGRATION_OPTIONS, 4096 * 1000, 1000);
  rec.startAt = t;
  return { rec, advance: (ms) => void (t += ms) };
}

test('cancelled in the first round: 500 KB over one second reads 500 KB/s, not a rate over no time', () => {
  const { rec, advance } = recorder();
  advance(10); // setup
  for (let i = 0; i < 122; i++) {
    rec.page(i, false);
    advance(1000 / 122);
  }
  const report = rec.build('aborted', 'cancelled: Ctrl-C', 'tcp', 500_000, 10, 0.5);
  expect(report.bandwidth).toBeGreaterThan(450_000);
  expect(report.bandwidth).toBeLessThan(550_000);
});
