/**
 * The live disk copy (disk-copy.ts over dirty-sectors.ts), with a guest that
 * writes its disk between any two pieces the copier sends, and during its
 * last (paused) round not at all: whatever the writes, the destination ends
 * with the source's bytes, the last round holds only sectors written since
 * the one before, and zero pieces are left out of the first round only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { copyDisk, PIECE_SECTORS } from '../../../hypervisor/control/disk-copy.js';
import { DirtySectorLog } from '../../../hypervisor/control/dirty-sectors.js';
import { MemoryDisk, SECTOR_SIZE } from '../../../vm/devices/disk.js';
import { FileDisk } from '../../../vm/devices/file-disk.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-disk-copy-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Write {
  readonly sector: number;
  readonly count: number;
  readonly byte: number;
}

const write = (sectors: number): fc.Arbitrary<Write> =>
  fc.record({ sector: fc.nat(sectors - 1), count: fc.integer({ min: 1, max: 40 }), byte: fc.integer({ min: 0, max: 255 }) }).map((w) => ({ ...w, count: Math.min(w.count, sectors - w.sector) }));

let n = 0;

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

describe('copyDisk', () => {
  test('the destination ends with the source\'s bytes, whatever the guest writes while the copy runs', async () => {
    const sectors = 3 * PIECE_SECTORS + 17;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(write(sectors), { maxLength: 4 }), { maxLength: 60 }), fc.array(write(sectors), { maxLength: 6 }), async (during, before) => {
        const path = join(temp, `d${n++}.disk`);
        const file = new FileDisk(path, { createSize: sectors * SECTOR_SIZE });
        const log = new DirtySectorLog(file);
        const put = (w: Write): void => log.write(w.sector, new Uint8Array(w.count * SECTOR_SIZE).fill(w.byte), () => {});
        for (const w of before) put(w);
        const dest = new Uint8Array(sectors * SECTOR_SIZE).fill(0xee); // fresh: must become zeros where nothing is sent
        let paused = false;
        let step = 0;
        let dirtyAtPause = 0;
        const r = await copyDisk({
          file: path,
          log,
          send: async (p) => {
            if (p.fresh) dest.fill(0);
            dest.set(p.bytes, p.offset);
            await Promise.resolve();
            // The guest runs between two pieces until it is paused.
            if (!paused) for (const w of during[step++] ?? []) put(w);
          },
          pause: async () => {
            paused = true;
            dirtyAtPause = log.dirtyCount;
          },
        });
        file.close();
        expect(Buffer.from(dest).equals(readFileSync(path))).toBe(true);
        expect(r.rounds.at(-1)).toBe(dirtyAtPause);
        expect(r.sectorsSent).toBe(r.rounds.reduce((a, b) => a + b, 0));
        expect(log.dirtyCount).toBe(0);
        rmSync(path);
      }),
      { numRuns: 60 },
    );
  });

  test('a send that fails ends the copy with that error, and the source disk is left as it was', async () => {
    const path = join(temp, 'failing.disk');
    const file = new FileDisk(path, { createSize: 4 * PIECE_SECTORS * SECTOR_SIZE });
    const log = new DirtySectorLog(file);
    log.write(0, new Uint8Array(PIECE_SECTORS * SECTOR_SIZE * 2).fill(7), () => {});
    const before = readFileSync(path);
    let sent = 0;
    let paused = false;
    await expect(
      copyDisk({
        file: path,
        log,
        send: async () => {
          if (++sent === 2) throw new Error('the destination went away');
        },
        pause: async () => {
          paused = true;
        },
      }),
    ).rejects.toThrow('the destination went away');
    expect(paused).toBe(false);
    expect(readFileSync(path).equals(before)).toBe(true);
    file.close();
  });
});
