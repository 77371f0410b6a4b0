/**
 * The snapshot file format: a real snapshot (a workload stopped mid-run on
 * the native monitor) survives encode → decode with every page; zero pages
 * cost a flag, so an idle 64 MiB guest is small; the disk section holds a
 * volume by reference and a transient disk by value; and every way the bytes
 * can be wrong — every prefix, any bit flipped, a newer major — is a
 * SnapshotError naming a field and an offset inside the file, never anything
 * else and never a silent acceptance.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { crc32 } from '../../../isa/crc32.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import {
  bufferSource,
  concatPieces,
  encodeSnapshot,
  readMemory,
  readSnapshot,
  SNAPSHOT_HEADER_SIZE,
  SnapshotError,
} from '../../../hypervisor/snapshot/snapshot-format.js';
import type { Snapshot } from '../../../hypervisor/snapshot/snapshot.js';
import { PAGE_SIZE } from '../../../vm/memmap.js';
import { image, MiB } from '../migration/helpers.js';

const MEM = MiB;
let real: Snapshot;
let bytes: Uint8Array;
/** The real state over a small memory of a few pages (every prefix of it is decoded: it must be short). */
let small: Uint8Array;

/** Run the writes workload for `n` instructions on the native monitor and take it as it is. */
async function snapshotOf(n: number): Promise<Snapshot> {
  const m = new NativeMonitor([{ name: 'w', image: image('writes', { WS_PAGES: 64, PAGING: 1 }), memSize: MEM }], { maxInstructions: n });
  await m.run();
  const vm = m.vms[0]!;
  return { info: { takenOn: 'native', kernel: 'writes.s', memSize: MEM }, state: vm.save('native', 'paused'), memory: Uint8Array.from(vm.memory.u8.subarray(0, MEM)) };
}

const decode = (b: Uint8Array) => readSnapshot(bufferSource(b), { pages: true });

/** The error decoding `b` raises: it must be a SnapshotError at an offset inside the file. */
function refusal(b: Uint8Array): SnapshotError {
  try {
    decode(b);
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotError);
    const err = e as SnapshotError;
    expect(err.field).toMatch(/^[a-z]/);
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(b.length);
    expect(err.message).toBe(`snapshot: ${err.field} at offset ${err.offset}: ${err.problem}`);
    return err;
  }
  throw new Error(`accepted a bad snapshot of ${b.length} bytes`);
}

beforeAll(async () => {
  real = await snapshotOf(150_000);
  bytes = concatPieces(encodeSnapshot(real).pieces);
  const memory = new Uint8Array(8 * PAGE_SIZE);
  memory.set(real.memory.subarray(0, 2 * PAGE_SIZE));
  memory.set(real.memory.subarray(0, 100), 6 * PAGE_SIZE);
  small = concatPieces(encodeSnapshot({ info: { ...real.info, memSize: memory.length }, state: real.state, memory, disk: { kind: 'volume', name: 'data', generation: 3 } }).pieces);
});

describe('snapshot format', () => {
  test('a real snapshot reads back: the state, every page, the info', () => {
    const s = decode(bytes);
    expect(s.info).toEqual(real.info);
    expect(s.state).toEqual(real.state);
    expect(Buffer.compare(readMemory(bufferSource(bytes), s), real.memory)).toBe(0);
    expect(s.presentCount).toBeGreaterThan(1);
    expect(s.presentCount).toBeLessThan(MEM / PAGE_SIZE);
    expect(s.disk).toBeUndefined();
  });

  test('the same snapshot gives the same bytes', () => {
    expect(concatPieces(encodeSnapshot(real).pieces)).toEqual(bytes);
  });

  test('zero pages are a flag each: 64 MiB of zeros is a file of a few KiB', () => {
    const idle: Snapshot = { info: { takenOn: 'bare', kernel: 'idle.s', memSize: 64 * MiB }, state: real.state, memory: new Uint8Array(64 * MiB) };
    const e = encodeSnapshot(idle);
    expect(e.pagesPresent).toBe(0);
    expect(e.size).toBeLessThan(64 * MiB / PAGE_SIZE + 1024);
    const back = readMemory(bufferSource(concatPieces(e.pieces)), decode(concatPieces(e.pieces)));
    expect(back.length).toBe(64 * MiB);
    expect(back.every((b) => b === 0)).toBe(true);
  });

  test('a disk section: a volume by reference, a transient disk by value with zero sectors elided', () => {
    const vol = decode(concatPieces(encodeSnapshot({ ...real, disk: { kind: 'volume', name: 'data', generation: 7 } }).pieces));
    expect(vol.disk).toEqual({ kind: 'volume', name: 'data', generation: 7 });
    const disk = new Uint8Array(64 * 512);
    disk.set([1, 2, 3], 512 * 5);
    const enc = encodeSnapshot({ ...real, disk: { kind: 'transient', bytes: disk } });
    const t = decode(concatPieces(enc.pieces));
    expect(t.disk).toEqual({ kind: 'transient', bytes: disk });
    expect(enc.size - bytes.length).toBeLessThan(12 + 5 + 64 + 2 * 512);
  });

  test('every prefix is refused, naming a field and an offset', () => {
    expect(decode(small).presentCount).toBeGreaterThanOrEqual(2);
    for (let n = 0; n < small.length; n++) refusal(small.subarray(0, n));
  });

  test('any bit flipped is refused, naming a field and an offset', () => {
    fc.assert(
      fc.property(fc.nat({ max: small.length * 8 - 1 }), (bit) => {
        const b = Uint8Array.from(small);
        b[bit >> 3]! ^= 1 << (bit & 7);
        refusal(b);
      }),
      { numRuns: 2000 },
    );
  });

  test('a bit flipped in each section header and in the first bytes of each body, every one', () => {
    // Walk the sections and flip every bit of their headers and the first 32 bytes of their bodies.
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = SNAPSHOT_HEADER_SIZE;
    const spots: number[] = [...Array(SNAPSHOT_HEADER_SIZE).keys()];
    while (at < bytes.length) {
      const len = dv.getUint32(at + 4, true);
      for (let i = 0; i < 12 + Math.min(32, len); i++) spots.push(at + i);
      at += 12 + len;
    }
    for (const byte of spots) {
      for (let bit = 0; bit < 8; bit++) {
        const b = Uint8Array.from(bytes);
        b[byte]! ^= 1 << bit;
        refusal(b);
      }
    }
  });

  test('a newer major version is refused as such; a newer minor with a section this reader does not know is read', () => {
    const newer = Uint8Array.from(bytes);
    const dv = new DataView(newer.buffer);
    dv.setUint16(4, 2, true);
    dv.setUint32(12, crc32(newer.subarray(0, 12)), true);
    const e = refusal(newer);
    expect(e.field).toBe('header.major');
    expect(e.problem).toMatch(/newer typevisor/);

    // minor 1 with a section of tag 9 at the end
    const extra = new Uint8Array(12 + 3);
    new DataView(extra.buffer).setUint16(0, 9, true);
    new DataView(extra.buffer).setUint32(4, 3, true);
    extra.set([1, 2, 3], 12);
    new DataView(extra.buffer).setUint32(8, crc32(extra.subarray(12)), true);
    const future = concatPieces([bytes, extra]);
    const fdv = new DataView(future.buffer);
    fdv.setUint16(6, 1, true);
    fdv.setUint32(8, 5, true);
    fdv.setUint32(12, crc32(future.subarray(0, 12)), true);
    expect(decode(future).state).toEqual(real.state);
    // the same bytes claiming minor 0: the unknown section is an error
    fdv.setUint16(6, 0, true);
    fdv.setUint32(12, crc32(future.subarray(0, 12)), true);
    expect(refusal(future).field).toBe('section[4].tag');
  });

  test('a lazy read skips the pages but checks each page as it is read', () => {
    const b = Uint8Array.from(bytes);
    const s = readSnapshot(bufferSource(b), { pages: false });
    const p = s.pageAt.findIndex((x) => x >= 0);
    b[s.pageAt[p]! + 100]! ^= 0x10;
    expect(() => readSnapshot(bufferSource(b), { pages: false })).not.toThrow();
    expect(() => readMemory(bufferSource(b), s)).toThrow(`snapshot: memory.pages[${p}] at offset ${s.pageAt[p]}: checksum mismatch`);
  });
});
