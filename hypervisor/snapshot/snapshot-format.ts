/**
 * The snapshot file format: a Snapshot (snapshot.ts) as bytes, and back.
 * README.md beside this file has the layout with every offset; this is its
 * definition.
 *
 * Version 1.0, every integer little-endian:
 *
 *   0x00 magic "TVSN" · 0x04 major u16 · 0x06 minor u16
 *   0x08 sections u32 · 0x0c checksum u32 (CRC-32 of bytes 0..12)
 *   0x10 sections, one after another: tag u16, reserved u16 (0), length u32
 *        (of the body), checksum u32 (CRC-32 of the body), body
 *
 * Sections of 1.0, in this order: info (1), state (2: the VM state, TVST,
 * core/state-format.ts), memory.map (3), memory.pages (4), and disk (5) when
 * the VM has one. memory.map keeps a flag per page — zero pages are only a
 * flag — and a CRC-32 per present page, so a lazy restore that reads single
 * pages from the file checks each one as it reads it, without reading the
 * whole memory first.
 *
 * Compatibility, as the VM state's: a reader refuses any major but its own;
 * within a major a newer minor may only add sections (new tags, skipped by an
 * older reader) and fields at the end of a body (ignored by it).
 *
 * Every refusal is a SnapshotError naming the field and its byte offset in
 * the file. The checks run in file order: each section's framing, then its
 * checksum, then its fields — so a bit flipped anywhere is reported at the
 * first place it makes the file wrong, and a file cut short at the field
 * where it ends.
 *
 * The reader reads through a ByteSource (a buffer, or a file read piece by
 * piece): a lazy restore reads everything but the pages, and each page when
 * the guest touches it. That is why this is a hand-written reader over a
 * DataView rather than one binary-parser pass over the whole file.
 */
import { crc32 } from '../../isa/crc32.js';
import { isZeroPage } from '../core/host.js';
import { decodeVmState, encodeVmState, VmStateError } from '../core/state-format.js';
import type { VmState } from '../core/state.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { isZeros } from './zeros.js';
import { TAKEN_ON, type DiskBinding, type Snapshot, type SnapshotInfo } from './snapshot.js';

export const SNAPSHOT_MAGIC = 'TVSN';
export const SNAPSHOT_MAJOR = 1;
export const SNAPSHOT_MINOR = 0;
export const SNAPSHOT_HEADER_SIZE = 16;
export const SNAPSHOT_SECTION_HEADER_SIZE = 12;
/** The longest kernel name and volume name a snapshot holds (bytes of UTF-8). */
export const NAME_MAX = 255;
/** The largest guest RAM a snapshot holds: memory.pages' length is a u32. */
export const SNAPSHOT_MEM_MAX = 0x1_0000_0000 - PAGE_SIZE;

export const SECTION_NAMES = ['info', 'state', 'memory.map', 'memory.pages', 'disk'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];
/** Tag of each section: its index + 1. disk is the only optional one. */
const TAG: Readonly<Record<SectionName, number>> = { info: 1, state: 2, 'memory.map': 3, 'memory.pages': 4, disk: 5 };

/** A snapshot that cannot be read or written: which field, where, and what is wrong. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(
    /** The field: `header.checksum`, `memory.map.flags[12]`, `state.cpu.pc`, … */
    readonly field: string,
    /** Its byte offset from the start of the file. */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`snapshot: ${field} at offset ${offset}: ${problem}`);
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

// ---- writing --------------------------------------------------------------------

function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

/** A section: its 12-byte header (with the CRC of `body`, given as pieces) and the pieces. */
function section(name: SectionName, body: readonly Uint8Array[]): Uint8Array[] {
  let length = 0;
  let crc = 0;
  for (const b of body) {
    length += b.length;
    // (zlib's crc32 of nothing is 0, whatever CRC it continues: skip empty pieces)
    if (b.length > 0) crc = crc32(b, crc);
  }
  const h = new Uint8Array(SNAPSHOT_SECTION_HEADER_SIZE);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, TAG[name], true);
  dv.setUint16(2, 0, true);
  dv.setUint32(4, length, true);
  dv.setUint32(8, crc, true);
  return [h, ...body];
}

function text(field: string, s: string): Uint8Array {
  const b = utf8.encode(s);
  if (b.length === 0 || b.length > NAME_MAX) throw new SnapshotError(field, 0, `is ${b.length} bytes of UTF-8, not 1..${NAME_MAX}`);
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setUint16(0, b.length, true);
  out.set(b, 2);
  return out;
}

/** Flags (one byte each: 0 zero, 1 stored) and the stored blocks of `bytes` in `size`-byte blocks. */
function elideZeros(bytes: Uint8Array, size: number, isZero: (n: number) => boolean): { flags: Uint8Array; blocks: Uint8Array[] } {
  const n = bytes.length / size;
  const flags = new Uint8Array(n);
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (isZero(i)) continue;
    flags[i] = 1;
    blocks.push(bytes.subarray(i * size, (i + 1) * size));
  }
  return { flags, blocks };
}

export interface EncodedSnapshot {
  /** The file's bytes as pieces to write one after another (the pages are views of the snapshot's memory). */
  readonly pieces: Uint8Array[];
  readonly size: number;
  /** Pages stored (the others are zero pages: a flag each). */
  readonly pagesPresent: number;
}

/**
 * The bytes of a snapshot, as pieces to write one after another (the pages
 * are views of `s.memory`: write them before it changes). Deterministic: the
 * same snapshot gives the same bytes. Refuses what the format cannot hold.
 */
export function encodeSnapshot(s: Snapshot): EncodedSnapshot {
  checkMemory(s);
  return encodeWith(s, pageScan(s.memory, 0, s.info.memSize >>> PAGE_SHIFT));
}

/** Pages scanned between two turns of the event loop by encodeSnapshotAsync (2 MiB). */
const SCAN_SLICE = 512;

/**
 * encodeSnapshot, giving the event loop a turn every 2 MiB of memory scanned
 * (the zero test and the CRC of each page are the cost: ~0.2 s for a filled
 * 64 MiB guest, which a daemon's native VMs would otherwise wait out). The
 * same bytes.
 */
export async function encodeSnapshotAsync(s: Snapshot): Promise<EncodedSnapshot> {
  checkMemory(s);
  const pages = s.info.memSize >>> PAGE_SHIFT;
  const scan: PageScan = { flags: new Uint8Array(pages), blocks: [], crcs: [] };
  for (let p = 0; p < pages; p += SCAN_SLICE) {
    pageScan(s.memory, p, Math.min(pages, p + SCAN_SLICE), scan);
    await new Promise((r) => setImmediate(r));
  }
  return encodeWith(s, scan);
}

/** Which pages are stored (not zero), their bytes (views of the memory) and their CRCs. */
interface PageScan {
  readonly flags: Uint8Array;
  readonly blocks: Uint8Array[];
  readonly crcs: number[];
}

/** Scan pages [from, to) of `memory` into `into` (a new scan of them all by default). */
function pageScan(memory: Uint8Array, from: number, to: number, into: PageScan = { flags: new Uint8Array(memory.length >>> PAGE_SHIFT), blocks: [], crcs: [] }): PageScan {
  for (let p = from; p < to; p++) {
    if (isZeroPage(memory, p)) continue;
    into.flags[p] = 1;
    const b = memory.subarray(p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT);
    into.blocks.push(b);
    into.crcs.push(crc32(b));
  }
  return into;
}

function checkMemory(s: Snapshot): void {
  const { info, memory } = s;
  if (!Number.isInteger(info.memSize) || info.memSize <= 0 || info.memSize % PAGE_SIZE !== 0 || info.memSize > SNAPSHOT_MEM_MAX) {
    throw new SnapshotError('info.memSize', 0, `is ${info.memSize}, not a positive multiple of ${PAGE_SIZE} up to ${SNAPSHOT_MEM_MAX}`);
  }
  if (memory.length !== info.memSize) throw new SnapshotError('memory', 0, `is ${memory.length} bytes; info.memSize says ${info.memSize}`);
}

function encodeWith(s: Snapshot, scan: PageScan): EncodedSnapshot {
  const { info } = s;
  const infoBody = new Uint8Array(5);
  infoBody[0] = TAKEN_ON.indexOf(info.takenOn);
  new DataView(infoBody.buffer).setUint32(1, info.memSize, true);

  let state: Uint8Array;
  try {
    state = encodeVmState(s.state);
  } catch (e) {
    if (e instanceof VmStateError) throw new SnapshotError(`state.${e.field}`, e.offset, e.problem);
    throw e;
  }

  const pages = info.memSize >>> PAGE_SHIFT;
  const { flags, blocks } = scan;
  const crcs = new Uint8Array(4 * blocks.length);
  const crcView = new DataView(crcs.buffer);
  scan.crcs.forEach((c, i) => crcView.setUint32(4 * i, c, true));

  const out: Uint8Array[] = [
    ...section('info', [infoBody, text('info.kernel', info.kernel)]),
    ...section('state', [state]),
    ...section('memory.map', [u32le(pages), flags, crcs]),
    ...section('memory.pages', blocks),
  ];
  if (s.disk) out.push(...section('disk', encodeDisk(s.disk)));
  const header = new Uint8Array(SNAPSHOT_HEADER_SIZE);
  header.set(utf8.encode(SNAPSHOT_MAGIC), 0);
  const dv = new DataView(header.buffer);
  dv.setUint16(4, SNAPSHOT_MAJOR, true);
  dv.setUint16(6, SNAPSHOT_MINOR, true);
  dv.setUint32(8, s.disk ? 5 : 4, true);
  dv.setUint32(12, crc32(header.subarray(0, 12)), true);
  const pieces = [header, ...out];
  return { pieces, size: pieces.reduce((n, p) => n + p.length, 0), pagesPresent: blocks.length };
}

function encodeDisk(d: DiskBinding): Uint8Array[] {
  if (d.kind === 'volume') {
    if (!Number.isSafeInteger(d.generation) || d.generation < 0) throw new SnapshotError('disk.generation', 0, `is ${d.generation}, not a whole number 0..2^53−1`);
    const head = new Uint8Array(9);
    head[0] = 0;
    new DataView(head.buffer).setBigUint64(1, BigInt(d.generation), true);
    return [head, text('disk.name', d.name)];
  }
  if (d.bytes.length % SECTOR_SIZE !== 0) throw new SnapshotError('disk.sectors', 0, `the disk is ${d.bytes.length} bytes, not whole ${SECTOR_SIZE}-byte sectors`);
  const head = new Uint8Array(5);
  head[0] = 1;
  new DataView(head.buffer).setUint32(1, d.bytes.length / SECTOR_SIZE, true);
  const { flags, blocks } = elideZeros(d.bytes, SECTOR_SIZE, (n) => isZeros(d.bytes.subarray(n * SECTOR_SIZE, (n + 1) * SECTOR_SIZE)));
  return [head, flags, ...blocks];
}

/** The pieces as one buffer (tests, small snapshots). */
export function concatPieces(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- reading --------------------------------------------------------------------

/** Where a snapshot's bytes come from: a buffer, or a file read piece by piece. */
export interface ByteSource {
  readonly size: number;
  /** `length` bytes from `offset` (the caller has checked they are inside). */
  read(offset: number, length: number): Uint8Array;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** What a snapshot holds, read and checked; its pages stay in the source until asked for. */
export interface SnapshotContents {
  readonly major: number;
  readonly minor: number;
  /** Bytes in the file. */
  readonly size: number;
  readonly info: SnapshotInfo;
  readonly state: VmState;
  readonly pages: number;
  /** 1 for each page stored in memory.pages, 0 for a zero page. */
  readonly present: Uint8Array;
  readonly presentCount: number;
  /** Offset in the file of each page's bytes; -1 for a zero page. */
  readonly pageAt: Float64Array;
  /** The CRC-32 memory.map keeps for each page (0 for a zero page). */
  readonly pageCrc: Uint32Array;
  readonly disk?: DiskBinding;
}

export interface ReadOptions {
  /** Read memory.pages and check its checksum (every page) now: true for anything but a lazy restore. */
  readonly pages: boolean;
}

/** Reads fields in file order, naming the field and its offset when the file ends first. */
class Cursor {
  constructor(
    private readonly src: ByteSource,
    public at: number,
  ) {}

  take(field: string, n: number): Uint8Array {
    if (this.at + n > this.src.size) throw new SnapshotError(field, this.at, `is truncated: the file ends at byte ${this.src.size}`);
    const b = this.src.read(this.at, n);
    this.at += n;
    return b;
  }

  u8(field: string): number {
    return this.take(field, 1)[0]!;
  }

  u16(field: string): number {
    const b = this.take(field, 2);
    return b[0]! | (b[1]! << 8);
  }

  u32(field: string): number {
    const b = this.take(field, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }
}

/** A section's body, already checked against its checksum (or not read: memory.pages in a lazy read). */
interface Body {
  readonly name: SectionName;
  readonly at: number;
  readonly length: number;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Read and check a snapshot: every section's framing, checksum and fields,
 * and (with `pages`) every page. Any problem is a SnapshotError naming the
 * field and its offset in the file.
 */
export function readSnapshot(src: ByteSource, options: ReadOptions = { pages: true }): SnapshotContents {
  const c = new Cursor(src, 0);
  const magicBytes = c.take('header.magic', 4);
  const magic = String.fromCharCode(...magicBytes);
  if (magic !== SNAPSHOT_MAGIC) throw new SnapshotError('header.magic', 0, `is ${JSON.stringify(magic)}, not "${SNAPSHOT_MAGIC}": not a typevisor snapshot`);
  const major = c.u16('header.major');
  const minor = c.u16('header.minor');
  if (major !== SNAPSHOT_MAJOR) {
    throw new SnapshotError('header.major', 4, `is ${major}.${minor}: this typevisor reads snapshot format ${SNAPSHOT_MAJOR}.x only${major > SNAPSHOT_MAJOR ? ' (the file comes from a newer typevisor)' : ''}`);
  }
  const count = c.u32('header.sections');
  const stored = c.u32('header.checksum');
  const computed = crc32(src.read(0, 12));
  if (computed !== stored) throw new SnapshotError('header.checksum', 12, `mismatch: computed ${hex(computed)}, stored ${hex(stored)}: the header is corrupt`);
  const newer = minor > SNAPSHOT_MINOR;

  // ---- the sections' framing and checksums, in file order
  const bodies = new Map<SectionName, Body>();
  let next = 0; // index in SECTION_NAMES of the next section expected
  for (let i = 0; i < count; i++) {
    const at = c.at;
    const tag = c.u16(`section[${i}].tag`);
    const known = tag >= 1 && tag <= SECTION_NAMES.length ? SECTION_NAMES[tag - 1]! : undefined;
    if (known === undefined) {
      if (!newer) throw new SnapshotError(`section[${i}].tag`, at, `is ${tag}, not a section of format ${major}.${minor}`);
    } else {
      const k = tag - 1;
      if (k < next) throw new SnapshotError(`section[${i}].tag`, at, `is ${tag}: ${known} again, or out of order`);
      if (k > next && next < 4) throw new SnapshotError(`section[${i}].tag`, at, `is ${tag} (${known}): ${SECTION_NAMES[next]} must come first`);
      next = k + 1;
    }
    const name = known ?? (`section[${i}]` as SectionName);
    const reserved = c.u16(`${name}.reserved`);
    if (reserved !== 0) throw new SnapshotError(`${name}.reserved`, at + 2, `is ${reserved}, not 0`);
    const length = c.u32(`${name}.length`);
    const crc = c.u32(`${name}.checksum`);
    const bodyAt = c.at;
    if (bodyAt + length > src.size) throw new SnapshotError(`${name}.length`, at + 4, `is ${length}, past the end of the file (it ends at byte ${src.size}, ${src.size - bodyAt} bytes after this header)`);
    if (known !== 'memory.pages' || options.pages) {
      const body = crcOf(src, bodyAt, length);
      if (body !== crc) throw new SnapshotError(`${name}.checksum`, at + 8, `mismatch: computed ${hex(body)}, stored ${hex(crc)}: the section is corrupt`);
    }
    if (known) bodies.set(known, { name: known, at: bodyAt, length });
    c.at = bodyAt + length;
  }
  if (c.at !== src.size) throw new SnapshotError('header.sections', 8, `is ${count}, but ${src.size - c.at} bytes follow the last section (at ${c.at})`);
  for (const name of SECTION_NAMES.slice(0, 4)) {
    if (!bodies.has(name)) throw new SnapshotError(name, c.at, `is missing: the header says ${count} sections`);
  }

  // ---- the fields
  const info = readInfo(src, bodies.get('info')!, newer);
  const state = readState(src, bodies.get('state')!);
  const map = readMap(src, bodies.get('memory.map')!, info, newer);
  const pagesBody = bodies.get('memory.pages')!;
  const expected = map.presentCount * PAGE_SIZE;
  if (pagesBody.length !== expected) throw new SnapshotError('memory.pages.length', pagesBody.at - 8, `is ${pagesBody.length}, not ${expected} (${map.presentCount} present pages of ${PAGE_SIZE} bytes)`);
  const pageAt = new Float64Array(map.pages).fill(-1);
  for (let p = 0, k = 0; p < map.pages; p++) if (map.present[p] === 1) pageAt[p] = pagesBody.at + PAGE_SIZE * k++;
  const contents: SnapshotContents = { major, minor, size: src.size, info, state, pages: map.pages, present: map.present, presentCount: map.presentCount, pageAt, pageCrc: map.crc };
  if (options.pages) for (let p = 0; p < map.pages; p++) if (map.present[p] === 1) readPage(src, contents, p);
  const disk = bodies.get('disk');
  return disk ? { ...contents, disk: readDisk(src, disk, newer) } : contents;
}

function crcOf(src: ByteSource, at: number, length: number): number {
  let crc = 0;
  const CHUNK = 1 << 22;
  for (let off = 0; off < length; off += CHUNK) crc = crc32(src.read(at + off, Math.min(CHUNK, length - off)), crc);
  return crc;
}

/** Fields must end where the body does (a newer minor may add more after them). */
function ends(c: Cursor, body: Body, newer: boolean): void {
  const end = body.at + body.length;
  if (c.at < end && !newer) throw new SnapshotError(body.name, c.at, `has ${end - c.at} bytes after its last field`);
}

/** A cursor over a body: a field past its end is named as running past the section's length. */
function bodyCursor(src: ByteSource, body: Body): Cursor {
  const end = body.at + body.length;
  return new Cursor({ size: end, read: (o, n) => src.read(o, n) }, body.at);
}

function readText(c: Cursor, field: string): string {
  const at = c.at;
  const n = c.u16(field);
  if (n === 0 || n > NAME_MAX) throw new SnapshotError(field, at, `is ${n} bytes long, not 1..${NAME_MAX}`);
  const b = c.take(field, n);
  try {
    return fromUtf8.decode(b);
  } catch {
    throw new SnapshotError(field, at + 2, 'is not valid UTF-8');
  }
}

function readInfo(src: ByteSource, body: Body, newer: boolean): SnapshotInfo {
  const c = bodyCursor(src, body);
  const takenAt = c.at;
  const taken = c.u8('info.takenOn');
  const takenOn = TAKEN_ON[taken];
  if (takenOn === undefined) throw new SnapshotError('info.takenOn', takenAt, `is ${taken}, not 0..${TAKEN_ON.length - 1} (${TAKEN_ON.map((t, i) => `${i} ${t}`).join(', ')})`);
  const memAt = c.at;
  const memSize = c.u32('info.memSize');
  if (memSize === 0 || memSize % PAGE_SIZE !== 0) throw new SnapshotError('info.memSize', memAt, `is ${memSize}, not a positive multiple of ${PAGE_SIZE}`);
  const kernel = readText(c, 'info.kernel');
  ends(c, body, newer);
  return { takenOn, kernel, memSize };
}

function readState(src: ByteSource, body: Body): VmState {
  try {
    return decodeVmState(Uint8Array.from(src.read(body.at, body.length)));
  } catch (e) {
    if (e instanceof VmStateError) throw new SnapshotError(`state.${e.field}`, body.at + e.offset, e.problem);
    throw e;
  }
}

function readMap(src: ByteSource, body: Body, info: SnapshotInfo, newer: boolean): { pages: number; present: Uint8Array; presentCount: number; crc: Uint32Array } {
  const c = bodyCursor(src, body);
  const pagesAt = c.at;
  const pages = c.u32('memory.map.pages');
  if (pages !== info.memSize / PAGE_SIZE) throw new SnapshotError('memory.map.pages', pagesAt, `is ${pages}; info.memSize (${info.memSize}) is ${info.memSize / PAGE_SIZE} pages`);
  const flagsAt = c.at;
  const present = Uint8Array.from(c.take('memory.map.flags', pages));
  let presentCount = 0;
  for (let p = 0; p < pages; p++) {
    const f = present[p]!;
    if (f > 1) throw new SnapshotError(`memory.map.flags[${p}]`, flagsAt + p, `is ${f}, not 0 (a zero page) or 1 (stored)`);
    presentCount += f;
  }
  const crcBytes = c.take('memory.map.crc', 4 * presentCount);
  const dv = new DataView(crcBytes.buffer, crcBytes.byteOffset, crcBytes.byteLength);
  const crc = new Uint32Array(pages);
  for (let p = 0, k = 0; p < pages; p++) if (present[p] === 1) crc[p] = dv.getUint32(4 * k++, true);
  ends(c, body, newer);
  return { pages, present, presentCount, crc };
}

function readDisk(src: ByteSource, body: Body, newer: boolean): DiskBinding {
  const c = bodyCursor(src, body);
  const kindAt = c.at;
  const kind = c.u8('disk.kind');
  if (kind === 0) {
    const genAt = c.at;
    const g = c.take('disk.generation', 8);
    const generation = new DataView(g.buffer, g.byteOffset, 8).getBigUint64(0, true);
    if (generation > BigInt(Number.MAX_SAFE_INTEGER)) throw new SnapshotError('disk.generation', genAt, `is ${generation}, more than 2^53−1`);
    const name = readText(c, 'disk.name');
    ends(c, body, newer);
    return { kind: 'volume', name, generation: Number(generation) };
  }
  if (kind !== 1) throw new SnapshotError('disk.kind', kindAt, `is ${kind}, not 0 (a volume, by reference) or 1 (a transient disk, by value)`);
  const sectors = c.u32('disk.sectors');
  const flagsAt = c.at;
  const flags = Uint8Array.from(c.take('disk.flags', sectors));
  const bytes = new Uint8Array(sectors * SECTOR_SIZE);
  for (let s = 0; s < sectors; s++) {
    const f = flags[s]!;
    if (f > 1) throw new SnapshotError(`disk.flags[${s}]`, flagsAt + s, `is ${f}, not 0 (a zero sector) or 1 (stored)`);
    if (f === 1) bytes.set(c.take(`disk.data[${s}]`, SECTOR_SIZE), s * SECTOR_SIZE);
  }
  ends(c, body, newer);
  return { kind: 'transient', bytes };
}

/**
 * One page's bytes from the source (undefined: a zero page), checked against
 * the CRC memory.map keeps for it.
 */
export function readPage(src: ByteSource, s: SnapshotContents, page: number): Uint8Array | undefined {
  const at = s.pageAt[page]!;
  if (at < 0) return undefined;
  const bytes = src.read(at, PAGE_SIZE);
  const crc = crc32(bytes);
  if (crc !== s.pageCrc[page]) throw new SnapshotError(`memory.pages[${page}]`, at, `checksum mismatch: computed ${hex(crc)}, memory.map says ${hex(s.pageCrc[page]!)}: the page is corrupt`);
  return bytes;
}

/** The whole guest RAM (memSize bytes), every page checked. */
export function readMemory(src: ByteSource, s: SnapshotContents): Uint8Array {
  const ram = new Uint8Array(s.info.memSize);
  for (let p = 0; p < s.pages; p++) {
    const b = readPage(src, s, p);
    if (b) ram.set(b, p << PAGE_SHIFT);
  }
  return ram;
}
