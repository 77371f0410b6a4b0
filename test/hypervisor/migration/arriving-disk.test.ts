/**
 * The destination's disk during a migration (arriving-disk.ts), against a
 * model: sectors arrive in rounds before the switchover (a later copy wins),
 * some stay on the source (post-copy), then the guest reads and writes (one
 * command at a time, as its device allows) while the rest arrives in any
 * order, some of it again. Whatever the order:
 *
 *   - a guest read completes only once every sector it covers is here, and
 *     returns what the guest would read had the disk never moved;
 *   - a guest write is never undone by a copy arriving after it;
 *   - at the end the disk holds the source's last bytes, overwritten by what
 *     the guest wrote here.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArrivingDisk } from '../../../hypervisor/migration/arriving-disk.js';
import { MemoryDisk, SECTOR_SIZE } from '../../../vm/devices/disk.js';

const SECTORS = 24;

type Step =
  | { readonly kind: 'arrive'; readonly sector: number; readonly count: number }
  | { readonly kind: 'read'; readonly sector: number; readonly count: number }
  | { readonly kind: 'write'; readonly sector: number; readonly count: number; readonly byte: number };

const range = fc.record({ sector: fc.nat(SECTORS - 1), count: fc.integer({ min: 1, max: 6 }) }).map((r) => ({ ...r, count: Math.min(r.count, SECTORS - r.sector) }));
const step: fc.Arbitrary<Step> = fc.oneof(
  range.map((r) => ({ kind: 'arrive' as const, ...r })),
  range.map((r) => ({ kind: 'read' as const, ...r })),
  fc.tuple(range, fc.integer({ min: 1, max: 255 })).map(([r, byte]) => ({ kind: 'write' as const, ...r, byte })),
);

describe('ArrivingDisk', () => {
  test('reads wait for their sectors and see what an unmoved disk would hold; writes are never undone by a late copy', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: SECTORS, maxLength: SECTORS }), // the source's bytes (a byte per sector, repeated)
        fc.uint8Array({ minLength: SECTORS, maxLength: SECTORS }).map((b) => b.map((x) => x & 1)), // stale here: written again on the source after its copy
        fc.array(step, { maxLength: 40 }),
        (source, onSource, steps) => {
          const bytes = new Uint8Array(SECTORS * SECTOR_SIZE);
          const disk = new ArrivingDisk(new MemoryDisk(bytes), (s, b) => bytes.set(b, s * SECTOR_SIZE));
          const fill = (from: number, count: number, f: (s: number) => number): Uint8Array => {
            const out = new Uint8Array(count * SECTOR_SIZE);
            for (let i = 0; i < count; i++) out.fill(f(from + i), i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE);
            return out;
          };
          // Before the switchover: an older copy of every sector, then the newer one of those not stale.
          disk.receive(0, SECTORS, fill(0, SECTORS, (s) => (onSource[s] ? source[s]! ^ 0xff : source[s]!)), false);
          for (let s = 0; s < SECTORS; s++) if (!onSource[s]) disk.receive(s, 1, source[s] === 0 ? undefined : fill(s, 1, () => source[s]!), false);
          disk.markOnSource(onSource);
          const asked: number[] = [];
          disk.onMissing = (s) => asked.push(s);
          // What the guest should see: the source's bytes, then its own writes.
          const model = Array.from(source);
          const reads: { sector: number; count: number; want: number[]; got?: Uint8Array }[] = [];
          for (const st of steps) {
            // The device has one command in flight: while a read waits, the guest issues no other.
            const busy = reads.some((r) => r.got === undefined);
            if (st.kind === 'arrive') {
              disk.receive(st.sector, st.count, fill(st.sector, st.count, (s) => source[s]!), true);
            } else if (busy) {
              continue;
            } else if (st.kind === 'write') {
              for (let s = st.sector; s < st.sector + st.count; s++) model[s] = st.byte;
              disk.write(st.sector, fill(st.sector, st.count, () => st.byte), () => {});
            } else {
              const r: (typeof reads)[number] = { sector: st.sector, count: st.count, want: model.slice(st.sector, st.sector + st.count) };
              reads.push(r);
              disk.read(st.sector, st.count, (_e, data) => {
                r.got = data;
                for (let s = st.sector; s < st.sector + st.count; s++) expect(disk.missing[s]).toBe(0);
              });
            }
          }
          // The rest arrives (the push, or the fetches): every waiting read completes.
          disk.receive(0, SECTORS, fill(0, SECTORS, (s) => source[s]!), true);
          expect(disk.missingCount).toBe(0);
          expect(disk.waitingReads).toBe(0);
          for (const r of reads) expect(Array.from(r.got!.filter((_, i) => i % SECTOR_SIZE === 0))).toEqual(r.want);
          for (let s = 0; s < SECTORS; s++) expect(bytes[s * SECTOR_SIZE + 7]).toBe(model[s]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
