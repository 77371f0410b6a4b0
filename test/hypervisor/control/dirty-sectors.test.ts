/**
 * The dirty-sector log every daemon VM's disk goes through (dirty-sectors.ts):
 * what a migration's pre-copy rounds take the disk's dirty sectors from.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DirtySectorLog } from '../../../hypervisor/control/dirty-sectors.js';
import { MemoryDisk, SECTOR_SIZE } from '../../../vm/devices/disk.js';


interface Write {
  readonly sector: number;
  readonly count: number;
  readonly byte: number;
}

const write = (sectors: number): fc.Arbitrary<Write> =>
  fc.record({ sector: fc.nat(sectors - 1), count: fc.integer({ min: 1, max: 40 }), byte: fc.integer({ min: 0, max: 255 }) }).map((w) => ({ ...w, count: Math.min(w.count, sectors - w.sector) }));


describe('DirtySectorLog', () => {
  test('takeRuns gives every sector written since, once, in runs of at most the size asked, and clears them', () => {
    fc.assert(
      fc.property(fc.array(write(300), { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (writes, maxRun) => {
        const log = new DirtySectorLog(new MemoryDisk(new Uint8Array(300 * SECTOR_SIZE)));
        const want = new Set<number>();
        for (const w of writes) {
          log.write(w.sector, new Uint8Array(w.count * SECTOR_SIZE), () => {});
          for (let s = w.sector; s < w.sector + w.count; s++) want.add(s);
        }
        expect(log.dirtyCount).toBe(want.size);
        const got: number[] = [];
        for (const [first, n] of log.takeRuns(maxRun)) {
          expect(n).toBeGreaterThan(0);
          expect(n).toBeLessThanOrEqual(maxRun);
          for (let s = first; s < first + n; s++) got.push(s);
        }
        expect(got).toEqual([...want].sort((a, b) => a - b));
        expect(log.dirtyCount).toBe(0);
        expect(log.takeRuns(maxRun)).toEqual([]);
      }),
    );
  });
});
