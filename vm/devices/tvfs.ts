/**
 * tvfs: the guest kernel's flat filesystem on the block device, and the host
 * side of it (`typevisor mkdisk`, `diskls`, `diskcat`). The kernel reads and
 * writes the same layout in guests/kernel/fs.s.
 *
 * Sector 0 (512 bytes) holds a header and the whole directory; every
 * integer is a little-endian u32:
 *
 *   0x000 ┌──────────────────────────────────────┐
 *         │ magic "TVFS"                         │
 *   0x004 │ version (2)                          │
 *   0x008 │ sectors: how many the filesystem spans│
 *   0x00c │ slots: directory entries (15)        │
 *   0x010 │ log start: the log header's sector (1)│  version 1: zero
 *   0x014 │ log sectors: header + slots (1 + 18) │  version 1: zero
 *   0x018 │ reserved, zero (8 bytes)             │
 *   0x020 ├──────────────────────────────────────┤
 *         │ 15 entries of 32 bytes:              │
 *         │   name[20]  UTF-8, NUL padded        │  at most 19 bytes: a NUL always ends it
 *         │   start     first sector             │
 *         │   capacity  sectors reserved         │
 *         │   size      bytes in use             │
 *   0x200 └──────────────────────────────────────┘
 *
 * Then the write-ahead log (version 2), as in xv6's log.c:
 *
 *   log start      the log header: n, then n home sectors (u32 each); n = 0: nothing committed
 *   log start + 1  slot 0 … slot 17: slot i holds the new contents of home i
 *   log start + 19 the first file's first sector
 *
 * The kernel makes each write system call one transaction: every sector it
 * changes (sector 0 too, when a size changes) goes to a slot; then the
 * header is written — the commit point; then the slots are copied to their
 * homes and the header is zeroed. A kill at any moment leaves either n = 0
 * and every home as before the write, or a committed header whose slots
 * hold the whole write: the next boot installs them (the kernel says
 * "kernel: disk: log replayed, N sectors"), and `installLog` here does the
 * same for diskls and diskcat, on a copy. A transaction changes at most
 * TVFS_LOG_SLOTS sectors, so one write carries at most TVFS_WRITE_MAX bytes
 * (the kernel refuses more with EFBIG).
 *
 * An entry with an empty name is free (and all zero). A file is one
 * contiguous run of sectors, [start, start + capacity), after the log; runs
 * do not overlap; size ≤ capacity × 512. A file may grow within its capacity
 * and no further: a write that grows it commits its new size with its data;
 * O_TRUNC's is written when the file is closed. There are no directories
 * and no free-space map: a new file goes after the last run.
 *
 * Version 1 (no log: files from sector 1) is still read here; the kernel
 * refuses it, saying so, as it could not write it safely.
 */
// See isa/image.ts: binary-parser's `exports` hides its types from NodeNext.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { SECTOR_SIZE } from './disk.js';

export const TVFS_MAGIC = 'TVFS';
export const TVFS_VERSION = 2;
/** The format before the log: read here, refused by the kernel. */
export const TVFS_VERSION_NOLOG = 1;
/** Where mkdisk puts the log header: right after sector 0. */
export const TVFS_LOG_START = 1;
/** Sectors one transaction may change (the kernel's FS_LOG_SLOTS). */
export const TVFS_LOG_SLOTS = 18;
/** The log's sectors: its header and its slots. */
export const TVFS_LOG_SECTORS = 1 + TVFS_LOG_SLOTS;
/** Bytes one write may carry: 17 sectors of data, unaligned, and sector 0 fill the log (the kernel's FS_WRITE_MAX). */
export const TVFS_WRITE_MAX = 8192;
export const TVFS_SLOTS = 15;
export const TVFS_DIR_OFFSET = 0x20;
export const TVFS_ENTRY_SIZE = 32;
export const TVFS_NAME_FIELD = 20;
/** Longest name in bytes: the field keeps room for its NUL. */
export const TVFS_NAME_MAX = TVFS_NAME_FIELD - 1;

export interface TvfsFile {
  readonly name: string;
  /** First sector. */
  readonly start: number;
  /** Sectors reserved for it. */
  readonly capacity: number;
  /** Bytes in use. */
  readonly size: number;
}

export interface TvfsLog {
  /** The log header's sector (its slots follow). */
  readonly start: number;
  /** Its sectors: the header and the slots. */
  readonly sectors: number;
  /** Sectors a committed transaction holds that are not yet installed at their homes (0: none). */
  readonly committed: number;
}

export interface Tvfs {
  readonly version: number;
  /** Sectors the filesystem spans (sector 0 included). */
  readonly sectors: number;
  /** The write-ahead log; undefined on a version 1 disk. */
  readonly log?: TvfsLog;
  /** The files, in directory order (free slots left out). */
  readonly files: readonly TvfsFile[];
}

/** What `makeTvfs` puts on a disk. */
export interface TvfsInput {
  readonly name: string;
  readonly data: Uint8Array;
  /** Room in bytes (rounded up to whole sectors); default: the data's size, at least one sector. */
  readonly capacity?: number;
}

/** A disk that is not tvfs, or files that do not fit: what and why, for the user. */
export class TvfsError extends Error {
  override readonly name = 'TvfsError';
}

interface RawEntry {
  readonly name: Uint8Array;
  readonly start: number;
  readonly capacity: number;
  readonly size: number;
}

interface RawSuper {
  readonly magic: Uint8Array;
  readonly version: number;
  readonly sectors: number;
  readonly slots: number;
  readonly logStart: number;
  readonly logSectors: number;
  readonly entries: readonly RawEntry[];
}

const superParser = new Parser()
  .endianness('little')
  .buffer('magic', { length: 4 })
  .uint32('version')
  .uint32('sectors')
  .uint32('slots')
  .uint32('logStart')
  .uint32('logSectors')
  .seek(TVFS_DIR_OFFSET - 24)
  .array('entries', {
    length: TVFS_SLOTS,
    type: new Parser().endianness('little').buffer('name', { length: TVFS_NAME_FIELD }).uint32('start').uint32('capacity').uint32('size'),
  });

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

const sectorsFor = (bytes: number): number => Math.ceil(bytes / SECTOR_SIZE);

/** The name as bytes, or a TvfsError saying what is wrong with it. */
function encodeName(name: string): Uint8Array {
  const bytes = encoder.encode(name);
  if (bytes.length === 0) throw new TvfsError('a file name cannot be empty');
  if (bytes.length > TVFS_NAME_MAX) throw new TvfsError(`file name "${name}" is ${bytes.length} bytes long; tvfs names have at most ${TVFS_NAME_MAX}`);
  if (bytes.includes(0) || name.includes('/')) throw new TvfsError(`file name "${name}" may not contain NUL or '/' (tvfs has no directories)`);
  return bytes;
}

/** A disk image of `size` bytes holding `files`, one after another after the log (sectors 1..19). */
export function makeTvfs(files: readonly TvfsInput[], size: number): Uint8Array {
  if (size % SECTOR_SIZE !== 0 || size < SECTOR_SIZE) throw new TvfsError(`a disk is a whole number of ${SECTOR_SIZE}-byte sectors, at least one; ${size} bytes is not`);
  if (files.length > TVFS_SLOTS) throw new TvfsError(`${files.length} files: tvfs has room for ${TVFS_SLOTS}`);
  const sectors = size / SECTOR_SIZE;
  const first = TVFS_LOG_START + TVFS_LOG_SECTORS;
  if (sectors < first) throw new TvfsError(`a disk of ${size} bytes has no room for tvfs: sector 0 and the log take ${first * SECTOR_SIZE} (give a larger --size)`);
  const disk = new Uint8Array(size);
  const view = new DataView(disk.buffer);
  disk.set(encoder.encode(TVFS_MAGIC), 0);
  view.setUint32(4, TVFS_VERSION, true);
  view.setUint32(8, sectors, true);
  view.setUint32(12, TVFS_SLOTS, true);
  view.setUint32(16, TVFS_LOG_START, true);
  view.setUint32(20, TVFS_LOG_SECTORS, true);
  const seen = new Set<string>();
  let next = first;
  files.forEach((f, i) => {
    const name = encodeName(f.name);
    if (seen.has(f.name)) throw new TvfsError(`"${f.name}" is given twice`);
    seen.add(f.name);
    const room = f.capacity ?? f.data.length;
    if (room < f.data.length) throw new TvfsError(`"${f.name}" holds ${f.data.length} bytes, more than its capacity ${room}`);
    const capacity = Math.max(1, sectorsFor(room));
    if (next + capacity > sectors) {
      throw new TvfsError(`"${f.name}" does not fit: it needs sectors ${next}..${next + capacity - 1}, the disk has ${sectors} (${size} bytes); give a larger --size`);
    }
    const at = TVFS_DIR_OFFSET + i * TVFS_ENTRY_SIZE;
    disk.set(name, at);
    view.setUint32(at + 20, next, true);
    view.setUint32(at + 24, capacity, true);
    view.setUint32(at + 28, f.data.length, true);
    disk.set(f.data, next * SECTOR_SIZE);
    next += capacity;
  });
  return disk;
}

/** Read and check the directory of a disk image. Throws TvfsError naming what is wrong. */
export function readTvfs(disk: Uint8Array): Tvfs {
  if (disk.length < SECTOR_SIZE) throw new TvfsError(`not tvfs: the disk is ${disk.length} bytes, smaller than one sector`);
  const raw = superParser.parse(disk.subarray(0, SECTOR_SIZE)) as RawSuper;
  const magic = String.fromCharCode(...raw.magic);
  if (magic !== TVFS_MAGIC) throw new TvfsError(`not tvfs: sector 0 starts with ${JSON.stringify(magic)}, not "${TVFS_MAGIC}" (make one with typevisor mkdisk)`);
  if (raw.version !== TVFS_VERSION && raw.version !== TVFS_VERSION_NOLOG) {
    throw new TvfsError(`tvfs version ${raw.version} is not supported (this reads versions ${TVFS_VERSION_NOLOG} and ${TVFS_VERSION})`);
  }
  if (raw.slots !== TVFS_SLOTS) throw new TvfsError(`tvfs header: ${raw.slots} directory slots, version ${raw.version} has ${TVFS_SLOTS}`);
  const onDisk = Math.floor(disk.length / SECTOR_SIZE);
  if (raw.sectors < 1 || raw.sectors > onDisk) throw new TvfsError(`tvfs header: the filesystem spans ${raw.sectors} sectors, the disk has ${onDisk}`);
  let log: TvfsLog | undefined;
  let first = 1; // the first sector a file may use
  if (raw.version === TVFS_VERSION) {
    if (raw.logStart < 1 || raw.logSectors < 1 + TVFS_LOG_SLOTS || raw.logStart + raw.logSectors > raw.sectors) {
      throw new TvfsError(`tvfs header: a log of ${raw.logSectors} sectors from sector ${raw.logStart}; it needs at least ${1 + TVFS_LOG_SLOTS}, inside the filesystem (1..${raw.sectors - 1})`);
    }
    first = raw.logStart + raw.logSectors;
    log = { start: raw.logStart, sectors: raw.logSectors, committed: logHomes(disk, raw.logStart, raw.logSectors, raw.sectors).length };
  }

  const files: TvfsFile[] = [];
  raw.entries.forEach((e, slot) => {
    const where = `directory slot ${slot}`;
    const end = e.name.indexOf(0);
    if (end === 0) {
      if (e.start !== 0 || e.capacity !== 0 || e.size !== 0) throw new TvfsError(`${where}: a free slot (empty name) with a start, capacity or size`);
      return;
    }
    if (end < 0) throw new TvfsError(`${where}: the name has no NUL in its ${TVFS_NAME_FIELD} bytes`);
    let name: string;
    try {
      name = utf8.decode(e.name.subarray(0, end));
    } catch {
      throw new TvfsError(`${where}: the name is not UTF-8`);
    }
    const file: TvfsFile = { name, start: e.start, capacity: e.capacity, size: e.size };
    if (file.start < first || file.start + file.capacity > raw.sectors) throw new TvfsError(`"${name}": sectors ${file.start}..${file.start + file.capacity - 1} are outside the files' area (${first}..${raw.sectors - 1})`);
    if (file.size > file.capacity * SECTOR_SIZE) throw new TvfsError(`"${name}": size ${file.size} is more than its capacity (${file.capacity} sectors)`);
    for (const other of files) {
      if (other.name === name) throw new TvfsError(`"${name}" is in the directory twice`);
      if (file.start < other.start + other.capacity && other.start < file.start + file.capacity) throw new TvfsError(`"${name}" and "${other.name}" share sectors`);
    }
    files.push(file);
  });
  return log ? { version: raw.version, sectors: raw.sectors, log, files } : { version: raw.version, sectors: raw.sectors, files };
}

/** The home sectors a committed log header lists (none if n = 0); a TvfsError if the header is not a log header. */
function logHomes(disk: Uint8Array, start: number, sectors: number, fsSectors: number): number[] {
  const view = new DataView(disk.buffer, disk.byteOffset, disk.byteLength);
  const at = start * SECTOR_SIZE;
  const n = view.getUint32(at, true);
  if (n > sectors - 1) throw new TvfsError(`the log header (sector ${start}) says ${n} sectors are committed; the log has ${sectors - 1} slots`);
  const homes: number[] = [];
  for (let i = 0; i < n; i++) {
    const home = view.getUint32(at + 4 + 4 * i, true);
    if (home >= fsSectors || (home >= start && home < start + sectors)) throw new TvfsError(`the log header (sector ${start}): slot ${i} goes to sector ${home}, outside the filesystem or inside the log`);
    homes.push(home);
  }
  return homes;
}

/**
 * The disk as the guest kernel will see it after its next boot: a committed
 * but uninstalled log copied to its home sectors (on a copy; `disk` is not
 * changed), the header cleared. `installed` is how many sectors that took (0:
 * nothing was committed, `disk` itself is returned). A disk that is not tvfs
 * version 2 is returned as it is; readTvfs says what is wrong with it.
 */
export function installLog(disk: Uint8Array): { readonly disk: Uint8Array; readonly installed: number } {
  let fs: Tvfs;
  try {
    fs = readTvfs(disk);
  } catch (e) {
    if (e instanceof TvfsError) return { disk, installed: 0 };
    throw e;
  }
  if (!fs.log || fs.log.committed === 0) return { disk, installed: 0 };
  const { start, sectors } = fs.log;
  const homes = logHomes(disk, start, sectors, fs.sectors);
  const out = disk.slice();
  homes.forEach((home, i) => out.copyWithin(home * SECTOR_SIZE, (start + 1 + i) * SECTOR_SIZE, (start + 2 + i) * SECTOR_SIZE));
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(start * SECTOR_SIZE, 0, true);
  return { disk: out, installed: homes.length };
}

/**
 * Commit a transaction to a disk's log without installing it — what a kill
 * just after the commit point leaves behind (for tests): each sector's new
 * contents to a slot, then the header listing their homes.
 */
export function commitLog(disk: Uint8Array, writes: readonly { readonly sector: number; readonly data: Uint8Array }[]): void {
  const fs = readTvfs(disk);
  if (!fs.log) throw new TvfsError('a version 1 disk has no log');
  if (writes.length > fs.log.sectors - 1) throw new TvfsError(`${writes.length} sectors: the log has ${fs.log.sectors - 1} slots`);
  const view = new DataView(disk.buffer, disk.byteOffset, disk.byteLength);
  const at = fs.log.start * SECTOR_SIZE;
  writes.forEach((w, i) => {
    if (w.data.length !== SECTOR_SIZE) throw new TvfsError('a log slot holds one whole sector');
    disk.set(w.data, (fs.log!.start + 1 + i) * SECTOR_SIZE);
    view.setUint32(at + 4 + 4 * i, w.sector, true);
  });
  view.setUint32(at, writes.length, true);
}

/** A file's bytes (its size, not its whole capacity). */
export function fileBytes(disk: Uint8Array, file: TvfsFile): Uint8Array {
  const at = file.start * SECTOR_SIZE;
  return disk.slice(at, at + file.size);
}
