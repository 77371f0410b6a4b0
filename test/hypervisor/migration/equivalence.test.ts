/**
 * The core property: a workload migrated in the middle prints the same
 * console output and ends with the same memory as the same workload never
 * migrated — under every strategy, at several points of its run.
 */
import { describe, expect, test } from 'vitest';
import { STRATEGY_NAMES } from '../../../hypervisor/migration/options.js';
import { simulateMigration } from '../../../hypervisor/lab/simulate.js';
import { baseline, FAST, image, MiB } from './helpers.js';

const WORKLOADS = [
  // page tables on, every page of the working set counting up: a stale page stops it with status 2
  { name: 'incrementer', params: { WS_PAGES: 256, PASSES: 150, SPIN: 8 }, mem: 4 * MiB, points: [20_000, 300_000, 800_000] },
  // random stores over 300 pages, fast
  { name: 'writes', params: { WS_PAGES: 300, WRITES: 40_000, SPIN: 2, RANDOM: 1, PRINT_EVERY: 5000 }, mem: 4 * MiB, points: [30_000, 300_000, 1_500_000] },
  // asleep in wfi most of the time: timer interrupts across the migration
  { name: 'idle', params: { TICK: 5000, TICKS: 200, PRINT_EVERY: 25 }, mem: 4 * MiB, points: [60_000, 500_000] },
] as const;

describe('a migrated guest computes exactly what an unmigrated one does', () => {
  for (const w of WORKLOADS) {
    for (const strategy of STRATEGY_NAMES) {
      test(`${w.name} under ${strategy}, migrated at ${w.points.join(', ')} instructions`, async () => {
        const img = image(w.name, w.params);
        const ref = await baseline(img, w.mem);
        expect(ref.outcome).toBe('poweroff');
        for (const at of w.points) {
          const r = await simulateMigration({ image: img, memSize: w.mem, link: FAST, strategy, at });
          expect(r.outgoing.kind, `at ${at}`).toBe('completed');
          expect(r.incoming.kind).toBe('completed');
          expect(r.side).toBe('destination');
          expect(r.outcome).toBe('poweroff');
          expect(r.output).toBe(ref.output);
          expect(r.memoryHash).toBe(ref.memoryHash);
          expect(r.guestTicks).toBe(ref.guestTicks);
          // it really moved in the middle of its run
          expect(r.guestAtSwitchover).toBeGreaterThan(at);
          expect(r.guestAtSwitchover).toBeLessThan(ref.guestTicks);
        }
      });
    }
  }

  test('the incrementer checks itself: a stale page stops it with a line naming the page', async () => {
    const ref = await baseline(image('incrementer', { WS_PAGES: 256, PASSES: 150, SPIN: 8 }), 4 * MiB);
    expect(ref.output).toMatch(/^pass 10\n(pass \d+\n){14}incrementer ok: 256 pages x 150 passes, checksum \d+\n$/);
  });
});
