/**
 * encodeSnapshotAsync (the daemon's: it gives the event loop a turn between
 * slices of pages) writes the very bytes encodeSnapshot does, whatever the
 * memory holds — zero pages, stored ones, slices ending anywhere.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { concatPieces, encodeSnapshot, encodeSnapshotAsync } from '../../../hypervisor/snapshot/snapshot-format.js';
import { PAGE_SIZE } from '../../../vm/memmap.js';
import { image, MiB } from '../migration/helpers.js';

describe('encodeSnapshotAsync', () => {
  test('the same bytes as encodeSnapshot, for memories of random zero and stored pages', async () => {
    const m = new NativeMonitor([{ name: 'w', image: image('writes', { WS_PAGES: 16 }), memSize: MiB }], { maxInstructions: 20_000 });
    await m.run();
    const state = m.vms[0]!.save('native', 'paused');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1100 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 40 }), async (pages, writes) => {
        const memory = new Uint8Array(pages * PAGE_SIZE);
        for (const [at, v] of writes) memory[at % memory.length] = v;
        const s = { info: { takenOn: 'native' as const, kernel: 'writes.s', memSize: memory.length }, state, memory };
        const sync = encodeSnapshot(s);
        const async = await encodeSnapshotAsync(s);
        expect(async.pagesPresent).toBe(sync.pagesPresent);
        expect(Buffer.from(concatPieces(async.pieces)).equals(Buffer.from(concatPieces(sync.pieces)))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
