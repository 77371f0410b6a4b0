import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  HEADER_SIZE,
  ImageError,
  SECTION_ENTRY_SIZE,
  SECTION_EXEC,
  SECTION_READ,
  SECTION_WRITE,
  SECTION_ZERO,
  SYMBOL_ENTRY_SIZE,
  crc32,
  loadImageFile,
  readImage,
  writeImage,
  type Image,
  type ImageSymbol,
  type Section,
} from '../../isa/image.js';

// ---------------------------------------------------------------------------
// helpers

const TEXT = SECTION_READ | SECTION_EXEC;
const DATA = SECTION_READ | SECTION_WRITE;
const BSS = SECTION_READ | SECTION_WRITE | SECTION_ZERO;

/** A small image with one of everything: text, data, bss, a label and a const. */
function smallImage(): Image {
  return {
    entry: 0x1004,
    sections: [
      { name: '.text', addr: 0x1000, flags: TEXT, size: 8, data: new Uint8Array([0x12, 0, 0, 0, 0x36, 0, 0, 0]) },
      { name: '.data', addr: 0x2000, flags: DATA, size: 6, data: new Uint8Array([104, 105, 0, 1, 2, 3]) },
      { name: '.bss', addr: 0x3000, flags: BSS, size: 0x100, data: new Uint8Array(0) },
    ],
    symbols: [
      { name: 'start', value: 0x1004, kind: 'label' },
      { name: 'msg', value: 0x2000, kind: 'label' },
      { name: 'NEG', value: -5, kind: 'const' },
    ],
  };
}

const u32At = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

/** Overwrite a u32 and recompute the checksum, to build a well-sealed but invalid image. */
function patched(bytes: Uint8Array, ...edits: (readonly [number, number])[]): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (const [off, v] of edits) view.setUint32(off, v, true);
  return resealed(out);
}

function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(0x24, 0, true);
  new DataView(out.buffer).setUint32(0x24, crc32(out), true);
  return out;
}

const sec = (i: number, word: number): number => HEADER_SIZE + i * SECTION_ENTRY_SIZE + word * 4;
const sym = (nsec: number, i: number, word: number): number => HEADER_SIZE + nsec * SECTION_ENTRY_SIZE + i * SYMBOL_ENTRY_SIZE + word * 4;

function imageError(fn: () => unknown): ImageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ImageError) return err;
    throw new Error(`expected an ImageError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an ImageError, but nothing was thrown');
}

function expectRejected(bytes: Uint8Array, field: string, offset: number, message: RegExp): void {
  const err = imageError(() => readImage(bytes));
  expect(err.name).toBe('ImageError');
  expect(err.field).toBe(field);
  expect(err.offset).toBe(offset);
  expect(err.message).toMatch(message);
  expect(err.message).toContain(field);
  expect(err.message).toContain(`offset 0x${offset.toString(16)}`);
}

// ---------------------------------------------------------------------------
// arbitrary images

const nameArb = (maxBytes: number): fc.Arbitrary<string> =>
  fc
    .string({ unit: fc.constantFrom('a', 'z', '_', '.', '$', 'é', '→', '😀', 'Q', '7'), minLength: 1, maxLength: maxBytes })
    .filter((s) => new TextEncoder().encode(s).length <= maxBytes);

interface SectionPlan {
  readonly name: string;
  readonly kind: 'text' | 'data' | 'bss' | 'other';
  readonly gapWords: number;
  readonly bytes: Uint8Array;
  readonly extraFlags: number;
}

const sectionPlanArb: fc.Arbitrary<SectionPlan> = fc.record({
  name: fc.oneof(fc.constantFrom('.text', '.data', '.bss'), nameArb(15)),
  kind: fc.constantFrom('text', 'data', 'bss', 'other'),
  gapWords: fc.nat({ max: 64 }),
  bytes: fc.uint8Array({ maxLength: 40 }),
  extraFlags: fc.constantFrom(0, SECTION_READ, SECTION_WRITE, SECTION_READ | SECTION_WRITE),
});

const imageArb: fc.Arbitrary<Image> = fc
  .record({
    base: fc.nat({ max: 0x3fff_0000 / 4 }).map((n) => n * 4),
    plans: fc.array(sectionPlanArb, { maxLength: 6 }),
    order: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
    symbols: fc.array(
      fc.oneof(
        fc.record({ name: nameArb(30), value: fc.nat({ max: 0xffff_ffff }), kind: fc.constant('label' as const) }),
        fc.record({ name: nameArb(30), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), kind: fc.constant('const' as const) }),
      ),
      { maxLength: 8 },
    ),
    entryPick: fc.nat(),
    anyEntry: fc.nat({ max: 0xffff_ffff }),
  })
  .map(({ base, plans, order, symbols, entryPick, anyEntry }): Image => {
    let addr = base;
    const sections: Section[] = plans.map((p) => {
      addr += p.gapWords * 4;
      let s: Section;
      if (p.kind === 'text') {
        const words = Math.max(1, p.bytes.length >> 2);
        const data = new Uint8Array(words * 4);
        data.set(p.bytes.subarray(0, words * 4));
        s = { name: p.name, addr, flags: SECTION_EXEC | p.extraFlags, size: data.length, data };
      } else if (p.kind === 'bss') {
        s = { name: p.name, addr, flags: SECTION_ZERO | p.extraFlags, size: p.bytes.length * 97, data: new Uint8Array(0) };
      } else {
        s = { name: p.name, addr, flags: p.extraFlags, size: p.bytes.length, data: p.bytes };
      }
      addr += (s.size + 3) & ~3;
      return s;
    });
    // The format does not require sections in address order.
    const shuffled = sections.map((s, i) => ({ s, k: order[i]! })).sort((a, b) => a.k - b.k).map(({ s }) => s);
    const exec = sections.filter((s) => s.flags & SECTION_EXEC);
    let entry = anyEntry;
    if (exec.length > 0) {
      const s = exec[entryPick % exec.length]!;
      entry = s.addr + ((entryPick >>> 3) % (s.size / 4)) * 4;
    }
    return { entry, sections: shuffled, symbols };
  });

// ---------------------------------------------------------------------------

describe('image layout', () => {
  test('header fields sit where the layout comment says', () => {
    const bytes = writeImage(smallImage());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('TVIM');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint16(4, true)).toBe(1);
    expect(view.getUint16(6, true)).toBe(0);
    expect(u32At(bytes, 0x08)).toBe(0);
    expect(u32At(bytes, 0x0c)).toBe(0x1004);
    expect(u32At(bytes, 0x10)).toBe(bytes.length);
    expect(u32At(bytes, 0x14)).toBe(3);
    expect(u32At(bytes, 0x18)).toBe(3);
    expect(u32At(bytes, 0x1c)).toBe(HEADER_SIZE + 3 * SECTION_ENTRY_SIZE + 3 * SYMBOL_ENTRY_SIZE);
    const sealed = bytes.slice();
    new DataView(sealed.buffer).setUint32(0x24, 0, true);
    expect(u32At(bytes, 0x24)).toBe(crc32(sealed));
  });

  test('section entries point at 4-aligned data holding the section bytes; bss has none', () => {
    const img = smallImage();
    const bytes = writeImage(img);
    img.sections.forEach((s, i) => {
      expect(u32At(bytes, sec(i, 1))).toBe(s.addr);
      expect(u32At(bytes, sec(i, 2))).toBe(s.size);
      expect(u32At(bytes, sec(i, 3))).toBe(s.flags);
      const off = u32At(bytes, sec(i, 4));
      const len = u32At(bytes, sec(i, 5));
      expect(len).toBe(s.data.length);
      if (len > 0) expect(off % 4).toBe(0);
      expect(bytes.subarray(off, off + len)).toEqual(s.data);
    });
    expect(u32At(bytes, sec(2, 5))).toBe(0);
  });

  test('crc32 is the standard IEEE CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('image round trip', () => {
  test('read(write(img)) is img, for a small image', () => {
    expect(readImage(writeImage(smallImage()))).toEqual(smallImage());
  });

  test('read(write(img)) is img, and write(read(bytes)) is bytes, for random images', () => {
    fc.assert(
      fc.property(imageArb, (img) => {
        const bytes = writeImage(img);
        const back = readImage(bytes);
        expect(back).toEqual(img);
        expect(writeImage(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('a label value written negative reads back unsigned, a const stays signed', () => {
    const img: Image = { ...smallImage(), symbols: [{ name: 'top', value: -4, kind: 'label' }, { name: 'K', value: 0xffff_fffc, kind: 'const' }] };
    const back = readImage(writeImage(img)).symbols;
    expect(back).toEqual<ImageSymbol[]>([
      { name: 'top', value: 0xffff_fffc, kind: 'label' },
      { name: 'K', value: -4, kind: 'const' },
    ]);
  });

  test('an image with no sections at all round-trips', () => {
    const img: Image = { entry: 0, sections: [], symbols: [] };
    expect(writeImage(img).length).toBe(HEADER_SIZE);
    expect(readImage(writeImage(img))).toEqual(img);
  });
});

describe('image rejection: damaged files', () => {
  const good = writeImage(smallImage());

  test('every prefix of a valid image is rejected with an ImageError', () => {
    for (let n = 0; n < good.length; n++) {
      const err = imageError(() => readImage(good.subarray(0, n)));
      if (n < HEADER_SIZE) expect(err.message).toMatch(n === 0 ? /the file is empty/ : /is cut off/);
      else expect(err.field).toBe('header.fileSize');
    }
  });

  test('a truncated header names the first field cut off', () => {
    expectRejected(good.subarray(0, 13), 'header.entry', 0x0c, /cut off.*file is 13 bytes/);
  });

  test('every single-bit flip of a valid image is rejected with an ImageError', () => {
    for (let byte = 0; byte < good.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = good.slice();
        bad[byte]! ^= 1 << bit;
        imageError(() => readImage(bad));
      }
    }
  });

  test('a flipped bit in the contents is reported as a checksum mismatch, expected vs found', () => {
    const bad = good.slice();
    bad[good.length - 1]! ^= 0x10;
    const expected = (() => {
      const z = bad.slice();
      new DataView(z.buffer).setUint32(0x24, 0, true);
      return crc32(z);
    })();
    expectRejected(bad, 'header.checksum', 0x24, new RegExp(`expected 0x${expected.toString(16).padStart(8, '0')}.*found 0x${u32At(good, 0x24).toString(16).padStart(8, '0')}`));
  });

  test('trailing bytes after the image end are rejected', () => {
    const long = new Uint8Array(good.length + 3);
    long.set(good);
    expectRejected(long, 'trailing bytes', good.length, /3 of them/);
  });

  test('bad magic says this is not an image', () => {
    expectRejected(new TextEncoder().encode('start: add a0, a1, a2\n'.repeat(4)), 'header.magic', 0, /"star" is not "TVIM"/);
    expectRejected(new Uint8Array([0x54, 0x56, 0x58]), 'header.magic', 0, /not a typevisor image/);
  });
});

describe('image rejection: versions and framing', () => {
  const good = writeImage(smallImage());
  const withVersion = (major: number, minor: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint16(4, major, true);
    new DataView(b.buffer).setUint16(6, minor, true);
    return resealed(b);
  };

  test('a newer major version is refused, saying so', () => {
    expectRejected(withVersion(2, 0), 'header.version', 4, /2\.0 is newer than this reader \(format 1\.0\)/);
  });

  test('a newer minor version is refused too, since this reader is 1.0', () => {
    expectRejected(withVersion(1, 3), 'header.version', 4, /1\.3 is newer/);
  });

  test('an older major version is unsupported', () => {
    expectRejected(withVersion(0, 9), 'header.version', 4, /0\.9 is not supported/);
  });

  test('unknown header flags are refused', () => {
    expectRejected(patched(good, [0x08, 0x80]), 'header.flags', 8, /0x80/);
  });

  test('a corrupt section count of 4 billion is refused without allocating', () => {
    expectRejected(patched(good, [0x14, 0xffff_ffff]), 'header.sectionCount', 0x14, /4294967295: a section table that long .* runs past the end of the file/);
  });

  test('a corrupt symbol count is refused', () => {
    expectRejected(patched(good, [0x18, 0x4000_0000]), 'header.symbolCount', 0x18, /runs past the end of the file/);
  });

  test('a string table past the end of the file is refused', () => {
    expectRejected(patched(good, [0x20, 0x1000]), 'header.stringTable.size', 0x20, /runs past the end of the file/);
    expectRejected(patched(good, [0x1c, 0x10_0000]), 'header.stringTable.offset', 0x1c, /past the end of the file/);
  });

  test('a string table overlapping the tables is refused', () => {
    expectRejected(patched(good, [0x1c, 0x30]), 'header.stringTable.size', 0x20, /overlaps the symbol table|overlaps the section table/);
  });

  test('a file size smaller than the header is refused', () => {
    const b = patched(good, [0x10, 12]);
    expectRejected(b, 'header.fileSize', 0x10, /smaller than the header/);
  });
});

describe('image rejection: contents (well-sealed but invalid)', () => {
  const good = writeImage(smallImage());

  test('section data running past the end of the file', () => {
    const b = patched(good, [sec(1, 2), 0x4000_0000], [sec(1, 5), 0x4000_0000]);
    expectRejected(b, 'section[1].fileSize', sec(1, 5), new RegExp(`runs past the end of the file.*file is ${good.length} bytes`));
  });

  test('section data overlapping another section’s data', () => {
    const b = patched(good, [sec(1, 4), u32At(good, sec(0, 4)) + 4]);
    expectRejected(b, 'section[1].fileSize', sec(1, 5), /overlaps section\[0\] data/);
  });

  test('section data overlapping the string table', () => {
    const b = patched(good, [sec(1, 4), u32At(good, 0x1c)]);
    expectRejected(b, 'section[1].fileSize', sec(1, 5), /overlaps the string table/);
  });

  test('sections overlapping in memory', () => {
    const b = patched(good, [sec(1, 1), 0x1004]);
    expectRejected(b, 'section[1].addr', sec(1, 1), /overlaps section\[0\] ".text"/);
  });

  test('a misaligned section address', () => {
    expectRejected(patched(good, [sec(1, 1), 0x2002]), 'section[1].addr', sec(1, 1), /not 4-aligned/);
  });

  test('an executable section whose size is not whole words', () => {
    const b = patched(good, [sec(1, 3), DATA | SECTION_EXEC]);
    expectRejected(b, 'section[1].size', sec(1, 2), /whole number of instruction words/);
  });

  test('a section wrapping past the top of memory', () => {
    const b = patched(good, [sec(2, 1), 0xffff_ff04]);
    expect(readImage(patched(good, [sec(2, 1), 0xffff_ff00])).sections[2]!.addr).toBe(0xffff_ff00); // ending exactly at the top is fine
    expectRejected(b, 'section[2].size', sec(2, 2), /top of the address space/);
  });

  test('unknown section flag bits', () => {
    expectRejected(patched(good, [sec(1, 3), DATA | 0x100]), 'section[1].flags', sec(1, 3), /unknown bits 0x100/);
  });

  test('a ZERO section with file data', () => {
    const b = patched(good, [sec(1, 3), BSS]);
    expectRejected(b, 'section[1].fileSize', sec(1, 5), /ZERO \(bss\) section and carries no file data/);
  });

  test('a data section whose file size differs from its size', () => {
    expectRejected(patched(good, [sec(1, 2), 8]), 'section[1].fileSize', sec(1, 5), /differs from its size 8/);
  });

  test('an entry point outside every executable section is an error', () => {
    expectRejected(patched(good, [0x0c, 0x2000]), 'header.entry', 0x0c, /outside every executable section \(".text" 0x00001000\.\.0x00001008\)/);
  });

  test('a misaligned entry point is an error', () => {
    expectRejected(patched(good, [0x0c, 0x1002]), 'header.entry', 0x0c, /not 4-aligned/);
  });

  test('a pure data image may have any entry', () => {
    const img: Image = { entry: 0x1234_5677, sections: [{ name: '.data', addr: 0, flags: DATA, size: 1, data: new Uint8Array([7]) }], symbols: [] };
    expect(readImage(writeImage(img))).toEqual(img);
  });

  test('a name that is not valid UTF-8', () => {
    const strtab = u32At(good, 0x1c);
    const b = good.slice();
    b[strtab + 1] = 0xff; // inside ".text"
    expectRejected(resealed(b), 'section[0].name', sec(0, 0), /not valid UTF-8/);
  });

  test('a name that is not NUL-terminated inside the string table', () => {
    const strtabEnd = u32At(good, 0x1c) + u32At(good, 0x20);
    const b = good.slice();
    b[strtabEnd - 1] = 0x41; // the last name's terminator
    expectRejected(resealed(b), 'symbol[2].name', sym(3, 2, 0), /not NUL-terminated/);
  });

  test('a name offset outside the string table', () => {
    expectRejected(patched(good, [sec(2, 0), 0x999]), 'section[2].name', sec(2, 0), /points outside the string table/);
  });

  test('an empty name', () => {
    const strtabEnd = u32At(good, 0x20);
    expectRejected(patched(good, [sym(3, 0, 0), strtabEnd - 1]), 'symbol[0].name', sym(3, 0, 0), /is empty/);
  });

  test('an unknown symbol kind', () => {
    expectRejected(patched(good, [sym(3, 1, 2), 7]), 'symbol[1].kind', sym(3, 1, 2), /= 7 is not 1 \(label\) or 2 \(const\)/);
  });
});

describe('the writer refuses what the reader would refuse', () => {
  const withSection = (i: number, change: Partial<Section>): Image => {
    const img = smallImage();
    return { ...img, sections: img.sections.map((s, k) => (k === i ? { ...s, ...change } : s)) };
  };

  test.each<[string, Image, string, RegExp]>([
    ['misaligned address', withSection(1, { addr: 0x2001 }), 'section[1].addr', /not 4-aligned/],
    ['memory overlap', withSection(2, { addr: 0x2004 }), 'section[2].addr', /overlaps section\[1\]/],
    ['data shorter than size', withSection(1, { size: 12 }), 'section[1].fileSize', /differs from its size 12/],
    ['bss with data', withSection(2, { data: new Uint8Array(4) }), 'section[2].fileSize', /carries no file data/],
    ['name too long', withSection(0, { name: 'sixteen-bytes-xx' }), 'section[0].name', /16 bytes long/],
    ['NUL in a name', withSection(0, { name: 'a\0b' }), 'section[0].name', /NUL/],
    ['lone surrogate in a name', withSection(0, { name: 'a\ud800' }), 'section[0].name', /well-formed/],
    ['empty name', withSection(0, { name: '' }), 'section[0].name', /empty/],
    ['unknown flags', withSection(0, { flags: TEXT | 0x40 }), 'section[0].flags', /unknown bits/],
    ['fractional address', withSection(0, { addr: 0.5 }), 'section[0].addr', /not an unsigned 32-bit integer/],
    ['entry outside text', { ...smallImage(), entry: 0x2000 }, 'header.entry', /outside every executable section/],
    ['symbol value too wide', { ...smallImage(), symbols: [{ name: 'x', value: 2 ** 32, kind: 'label' }] }, 'symbol[0].value', /does not fit in 32 bits/],
  ])('%s', (_what, img, field, message) => {
    const err = imageError(() => writeImage(img));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});

describe('loadImageFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-image-'));

  test('reads a file written by writeImage', () => {
    const path = join(dir, 'ok.img');
    writeFileSync(path, writeImage(smallImage()));
    expect(loadImageFile(path)).toEqual(smallImage());
  });

  test('a malformed file: the error names the path, the field and the offset', () => {
    const path = join(dir, 'bad.img');
    writeFileSync(path, writeImage(smallImage()).subarray(0, 50));
    const err = imageError(() => loadImageFile(path));
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: image: header.fileSize = \\d+ but the file is only 50 bytes`));
    expect(err.field).toBe('header.fileSize');
    expect(err.offset).toBe(0x10);
  });

  test('a missing file is an ImageError naming the path', () => {
    const path = join(dir, 'missing.img');
    const err = imageError(() => loadImageFile(path));
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/cannot read/);
  });
});
