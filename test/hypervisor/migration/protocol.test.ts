/**
 * The wire protocol: every frame survives encode → decode, and every way a
 * frame can be wrong is an error naming the frame and the field.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { crc32 } from '../../../isa/crc32.js';
import { STRATEGY_NAMES } from '../../../hypervisor/migration/options.js';
import { decodeFrame, encodeFrame, FRAME_LAYOUT, FRAME_NAMES, FrameReader, FrameType, isMigrationStream, layoutText, packBitmap, ProtocolError, StateMode, unpackBitmap, type Frame } from '../../../hypervisor/migration/protocol.js';

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
  { type: FrameType.SECTORS, requested: true, round: 2, runs: [{ sector: 9, count: 2, data: new Uint8Array(1024).fill(3) }, { sector: 40, count: 512, data: undefined }] },
  { type: FrameType.SECTOR_REQUEST, sector: 131071, count: 8 },
  { type: FrameType.DISK_MAP, sectors: 20, map: Uint8Array.of(0xff, 0, 8) },
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

  test('SECTORS of any runs, data or zero', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ sector: fc.nat(1 << 24), count: fc.integer({ min: 1, max: 40 }), zero: fc.boolean(), fill: fc.integer({ min: 1, max: 255 }) }), { maxLength: 6 }), fc.integer({ min: 0, max: 0xffff }), fc.boolean(), (runs, round, requested) => {
        const f: Frame = { type: FrameType.SECTORS, requested, round, runs: runs.map((r) => ({ sector: r.sector, count: r.count, data: r.zero ? undefined : new Uint8Array(r.count * 512).fill(r.fill) })) };
        expect(decodeFrame(encodeFrame(f, 0), 0)).toEqual(f);
      }),
      { numRuns: 50 },
    );
  });

  test('the samples cover every frame type in the layout table', () => {
    expect(SAMPLES.map((f) => f.type).sort((a, b) => a - b)).toEqual(Object.keys(FRAME_LAYOUT).map(Number));
  });

  test('any frame of any type: what encodeFrame writes decodes to the same frame', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const id = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
    const text = fc.string({ unit: 'grapheme', maxLength: 40 });
    const blob = fc.uint8Array({ maxLength: 64 });
    const frame: fc.Arbitrary<Frame> = fc.oneof(
      fc.record({ type: fc.constant(FrameType.HELLO as const), id, memSize: fc.integer({ min: 1, max: 0xfffff }).map((n) => n * 4096), strategy: fc.constantFrom(...STRATEGY_NAMES), observeMs: u32, name: text }),
      fc.constant({ type: FrameType.WELCOME as const }),
      fc.record({ type: fc.constant(FrameType.PAGES as const), requested: fc.boolean(), round: u16, pages: fc.array(fc.record({ page: u32, data: fc.option(fc.integer({ min: 0, max: 255 }).map(page), { nil: undefined }) }), { maxLength: 4 }) }),
      fc.record({ type: fc.constant(FrameType.ROUND_END as const), round: u16, pages: u32 }),
      fc.record({ type: fc.constant(FrameType.STATE as const), mode: fc.constantFrom(StateMode.COMPLETE, StateMode.POSTCOPY), state: blob, onSource: blob }),
      fc.constant({ type: FrameType.STATE_ACK as const }),
      fc.constant({ type: FrameType.GO as const }),
      fc.record({ type: fc.constant(FrameType.RESUMED as const), at: fc.double() }),
      fc.record({ type: fc.constant(FrameType.PAGE_REQUEST as const), page: u32 }),
      fc.record({ type: fc.constant(FrameType.COMPLETE as const), metrics: text }),
      fc.record({ type: fc.constant(FrameType.CANCEL as const), reason: text }),
      fc.record({ type: fc.constant(FrameType.ERROR as const), reason: text }),
      fc.record({ type: fc.constant(FrameType.RECOVER as const), id }),
      fc.record({ type: fc.constant(FrameType.RECOVER_STATE as const), running: fc.boolean(), missing: blob }),
      fc.record({ type: fc.constant(FrameType.SECTORS as const), requested: fc.boolean(), round: u16, runs: fc.array(fc.record({ sector: u32, count: fc.integer({ min: 1, max: 9 }), fill: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }) }).map((r) => ({ sector: r.sector, count: r.count, data: r.fill === undefined ? undefined : new Uint8Array(r.count * 512).fill(r.fill) })), { maxLength: 4 }) }),
      fc.record({ type: fc.constant(FrameType.SECTOR_REQUEST as const), sector: u32, count: fc.integer({ min: 1, max: 0xffff }) }),
      fc.integer({ min: 0, max: 500 }).chain((sectors) => fc.record({ type: fc.constant(FrameType.DISK_MAP as const), sectors: fc.constant(sectors), map: fc.uint8Array({ minLength: Math.ceil(sectors / 8), maxLength: Math.ceil(sectors / 8) }) })),
    );
    fc.assert(
      fc.property(frame, u32, (f, seq) => {
        expect(decodeFrame(encodeFrame(f, seq), seq)).toEqual(f);
      }),
      { numRuns: 300 },
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
    const e = errorOf(() => decodeFrame(reseal(pages, (v) => v.setUint8(2, 1)), 0));
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

  test('a malformed disk frame: a run of no sectors, a run of an unknown kind, a map of the wrong size, a request for nothing', () => {
    const one = encodeFrame({ type: FrameType.SECTORS, requested: false, round: 0, runs: [{ sector: 3, count: 1, data: undefined }] }, 0);
    expect(errorOf(() => decodeFrame(reseal(one, (v) => v.setUint16(16 + 5 + 4, 0, true)), 0)).message).toBe('frame SECTORS: run[0].sectors is 0: a run has at least one sector (offset 25)');
    expect(errorOf(() => decodeFrame(reseal(one, (v) => v.setUint8(16 + 5 + 6, 4)), 0)).message).toBe('frame SECTORS: run[0].kind is 4 (0 data, 1 zero) (offset 27)');
    const data = encodeFrame({ type: FrameType.SECTORS, requested: false, round: 0, runs: [{ sector: 3, count: 2, data: new Uint8Array(1024) }] }, 0);
    expect(errorOf(() => decodeFrame(reseal(data, (v) => v.setUint16(16 + 5 + 4, 3, true)), 0)).message).toBe(`frame SECTORS: payload fields add up to ${5 + 7 + 3 * 512} bytes, the frame carries ${5 + 7 + 2 * 512} (offset 16)`);
    const map = encodeFrame({ type: FrameType.DISK_MAP, sectors: 20, map: new Uint8Array(3) }, 0);
    expect(errorOf(() => decodeFrame(reseal(map, (v) => v.setUint32(16, 64, true)), 0)).message).toBe('frame DISK_MAP: bitmapLen is 3; 64 sectors need 8 (offset 20)');
    const ask = encodeFrame({ type: FrameType.SECTOR_REQUEST, sector: 0, count: 1 }, 0);
    expect(errorOf(() => decodeFrame(reseal(ask, (v) => v.setUint16(20, 0, true)), 0)).message).toBe('frame SECTOR_REQUEST: count is 0: a request asks for at least one sector (offset 20)');
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

describe('the layout table is the one statement of the wire format', () => {
  const types = Object.keys(FRAME_LAYOUT).map(Number) as FrameType[];

  test("protocol.ts's header comment lists every frame type's payload as the table has it", () => {
    const source = readFileSync(new URL('../../../hypervisor/migration/protocol.ts', import.meta.url), 'utf8');
    const block = source.slice(source.indexOf(' * Payloads'), source.indexOf(' * A frame that cannot be read'));
    // One entry per type: `NAME[, NAME]  layout`, continued on lines indented past the names.
    const listed = new Map<string, string>();
    let last: string[] = [];
    for (const line of block.split('\n').slice(1)) {
      const body = line.replace(/^ \*/, '');
      const entry = /^   ([A-Z_]+(?:, [A-Z_]+)*)\s{2,}(.*)$/.exec(body);
      if (entry) {
        last = entry[1]!.split(', ');
        for (const n of last) listed.set(n, entry[2]!);
      } else if (body.trim() !== '') {
        for (const n of last) listed.set(n, `${listed.get(n)} ${body.trim()}`);
      }
    }
    // The comment's layout with its remarks (in parentheses) and punctuation taken out.
    const bare = (s: string): string => s.replace(/\([^)]*\)/g, '').replace(/,/g, '').replace(/\s+/g, ' ').trim();
    expect([...listed.keys()].sort()).toEqual(types.map((t) => FRAME_NAMES[t]!).sort());
    for (const t of types) expect(bare(listed.get(FRAME_NAMES[t]!)!), FRAME_NAMES[t]).toBe(layoutText(t));
  });

  test("the README's wire table has a row for every frame type", () => {
    const readme = readFileSync(new URL('../../../hypervisor/migration/README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('| type | from | carries |'));
    const rows = table.split('\n').slice(2);
    const names: string[] = [];
    for (const row of rows) {
      if (!row.startsWith('|')) break;
      names.push(...row.split('|')[1]!.trim().split(', '));
    }
    expect(names.sort()).toEqual(types.map((t) => FRAME_NAMES[t]!).sort());
  });
});
