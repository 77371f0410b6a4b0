/**
 * The wire protocol: every frame survives encode → decode, and every way a
 * frame can be wrong is an error naming the frame and the field.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { crc32 } from '../../../isa/crc32.js';
import { decodeFrame, encodeFrame, FrameReader, FrameType, isMigrationStream, packBitmap, ProtocolError, StateMode, unpackBitmap, type Frame } from '../../../hypervisor/migration/protocol.js';

const ID = '0123456789abcdef0123456789abcdef';
const page = (fill: number): Uint8Array => new Uint8Array(4096).fill(fill);

const SAMPLES: Frame[] = [
  { type: FrameType.HELLO, id: ID, memSize: 16 << 20, strategy: 'hybrid', observeMs: 2, name: 'web — ü' },
  { type: FrameType.WELCOME },
  { type: FrameType.PAGES, requested: true, round: 3, pages: [{ page: 7, data: page(9) }, { page: 8, data: undefined }] },
  { type: FrameType.ROUND_END, round: 3, pages: 2 },
  { type: FrameType.STATE, mode: StateMode.POSTCOPY, state: Uint8Array.of(0x54, 0x56, 0x53, 0x54, 1, 0), onSource: Uint8Array.of(0xff, 1) },
  { type: FrameType.STATE_ACK },
  { type: FrameType.GO },
  { type: FrameType.RESUMED, at: 1234.5678 },
  { type: FrameType.PAGE_REQUEST, page: 4095 },
  { type: FrameType.COMPLETE, metrics: '{"faults":3}' },
  { type: FrameType.CANCEL, reason: 'user asked' },
  { type: FrameType.ERROR, reason: 'disk full' },
  { type: FrameType.RECOVER, id: ID },
  { type: FrameType.RECOVER_STATE, running: true, missing: Uint8Array.of(0, 4) },
];

function errorOf(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    throw e;
  }
  throw new Error('no error');
}

/** Re-seal a frame after editing it, so only the edit is wrong (not the checksum). */
function reseal(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  edit(v);
  v.setUint32(12, 0, true);
  v.setUint32(12, crc32(out), true);
  return out;
}

describe('frames round-trip', () => {
  test.each(SAMPLES.map((f) => [FrameType[f.type] ?? f.type, f] as const))('%s', (_name, f) => {
    const bytes = encodeFrame(f, 5);
    expect(isMigrationStream(bytes)).toBe(true);
    expect(decodeFrame(bytes, 5)).toEqual(f);
  });

  test('PAGES of any pages, data or zero, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ page: fc.nat(1 << 20), zero: fc.boolean(), fill: fc.integer({ min: 1, max: 255 }) }), { maxLength: 6 }), fc.integer({ min: 0, max: 0xffff }), (entries, round) => {
        const f: Frame = { type: FrameType.PAGES, requested: false, round, pages: entries.map((e) => ({ page: e.page, data: e.zero ? undefined : page(e.fill) })) };
        expect(decodeFrame(encodeFrame(f, 0), 0)).toEqual(f);
      }),
      { numRuns: 50 },
    );
  });

  test('a stream cut anywhere comes back as the same frames', () => {
    const stream = SAMPLES.map((f, i) => encodeFrame(f, i));
    const all = new Uint8Array(stream.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of stream) all.set(b, (o += b.length) - b.length);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }), (cuts) => {
        const r = new FrameReader();
        const got: Frame[] = [];
        let at = 0;
        for (const n of [...cuts, all.length]) {
          r.push(all.subarray(at, Math.min(all.length, at + n)));
          at = Math.min(all.length, at + n);
          for (let f = r.next(); f; f = r.next()) got.push(f);
        }
        expect(got).toEqual(SAMPLES);
        r.end();
      }),
      { numRuns: 40 },
    );
  });

  test('page bitmaps pack one bit per page', () => {
    const marks = Uint8Array.from({ length: 21 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expect(packBitmap(marks).length).toBe(3);
    expect(unpackBitmap(packBitmap(marks), 21)).toEqual(marks);
  });
});

describe('a bad frame is an error naming the frame and the field', () => {
  const pages = encodeFrame(SAMPLES[2]!, 0);

  test('any flipped bit is a checksum mismatch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: pages.length - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bad = pages.slice();
        bad[at]! ^= 1 << bit;
        const e = errorOf(() => decodeFrame(bad, 0));
        expect(e.frame).toBe('PAGES');
        expect(e.field).toBe('header.checksum');
      }),
      { numRuns: 60 },
    );
  });

  test('out of order: the sequence number', () => {
    const e = errorOf(() => decodeFrame(encodeFrame(SAMPLES[3]!, 8), 7));
    expect(e.message).toBe('frame ROUND_END: header.seq is 8, expected 7: a frame was lost or came out of order (offset 8)');
  });

  test('another version', () => {
    const e = errorOf(() => decodeFrame(reseal(pages, (v) => v.setUint8(2, 2)), 0));
    expect([e.frame, e.field, e.offset]).toEqual(['PAGES', 'header.version', 2]);
  });

  test('not a migration stream: the magic', () => {
    const r = new FrameReader();
    r.push(new TextEncoder().encode('{"op":"list","token":"x"}\n'));
    expect(errorOf(() => r.next()).field).toBe('header.magic');
  });

  test('a length out of range', () => {
    const r = new FrameReader();
    r.push(reseal(encodeFrame(SAMPLES[1]!, 0), (v) => v.setUint32(4, 3, true)));
    expect(errorOf(() => r.next()).message).toMatch(/^frame WELCOME: header.length is 3, outside 16\.\./);
  });

  test('a truncated stream', () => {
    const r = new FrameReader();
    r.push(pages.subarray(0, 100));
    expect(r.next()).toBeUndefined();
    expect(errorOf(() => r.end()).message).toBe(`frame PAGES: payload is truncated: the stream ended after 100 of ${pages.length} bytes (offset 16)`);
  });

  test('a payload that does not fill the frame', () => {
    const extra = new Uint8Array(pages.length + 3);
    extra.set(pages);
    const e = errorOf(() => decodeFrame(reseal(extra, (v) => v.setUint32(4, extra.length, true)), 0));
    expect([e.frame, e.field]).toEqual(['PAGES', 'payload']);
  });

  test('a page entry of an unknown kind', () => {
    const one = encodeFrame({ type: FrameType.PAGES, requested: false, round: 0, pages: [{ page: 1, data: undefined }] }, 0);
    const e = errorOf(() => decodeFrame(reseal(one, (v) => v.setUint8(16 + 5 + 4, 7)), 0));
    expect(e.message).toMatch(/^frame PAGES: entry\[0\]\.kind is 7 \(0 data, 1 zero\)/);
  });

  test('an unknown strategy in HELLO', () => {
    const e = errorOf(() => decodeFrame(reseal(encodeFrame(SAMPLES[0]!, 0), (v) => v.setUint8(16 + 16 + 4, 9)), 0));
    expect([e.frame, e.field]).toEqual(['HELLO', 'strategy']);
  });

  test('an unknown frame type', () => {
    const e = errorOf(() => decodeFrame(reseal(encodeFrame(SAMPLES[1]!, 0), (v) => v.setUint8(3, 99)), 0));
    expect(e.field).toBe('header.type');
  });
});
