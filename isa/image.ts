/**
 * The executable image: what the assembler writes and every loader reads.
 *
 * File layout, format version 1.0. Every integer is little-endian; every
 * offset counts from the start of the file.
 *
 *   0x00 ┌─────────────────────────────────────┐
 *        │ magic "TVIM"                        │
 *   0x04 │ version major u16 │ version minor u16│  1.0
 *   0x08 │ flags u32                           │  none defined: must be 0
 *   0x0c │ entry u32                           │  address of the first instruction
 *   0x10 │ file size u32                       │  the whole file, this header included
 *   0x14 │ section count u32                   │
 *   0x18 │ symbol count u32                    │
 *   0x1c │ string table offset u32             │
 *   0x20 │ string table size u32               │
 *   0x24 │ CRC-32 u32                          │  of the whole file, this field read as 0
 *   0x28 ├─────────────────────────────────────┤
 *        │ section table: count × 24 bytes     │  name, addr, size, flags,
 *        │                                     │  file offset, file size (u32 each)
 *        ├─────────────────────────────────────┤
 *        │ symbol table: count × 12 bytes      │  name, value, kind (u32 each)
 *        ├─────────────────────────────────────┤
 *        │ string table                        │  NUL-terminated UTF-8 names; a
 *        │                                     │  name field is an offset into it
 *        ├─────────────────────────────────────┤
 *        │ section data, each 4-aligned        │  zero padding between
 *        └─────────────────────────────────────┘  file size
 *
 * Compatibility: a reader accepts its own major version with any minor version
 * up to its own, and refuses a newer major (or minor) saying which version it
 * found. A minor version may only add meaning to bits and fields that 1.0
 * requires to be zero.
 *
 * The checksum covers the whole file (header included, with the checksum
 * field taken as zero), so any single flipped bit is caught. The reader checks
 * the framing first (header, table bounds, string-table bounds) because it
 * must know those to read anything; then the checksum; then the contents. So a
 * corrupted file is reported as a checksum mismatch, while a file with a valid
 * checksum but invalid contents (a writer bug) gets an error naming the field.
 *
 * Rules the reader enforces (the writer enforces the same ones, reporting the
 * offset the offending field would have had):
 *   - section addresses are 4-aligned; executable sections have a size that is
 *     a multiple of 4 (they hold whole instruction words); no section wraps
 *     past 0xffffffff; sections do not overlap in memory;
 *   - a section's flags use only READ/WRITE/EXEC/ZERO; a ZERO (bss) section has
 *     no file data, any other section has exactly `size` bytes of it;
 *   - the header, the two tables, the string table and every section's data
 *     lie inside the file and do not overlap; the file ends exactly at `file
 *     size` (no trailing bytes);
 *   - names are non-empty, valid UTF-8, NUL-terminated inside the string
 *     table; section names at most 15 bytes, symbol names at most 255;
 *   - the entry point is an error unless it is a 4-aligned address inside an
 *     executable section, because the first fetch would fault before any
 *     program code ran. An image with no executable section at all (a pure
 *     data image) is exempt: nothing can run from it anyway.
 *   - symbol kinds are 1 (label) or 2 (const). Label values are addresses,
 *     read back unsigned; const values (`.equ`) are read back as signed 32-bit.
 */
import type * as fs from 'node:fs';
// binary-parser's package.json `exports` hides its type declarations from
// NodeNext resolution of the bare specifier; its CommonJS build, reached
// through the `./*` export, carries them.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { crc32 } from './crc32.js';
import { hex8 } from './hex.js';
import { nodeBuiltin } from './host-builtin.js';

export { crc32 };

export const SECTION_READ = 1;
export const SECTION_WRITE = 2;
export const SECTION_EXEC = 4;
/** Zero-filled at load: occupies `size` bytes of memory and none of the file (bss). */
export const SECTION_ZERO = 8;
const SECTION_FLAGS_KNOWN = SECTION_READ | SECTION_WRITE | SECTION_EXEC | SECTION_ZERO;

export interface Section {
  /** `.text`, `.data`, `.bss`… (at most 15 bytes of UTF-8). */
  readonly name: string;
  /** Load address (byte address; 4-aligned). */
  readonly addr: number;
  readonly flags: number;
  /** Size in memory. For SECTION_ZERO sections `data` is empty. */
  readonly size: number;
  readonly data: Uint8Array;
}

export interface ImageSymbol {
  readonly name: string;
  readonly value: number;
  /** 'label' marks an address in a section; 'const' an `.equ` value. */
  readonly kind: 'label' | 'const';
}

export interface Image {
  readonly entry: number;
  readonly sections: readonly Section[];
  readonly symbols: readonly ImageSymbol[];
}

export const IMAGE_MAGIC = 'TVIM';
export const IMAGE_VERSION_MAJOR = 1;
export const IMAGE_VERSION_MINOR = 0;
export const HEADER_SIZE = 0x28;
export const SECTION_ENTRY_SIZE = 24;
export const SYMBOL_ENTRY_SIZE = 12;
export const MAX_SECTION_NAME_BYTES = 15;
export const MAX_SYMBOL_NAME_BYTES = 255;
const CHECKSUM_OFFSET = 0x24;
const SYMBOL_KIND_LABEL = 1;
const SYMBOL_KIND_CONST = 2;

/** A malformed image (or one the writer refuses to produce): which field, and where in the file. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    /** e.g. `header.version`, `section[1].size`, `symbol[0].name`. */
    readonly field: string,
    /** Byte offset of that field in the file. */
    readonly offset: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const align4 = (n: number): number => (n + 3) & ~3;

function fail(field: string, offset: number, problem: string, context?: string): never {
  const where = context === undefined ? hex(offset) : `${hex(offset)}, ${context}`;
  throw new ImageError(field, offset, `image: ${field} ${problem} (offset ${where})`);
}

/** The image checksum: CRC-32 of the file with the checksum field read as zero. */
function imageChecksum(bytes: Uint8Array): number {
  let c = crc32(bytes.subarray(0, CHECKSUM_OFFSET));
  c = crc32(new Uint8Array(4), c);
  return crc32(bytes.subarray(CHECKSUM_OFFSET + 4), c);
}

// ---------------------------------------------------------------------------
// The parsers. Every size and offset is checked before a parser runs, because
// binary-parser reports a short buffer only as a bare RangeError.

interface RawHeader {
  readonly magic: Uint8Array;
  readonly major: number;
  readonly minor: number;
  readonly flags: number;
  readonly entry: number;
  readonly fileSize: number;
  readonly sectionCount: number;
  readonly symbolCount: number;
  readonly strtabOffset: number;
  readonly strtabSize: number;
  readonly checksum: number;
}

interface RawSectionEntry {
  readonly name: number;
  readonly addr: number;
  readonly size: number;
  readonly flags: number;
  readonly fileOffset: number;
  readonly fileSize: number;
}

interface RawSymbolEntry {
  readonly name: number;
  readonly value: number;
  readonly kind: number;
}

interface RawLayout {
  readonly header: RawHeader;
  readonly sections: readonly RawSectionEntry[];
  readonly symbols: readonly RawSymbolEntry[];
}

/** Header fields in file order: the name errors use, offset, width. */
const HEADER_FIELDS: readonly (readonly [string, number, number])[] = [
  ['header.magic', 0x00, 4],
  ['header.version.major', 0x04, 2],
  ['header.version.minor', 0x06, 2],
  ['header.flags', 0x08, 4],
  ['header.entry', 0x0c, 4],
  ['header.fileSize', 0x10, 4],
  ['header.sectionCount', 0x14, 4],
  ['header.symbolCount', 0x18, 4],
  ['header.stringTable.offset', 0x1c, 4],
  ['header.stringTable.size', 0x20, 4],
  ['header.checksum', CHECKSUM_OFFSET, 4],
];

const headerParser = new Parser()
  .endianness('little')
  .buffer('magic', { length: 4 })
  .uint16('major')
  .uint16('minor')
  .uint32('flags')
  .uint32('entry')
  .uint32('fileSize')
  .uint32('sectionCount')
  .uint32('symbolCount')
  .uint32('strtabOffset')
  .uint32('strtabSize')
  .uint32('checksum');

const sectionEntryParser = new Parser()
  .endianness('little')
  .uint32('name')
  .uint32('addr')
  .uint32('size')
  .uint32('flags')
  .uint32('fileOffset')
  .uint32('fileSize');

const symbolEntryParser = new Parser()
  .endianness('little')
  .uint32('name')
  .uint32('value')
  .uint32('kind');

const layoutParser = new Parser()
  .endianness('little')
  .nest('header', { type: headerParser })
  .array('sections', { type: sectionEntryParser, length: 'header.sectionCount' })
  .array('symbols', { type: symbolEntryParser, length: 'header.symbolCount' });

// ---------------------------------------------------------------------------
// One validated model shared by the reader and the writer, so both enforce the
// same rules and name the same fields.

interface CheckedSection {
  readonly name: string;
  readonly nameBytes: number;
  readonly addr: number;
  readonly size: number;
  readonly flags: number;
  readonly fileOffset: number;
  readonly fileSize: number;
}

interface CheckedSymbol {
  readonly name: string;
  readonly nameBytes: number;
  readonly kind: number;
}

interface Region {
  readonly what: string;
  readonly field: string;
  readonly fieldOffset: number;
  readonly start: number;
  readonly size: number;
}

const sectionField = (i: number, word: number): number => HEADER_SIZE + i * SECTION_ENTRY_SIZE + word * 4;
const symbolField = (sectionCount: number, i: number, word: number): number =>
  HEADER_SIZE + sectionCount * SECTION_ENTRY_SIZE + i * SYMBOL_ENTRY_SIZE + word * 4;

/** The file regions must lie inside the file and must not overlap one another. */
function checkRegions(regions: readonly Region[], fileLength: number): void {
  for (const r of regions) {
    if (r.start + r.size > fileLength) {
      fail(r.field, r.fieldOffset, `${r.what === r.field ? '' : `(${r.what}, ${hex(r.start)}..${hex(r.start + r.size)}) `}runs past the end of the file`, `file is ${fileLength} bytes`);
    }
  }
  const sorted = regions.filter((r) => r.size > 0).sort((a, b) => a.start - b.start || a.fieldOffset - b.fieldOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.start + prev.size) {
      fail(cur.field, cur.fieldOffset, `= ${hex(cur.start)}: ${cur.what} overlaps ${prev.what} (${hex(prev.start)}..${hex(prev.start + prev.size)}) in the file`);
    }
  }
}

/**
 * `strtab` is the string table's place in the file; the header and the two
 * tables are implied by the counts.
 */
function checkSections(sections: readonly CheckedSection[], symbolCount: number, strtab: { readonly offset: number; readonly size: number }, fileLength: number): void {
  sections.forEach((s, i) => {
    const f = `section[${i}]`;
    if (s.nameBytes > MAX_SECTION_NAME_BYTES) fail(`${f}.name`, sectionField(i, 0), `"${s.name}" is ${s.nameBytes} bytes long; a section name has at most ${MAX_SECTION_NAME_BYTES}`);
    if (s.addr % 4 !== 0) fail(`${f}.addr`, sectionField(i, 1), `= ${hex8(s.addr)} is not 4-aligned`);
    if (s.addr + s.size > 2 ** 32) fail(`${f}.size`, sectionField(i, 2), `= ${hex(s.size)} runs past the top of the address space (addr ${hex8(s.addr)})`);
    if (s.flags & SECTION_EXEC && s.size % 4 !== 0) fail(`${f}.size`, sectionField(i, 2), `= ${hex(s.size)} is not a whole number of instruction words in executable section "${s.name}"`);
    if (s.flags & ~SECTION_FLAGS_KNOWN) fail(`${f}.flags`, sectionField(i, 3), `= ${hex(s.flags)} has unknown bits ${hex((s.flags & ~SECTION_FLAGS_KNOWN) >>> 0)}`);
    if (s.flags & SECTION_ZERO) {
      if (s.fileSize !== 0) fail(`${f}.fileSize`, sectionField(i, 5), `= ${s.fileSize}, but "${s.name}" is a ZERO (bss) section and carries no file data`);
    } else if (s.fileSize !== s.size) {
      fail(`${f}.fileSize`, sectionField(i, 5), `= ${s.fileSize} differs from its size ${s.size}; a section that is not ZERO carries all its bytes`);
    }
    if (s.fileSize > 0 && s.fileOffset % 4 !== 0) fail(`${f}.fileOffset`, sectionField(i, 4), `= ${hex(s.fileOffset)} is not 4-aligned`);
  });

  const symtabEnd = HEADER_SIZE + sections.length * SECTION_ENTRY_SIZE + symbolCount * SYMBOL_ENTRY_SIZE;
  checkRegions(
    [
      { what: 'the header and tables', field: 'header', fieldOffset: 0, start: 0, size: symtabEnd },
      { what: 'the string table', field: 'header.stringTable.size', fieldOffset: 0x20, start: strtab.offset, size: strtab.size },
      ...sections.map((s, i): Region => ({
        what: `section[${i}] data`,
        field: `section[${i}].fileSize`,
        fieldOffset: sectionField(i, 5),
        start: s.fileOffset,
        size: s.fileSize,
      })),
    ],
    fileLength,
  );

  const inMemory = sections.map((s, i) => ({ s, i })).filter(({ s }) => s.size > 0).sort((a, b) => a.s.addr - b.s.addr || a.i - b.i);
  for (let k = 1; k < inMemory.length; k++) {
    const prev = inMemory[k - 1]!;
    const cur = inMemory[k]!;
    if (cur.s.addr < prev.s.addr + prev.s.size) {
      fail(`section[${cur.i}].addr`, sectionField(cur.i, 1), `= ${hex8(cur.s.addr)}: "${cur.s.name}" overlaps section[${prev.i}] "${prev.s.name}" (${hex8(prev.s.addr)}..${hex8(prev.s.addr + prev.s.size)}) in memory`);
    }
  }
}

function checkEntry(entry: number, sections: readonly CheckedSection[]): void {
  const exec = sections.filter((s) => s.flags & SECTION_EXEC);
  if (exec.length === 0) return;
  const inside = exec.some((s) => entry >= s.addr && entry < s.addr + s.size);
  if (!inside) {
    const ranges = exec.map((s) => `"${s.name}" ${hex8(s.addr)}..${hex8(s.addr + s.size)}`).join(', ');
    fail('header.entry', 0x0c, `= ${hex8(entry)} is outside every executable section (${ranges})`);
  }
  if (entry % 4 !== 0) fail('header.entry', 0x0c, `= ${hex8(entry)} is not 4-aligned`);
}

function checkSymbols(symbols: readonly CheckedSymbol[], sectionCount: number): void {
  symbols.forEach((s, i) => {
    if (s.nameBytes > MAX_SYMBOL_NAME_BYTES) fail(`symbol[${i}].name`, symbolField(sectionCount, i, 0), `is ${s.nameBytes} bytes long; a symbol name has at most ${MAX_SYMBOL_NAME_BYTES}`);
    if (s.kind !== SYMBOL_KIND_LABEL && s.kind !== SYMBOL_KIND_CONST) fail(`symbol[${i}].kind`, symbolField(sectionCount, i, 2), `= ${s.kind} is not 1 (label) or 2 (const)`);
  });
}

// ---------------------------------------------------------------------------
// Reader.

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

function readName(strtab: Uint8Array, strtabOffset: number, at: number, field: string, fieldOffset: number): string {
  if (at >= strtab.length) fail(field, fieldOffset, `= ${hex(at)} points outside the string table (${strtab.length} bytes at ${hex(strtabOffset)})`);
  const end = strtab.indexOf(0, at);
  if (end < 0) fail(field, fieldOffset, `at string-table offset ${hex(at)} is not NUL-terminated before the table ends`);
  if (end === at) fail(field, fieldOffset, `is empty (string-table offset ${hex(at)})`);
  try {
    return utf8.decode(strtab.subarray(at, end));
  } catch {
    return fail(field, fieldOffset, `is not valid UTF-8 (string-table offset ${hex(at)}, file offset ${hex(strtabOffset + at)})`);
  }
}

function readHeader(bytes: Uint8Array): RawHeader {
  const magic = utf8Encoder.encode(IMAGE_MAGIC);
  for (let i = 0; i < Math.min(4, bytes.length); i++) {
    if (bytes[i] !== magic[i]) {
      const found = Array.from(bytes.subarray(0, 4), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
      fail('header.magic', 0, `= "${found}" is not "${IMAGE_MAGIC}": this is not a typevisor image`);
    }
  }
  for (const [field, offset, width] of HEADER_FIELDS) {
    if (offset + width > bytes.length) {
      fail(field, offset, `is cut off: the file ends inside the ${HEADER_SIZE}-byte header`, bytes.length === 0 ? 'the file is empty' : `file is ${bytes.length} bytes`);
    }
  }
  return headerParser.parse(bytes) as RawHeader;
}

/** Parse and validate an image. Throws ImageError naming the field and its offset. */
export function readImage(bytes: Uint8Array): Image {
  const h = readHeader(bytes);
  const version = `${h.major}.${h.minor}`;
  const mine = `${IMAGE_VERSION_MAJOR}.${IMAGE_VERSION_MINOR}`;
  if (h.major > IMAGE_VERSION_MAJOR || (h.major === IMAGE_VERSION_MAJOR && h.minor > IMAGE_VERSION_MINOR)) {
    fail('header.version', 4, `= ${version} is newer than this reader (format ${mine}); a newer typevisor is needed to load it`);
  }
  if (h.major !== IMAGE_VERSION_MAJOR) fail('header.version', 4, `= ${version} is not supported (this reader reads format ${IMAGE_VERSION_MAJOR}.x)`);
  if (h.flags !== 0) fail('header.flags', 8, `= ${hex(h.flags)} has bits this reader does not know (format ${mine} defines none)`);
  if (h.fileSize < HEADER_SIZE) fail('header.fileSize', 0x10, `= ${h.fileSize} is smaller than the header (${HEADER_SIZE} bytes)`);
  if (bytes.length < h.fileSize) fail('header.fileSize', 0x10, `= ${h.fileSize} but the file is only ${bytes.length} bytes: truncated`);
  if (bytes.length > h.fileSize) fail('trailing bytes', h.fileSize, `(${bytes.length - h.fileSize} of them) follow the end of the image`, `header.fileSize = ${h.fileSize}`);
  const len = h.fileSize;

  // Counts are bounded by the file before anything is allocated for them.
  const secStart = HEADER_SIZE;
  const secBytes = h.sectionCount * SECTION_ENTRY_SIZE;
  if (secStart + secBytes > len) fail('header.sectionCount', 0x14, `= ${h.sectionCount}: a section table that long (${secBytes} bytes from ${hex(secStart)}) runs past the end of the file`, `file is ${len} bytes`);
  const symStart = secStart + secBytes;
  const symBytes = h.symbolCount * SYMBOL_ENTRY_SIZE;
  if (symStart + symBytes > len) fail('header.symbolCount', 0x18, `= ${h.symbolCount}: a symbol table that long (${symBytes} bytes from ${hex(symStart)}) runs past the end of the file`, `file is ${len} bytes`);
  if (h.strtabOffset > len) fail('header.stringTable.offset', 0x1c, `= ${hex(h.strtabOffset)} is past the end of the file`, `file is ${len} bytes`);
  checkRegions(
    [
      { what: 'the header', field: 'header', fieldOffset: 0, start: 0, size: HEADER_SIZE },
      { what: 'the section table', field: 'header.sectionCount', fieldOffset: 0x14, start: secStart, size: secBytes },
      { what: 'the symbol table', field: 'header.symbolCount', fieldOffset: 0x18, start: symStart, size: symBytes },
      { what: 'the string table', field: 'header.stringTable.size', fieldOffset: 0x20, start: h.strtabOffset, size: h.strtabSize },
    ],
    len,
  );

  const expected = imageChecksum(bytes);
  if (expected !== h.checksum) fail('header.checksum', CHECKSUM_OFFSET, `mismatch: expected ${hex8(expected)} (CRC-32 of the file), found ${hex8(h.checksum)}: the file is corrupt`);

  const layout = layoutParser.parse(bytes) as RawLayout;
  const strtab = bytes.subarray(h.strtabOffset, h.strtabOffset + h.strtabSize);
  const sections: CheckedSection[] = layout.sections.map((e, i) => {
    const name = readName(strtab, h.strtabOffset, e.name, `section[${i}].name`, sectionField(i, 0));
    return { ...e, name, nameBytes: utf8Encoder.encode(name).length };
  });
  const symbols = layout.symbols.map((e, i) => {
    const name = readName(strtab, h.strtabOffset, e.name, `symbol[${i}].name`, symbolField(h.sectionCount, i, 0));
    return { ...e, name, nameBytes: utf8Encoder.encode(name).length };
  });
  checkSections(sections, h.symbolCount, { offset: h.strtabOffset, size: h.strtabSize }, len);
  checkEntry(h.entry, sections);
  checkSymbols(symbols, h.sectionCount);

  return {
    entry: h.entry,
    sections: sections.map((s) => ({
      name: s.name,
      addr: s.addr,
      flags: s.flags,
      size: s.size,
      data: new Uint8Array(bytes.subarray(s.fileOffset, s.fileOffset + s.fileSize)),
    })),
    symbols: symbols.map((s) => ({
      name: s.name,
      value: s.kind === SYMBOL_KIND_LABEL ? s.value >>> 0 : s.value | 0,
      kind: s.kind === SYMBOL_KIND_LABEL ? 'label' : 'const',
    })),
  };
}

/** Why a file could not be read, in words (Node's message names the syscall: "ENOENT: no such file or directory, open 'x'"). */
function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** Read an image file; errors (unreadable file, malformed image) name the path. */
export function loadImageFile(path: string): Image {
  let bytes: Uint8Array;
  try {
    bytes = nodeBuiltin<typeof fs>('fs', 'reading an image file').readFileSync(path);
  } catch (err) {
    throw new ImageError('file', 0, `${path}: cannot read: ${readFailure(err)}`, { cause: err });
  }
  try {
    return readImage(bytes);
  } catch (err) {
    if (err instanceof ImageError) throw new ImageError(err.field, err.offset, `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

// ---------------------------------------------------------------------------
// Writer.

function checkU32(v: number, field: string, offset: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) fail(field, offset, `= ${v} is not an unsigned 32-bit integer`);
}

function encodeName(name: string, field: string, offset: number): Uint8Array {
  if (name.length === 0) fail(field, offset, 'is empty');
  if (name.includes('\0')) fail(field, offset, `${JSON.stringify(name)} contains a NUL character`);
  if (/\p{Cs}/u.test(name)) fail(field, offset, `${JSON.stringify(name)} is not well-formed Unicode (a lone surrogate cannot be written as UTF-8)`);
  return utf8Encoder.encode(name);
}

/** Serialize an image. Throws ImageError when the image breaks a rule the reader enforces. */
export function writeImage(img: Image): Uint8Array {
  const nsec = img.sections.length;
  const nsym = img.symbols.length;
  checkU32(img.entry, 'header.entry', 0x0c);

  // String table: each distinct name once.
  const strOffsets = new Map<string, number>();
  const strParts: Uint8Array[] = [];
  let strSize = 0;
  const intern = (name: string, field: string, offset: number): { at: number; bytes: number } => {
    const encoded = encodeName(name, field, offset);
    let at = strOffsets.get(name);
    if (at === undefined) {
      at = strSize;
      strOffsets.set(name, at);
      strParts.push(encoded);
      strSize += encoded.length + 1;
    }
    return { at, bytes: encoded.length };
  };
  const secNames = img.sections.map((s, i) => intern(s.name, `section[${i}].name`, sectionField(i, 0)));
  const symNames = img.symbols.map((s, i) => intern(s.name, `symbol[${i}].name`, symbolField(nsec, i, 0)));

  const strtabOffset = HEADER_SIZE + nsec * SECTION_ENTRY_SIZE + nsym * SYMBOL_ENTRY_SIZE;
  let end = strtabOffset + strSize;
  const sections: CheckedSection[] = img.sections.map((s, i) => {
    checkU32(s.addr, `section[${i}].addr`, sectionField(i, 1));
    checkU32(s.size, `section[${i}].size`, sectionField(i, 2));
    checkU32(s.flags, `section[${i}].flags`, sectionField(i, 3));
    const fileSize = s.data.length;
    const fileOffset = fileSize > 0 ? align4(end) : 0;
    if (fileSize > 0) end = fileOffset + fileSize;
    return { name: s.name, nameBytes: secNames[i]!.bytes, addr: s.addr, size: s.size, flags: s.flags, fileOffset, fileSize };
  });
  const symbols: CheckedSymbol[] = img.symbols.map((s, i) => {
    if (!Number.isInteger(s.value) || s.value < -(2 ** 31) || s.value >= 2 ** 32) {
      fail(`symbol[${i}].value`, symbolField(nsec, i, 1), `= ${s.value} does not fit in 32 bits`);
    }
    return { name: s.name, nameBytes: symNames[i]!.bytes, kind: s.kind === 'label' ? SYMBOL_KIND_LABEL : s.kind === 'const' ? SYMBOL_KIND_CONST : 0 };
  });
  checkSections(sections, nsym, { offset: strtabOffset, size: strSize }, end);
  checkEntry(img.entry, sections);
  checkSymbols(symbols, nsec);

  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  out.set(utf8Encoder.encode(IMAGE_MAGIC), 0);
  view.setUint16(0x04, IMAGE_VERSION_MAJOR, true);
  view.setUint16(0x06, IMAGE_VERSION_MINOR, true);
  view.setUint32(0x08, 0, true);
  view.setUint32(0x0c, img.entry, true);
  view.setUint32(0x10, end, true);
  view.setUint32(0x14, nsec, true);
  view.setUint32(0x18, nsym, true);
  view.setUint32(0x1c, strtabOffset, true);
  view.setUint32(0x20, strSize, true);
  sections.forEach((s, i) => {
    const words = [secNames[i]!.at, s.addr, s.size, s.flags, s.fileOffset, s.fileSize];
    words.forEach((w, k) => view.setUint32(sectionField(i, k), w, true));
    out.set(img.sections[i]!.data, s.fileOffset);
  });
  symbols.forEach((s, i) => {
    const words = [symNames[i]!.at, img.symbols[i]!.value >>> 0, s.kind];
    words.forEach((w, k) => view.setUint32(symbolField(nsec, i, k), w, true));
  });
  let at = strtabOffset;
  for (const part of strParts) {
    out.set(part, at);
    at += part.length + 1;
  }
  view.setUint32(CHECKSUM_OFFSET, imageChecksum(out), true);
  return out;
}
