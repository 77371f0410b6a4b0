/**
 * isZeros (zeros.ts), the test that leaves a disk's zero sectors out of a
 * snapshot: the same answer as looking at every byte, for blocks of any
 * length and offset in their buffer, with any bytes set anywhere (across its
 * 64 KiB comparison chunks too).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isZeros } from '../../../hypervisor/snapshot/zeros.js';

describe('isZeros', () => {
  test('agrees with a byte-by-byte look, at any length, offset and set bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 0, max: 64 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
        (length, offset, set) => {
          const whole = new Uint8Array(offset + length + 8).fill(0xff); // bytes around the block are not its business
          const block = whole.subarray(offset, offset + length);
          block.fill(0);
          for (const [where, value] of set) if (length > 0) block[Math.floor(where * length)] = value;
          expect(isZeros(block)).toBe(block.every((b) => b === 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});
