/** The lab's memory digest: SHA-256, the same from the JavaScript definition (a browser's) as from Node's crypto. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { memoryDigest, sha256Hex } from '../../../hypervisor/lab/memory-digest.js';

const nodeSha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('hypervisor/lab/memory-digest.ts', () => {
  test('the FIPS 180-4 examples', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('equals Node’s SHA-256 for any bytes, around every padding boundary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (b) => {
        expect(sha256Hex(b)).toBe(nodeSha(b));
      }),
      { numRuns: 400 },
    );
    const page = new Uint8Array(4096 * 3).map((_, i) => (i * 31) & 0xff);
    expect(sha256Hex(page)).toBe(nodeSha(page));
    expect(memoryDigest(page)).toBe(nodeSha(page));
  });
});
