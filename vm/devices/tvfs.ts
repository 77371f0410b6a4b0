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
 *   0x004 │ version (1)                          │
 *   0x008 │ sectors: how many the filesystem spans│
 *   0x00c │ slots: directory entries (15)        │
 *   0x010 │ reserved, zero (16 bytes)            │
 *   0x020 ├──────────────────────────────────────┤
 *         │ 15 entries of 32 bytes:              │
 *         │   name[20]  UTF-8, NUL padded        │  at most 19 bytes: a NUL always ends it
 *         │   start     first sector             │
 *         │   capacity  sectors reserved         │
 *         │   size      bytes in use             │
 *   0x200 └──────────────────────────────────────┘
 *
 * An entry with an empty name is free (and all zero). A file is one
 * contiguous run of sectors, [start, start + capacity), after sector 0; runs
 * do not overlap; size ≤ capacity × 512. A file may grow within its capacity
 * and no further: the kernel writes a file's new size back here when the
 * file is closed. There are no directories and no free-space map: a new file
 * goes after the last run.
 */
// See isa/image.ts: binary-parser's `exports` hides its types from NodeNext.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { SECTOR_SIZE } from './disk.js';

export const TVFS_MAGIC = 'TVFS';
export const TVFS_VERSION = 1;
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

export interface Tvfs {
  /** Sectors the filesystem spans (sector 0 included). */
  readonly sectors: number;
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
  readonly entries: readonly RawEntry[];
}

const superParser = new Parser()
  .endianness('little')
  .buffer('magic', { length: 4 })
  .uint32('version')
  .uint32('sectors')
  .uint32('slots')
  .seek(TVFS_DIR_OFFSET - 16)
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

/** A disk image of `size` bytes holding `files`, one after another from sector 1. */
export function makeTvfs(files: readonly TvfsInput[], size: number): Uint8Array {
  if (size % SECTOR_SIZE !== 0 || size < SECTOR_SIZE) throw new TvfsError(`a disk is a whole number of ${SECTOR_SIZE}-byte sectors, at least one; ${size} bytes is not`);
  if (files.length > TVFS_SLOTS) throw new TvfsError(`${files.length} files: tvfs has room for ${TVFS_SLOTS}`);
  const sectors = size / SECTOR_SIZE;
  const disk = new Uint8Array(size);
  const view = new DataView(disk.buffer);
  disk.set(encoder.encode(TVFS_MAGIC), 0);
  view.setUint32(4, TVFS_VERSION, true);
  view.setUint32(8, sectors, true);
  view.setUint32(12, TVFS_SLOTS, true);
  const seen = new Set<string>();
  let next = 1;
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
  if (raw.version !== TVFS_VERSION) throw new TvfsError(`tvfs version ${raw.version} is not supported (this reads version ${TVFS_VERSION})`);
  if (raw.slots !== TVFS_SLOTS) throw new TvfsError(`tvfs header: ${raw.slots} directory slots, version ${TVFS_VERSION} has ${TVFS_SLOTS}`);
  const onDisk = Math.floor(disk.length / SECTOR_SIZE);
  if (raw.sectors < 1 || raw.sectors > onDisk) throw new TvfsError(`tvfs header: the filesystem spans ${raw.sectors} sectors, the disk has ${onDisk}`);

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
    if (file.start < 1 || file.start + file.capacity > raw.sectors) throw new TvfsError(`"${name}": sectors ${file.start}..${file.start + file.capacity - 1} are outside the filesystem (1..${raw.sectors - 1})`);
    if (file.size > file.capacity * SECTOR_SIZE) throw new TvfsError(`"${name}": size ${file.size} is more than its capacity (${file.capacity} sectors)`);
    for (const other of files) {
      if (other.name === name) throw new TvfsError(`"${name}" is in the directory twice`);
      if (file.start < other.start + other.capacity && other.start < file.start + file.capacity) throw new TvfsError(`"${name}" and "${other.name}" share sectors`);
    }
    files.push(file);
  });
  return { sectors: raw.sectors, files };
}

/** A file's bytes (its size, not its whole capacity). */
export function fileBytes(disk: Uint8Array, file: TvfsFile): Uint8Array {
  const at = file.start * SECTOR_SIZE;
  return disk.slice(at, at + file.size);
}
