/**
 * The migration wire protocol: frames, their encoding, and a reader that cuts
 * a byte stream back into frames and checks every one.
 *
 * Every frame, version 2 (little-endian; 2 added the disk's frames, SECTORS to DISK_MAP):
 *
 *   0x00 ┌──────────────────────────────┐
 *        │ magic u16   0x4d54 ("TM")    │  a migration stream, not a control command
 *   0x02 │ version u8  2                │  a reader refuses any other
 *   0x03 │ type u8     FrameType        │
 *   0x04 │ length u32                   │  the whole frame, header included
 *   0x08 │ seq u32                      │  per direction, 0 on each new connection
 *   0x0c │ crc32 u32                    │  of the whole frame, this field read as 0
 *   0x10 ├──────────────────────────────┤
 *        │ payload (by type, below)     │
 *        └──────────────────────────────┘
 *
 * Payloads (FRAME_LAYOUT below is the source; a test checks this list against it):
 *   HELLO          id[16] memSize u32 strategy u8 observeMs u32 nameLen u16 name
 *   WELCOME        —
 *   PAGES          flags u8 (bit 0: answers a fault) round u16 count u16, then per page:
 *                  page u32 kind u8 (0 data: 4096 bytes follow; 1 zero: nothing follows)
 *   ROUND_END      round u16 pages u32           (the destination checks the count)
 *   STATE          mode u8 (0 complete, 1 post-copy) stateLen u32 state (VM state bytes, hypervisor/core/README.md)
 *                  bitmapLen u32 bitmap          (post-copy: bit set = page still on the source)
 *   STATE_ACK      —                             (restored; ready to resume on GO)
 *   GO             —                             (the source has let go: the commit point)
 *   RESUMED        at f64                        (destination clock when the guest resumed)
 *   PAGE_REQUEST   page u32                      (post-copy fault)
 *   COMPLETE       metricsLen u32 metrics (JSON) (every page is here)
 *   CANCEL, ERROR  reasonLen u16 reason
 *   RECOVER        id[16]                        (a new connection for an interrupted migration)
 *   RECOVER_STATE  stage u8 (0 waiting for GO, 1 running) bitmapLen u32 bitmap (pages still missing)
 *   SECTORS        flags u8 (bit 0: answers a fault) round u16 count u16, then per run: sector u32 sectors u16
 *                  kind u8 (0 data: sectors × 512 bytes follow; 1 zero: nothing follows)
 *   SECTOR_REQUEST  sector u32 count u16         (post-copy: a guest read of sectors not here yet)
 *   DISK_MAP       sectors u32 bitmapLen u32 bitmap (from the source before a post-copy STATE: bit set = sector
 *                  still on the source; from the destination after RECOVER_STATE: sectors still missing)
 *
 * A frame that cannot be read — wrong magic or version, a length out of
 * range, a checksum mismatch, a sequence number out of order, a payload that
 * does not fill its length exactly, a field out of range — is a ProtocolError
 * naming the frame, the field and its offset in the frame. The reader checks
 * framing first (it must know the length), then the checksum, then the rest:
 * a corrupted frame is reported as a checksum mismatch.
 */
// binary-parser's package.json `exports` hides its type declarations from
// NodeNext resolution of the bare specifier; its CommonJS build carries them.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { crc32 } from '../../isa/crc32.js';
import { PAGE_SIZE } from '../../vm/memmap.js';
import { MigrationError } from './migration-error.js';
import { STRATEGY_NAMES, type StrategyName } from './options.js';

export const PROTOCOL_MAGIC = 0x4d54;
export const PROTOCOL_VERSION = 2;
export const HEADER_SIZE = 16;
/** The largest frame a reader accepts: a full PAGES batch, or a state of a few MiB. */
export const MAX_FRAME = 16 * 1024 * 1024;
export const ID_BYTES = 16;
/** PAGES.round of pages sent after the switchover (post-copy). */
export const POSTCOPY_ROUND = 0xffff;

export const enum FrameType {
  HELLO = 1,
  WELCOME = 2,
  PAGES = 3,
  ROUND_END = 4,
  STATE = 5,
  STATE_ACK = 6,
  GO = 7,
  RESUMED = 8,
  PAGE_REQUEST = 9,
  COMPLETE = 10,
  CANCEL = 11,
  ERROR = 12,
  RECOVER = 13,
  RECOVER_STATE = 14,
  SECTORS = 15,
  SECTOR_REQUEST = 16,
  DISK_MAP = 17,
}

export const FRAME_NAMES: readonly string[] = ['?', 'HELLO', 'WELCOME', 'PAGES', 'ROUND_END', 'STATE', 'STATE_ACK', 'GO', 'RESUMED', 'PAGE_REQUEST', 'COMPLETE', 'CANCEL', 'ERROR', 'RECOVER', 'RECOVER_STATE', 'SECTORS', 'SECTOR_REQUEST', 'DISK_MAP'];
const LAST_TYPE = FrameType.DISK_MAP;
/** A disk sector: what SECTORS carries and SECTOR_REQUEST asks for. */
export const SECTOR_BYTES = 512;
/** The most sectors one run of a SECTORS frame (or one SECTOR_REQUEST) covers. */
export const MAX_RUN = 0xffff;

export const enum PageKind {
  DATA = 0,
  ZERO = 1,
}

export const enum StateMode {
  COMPLETE = 0,
  POSTCOPY = 1,
}

export interface PageEntry {
  readonly page: number;
  /** The page's bytes; undefined for a zero page (sent as a flag). */
  readonly data: Uint8Array | undefined;
}

/** A run of sectors in a SECTORS frame: `count` sectors from `sector`, their bytes (undefined: all zeros). */
export interface SectorRun {
  readonly sector: number;
  readonly count: number;
  readonly data: Uint8Array | undefined;
}

export type Frame =
  | { readonly type: FrameType.HELLO; readonly id: string; readonly memSize: number; readonly strategy: StrategyName; readonly observeMs: number; readonly name: string }
  | { readonly type: FrameType.WELCOME }
  | { readonly type: FrameType.PAGES; readonly requested: boolean; readonly round: number; readonly pages: readonly PageEntry[] }
  | { readonly type: FrameType.ROUND_END; readonly round: number; readonly pages: number }
  | { readonly type: FrameType.STATE; readonly mode: StateMode; readonly state: Uint8Array; readonly onSource: Uint8Array }
  | { readonly type: FrameType.STATE_ACK }
  | { readonly type: FrameType.GO }
  | { readonly type: FrameType.RESUMED; readonly at: number }
  | { readonly type: FrameType.PAGE_REQUEST; readonly page: number }
  | { readonly type: FrameType.COMPLETE; readonly metrics: string }
  | { readonly type: FrameType.CANCEL; readonly reason: string }
  | { readonly type: FrameType.ERROR; readonly reason: string }
  | { readonly type: FrameType.RECOVER; readonly id: string }
  | { readonly type: FrameType.RECOVER_STATE; readonly running: boolean; readonly missing: Uint8Array }
  | { readonly type: FrameType.SECTORS; readonly requested: boolean; readonly round: number; readonly runs: readonly SectorRun[] }
  | { readonly type: FrameType.SECTOR_REQUEST; readonly sector: number; readonly count: number }
  | { readonly type: FrameType.DISK_MAP; readonly sectors: number; readonly map: Uint8Array };

/**
 * One field of a payload, in wire order: a little-endian number, bytes (a
 * fixed count, or as many as an earlier length field says), or PAGES' entries
 * (`count` of them: page u32, kind u8, then PAGE_SIZE bytes for a data page).
 */
export type FieldSpec =
  | { readonly name: string; readonly type: 'u8' | 'u16' | 'u32' | 'f64' }
  | { readonly name: string; readonly type: 'bytes'; readonly length: number | string }
  | { readonly name: string; readonly type: 'pages'; readonly count: string }
  /** SECTORS' runs (`count` of them: sector u32, sectors u16, kind u8, then sectors × 512 bytes for data). */
  | { readonly name: string; readonly type: 'runs'; readonly count: string };

const u8 = (name: string): FieldSpec => ({ name, type: 'u8' });
const u16 = (name: string): FieldSpec => ({ name, type: 'u16' });
const u32 = (name: string): FieldSpec => ({ name, type: 'u32' });
const f64 = (name: string): FieldSpec => ({ name, type: 'f64' });
const bytes = (name: string, length: number | string): FieldSpec => ({ name, type: 'bytes', length });

/**
 * The payload of every frame type, field by field: the one statement of the
 * layout. The parsers, the least payload of each type and the size check are
 * made from it; encodeFrame writes it by hand (PAGES is the migration's
 * throughput) and a test decodes what it writes for every type.
 */
export const FRAME_LAYOUT: { readonly [T in FrameType]: readonly FieldSpec[] } = {
  [FrameType.HELLO]: [bytes('id', ID_BYTES), u32('memSize'), u8('strategy'), u32('observeMs'), u16('nameLen'), bytes('name', 'nameLen')],
  [FrameType.WELCOME]: [],
  [FrameType.PAGES]: [u8('flags'), u16('round'), u16('count'), { name: 'pages', type: 'pages', count: 'count' }],
  [FrameType.ROUND_END]: [u16('round'), u32('pages')],
  [FrameType.STATE]: [u8('mode'), u32('stateLen'), bytes('state', 'stateLen'), u32('bitmapLen'), bytes('bitmap', 'bitmapLen')],
  [FrameType.STATE_ACK]: [],
  [FrameType.GO]: [],
  [FrameType.RESUMED]: [f64('at')],
  [FrameType.PAGE_REQUEST]: [u32('page')],
  [FrameType.COMPLETE]: [u32('metricsLen'), bytes('metrics', 'metricsLen')],
  [FrameType.CANCEL]: [u16('reasonLen'), bytes('reason', 'reasonLen')],
  [FrameType.ERROR]: [u16('reasonLen'), bytes('reason', 'reasonLen')],
  [FrameType.RECOVER]: [bytes('id', ID_BYTES)],
  [FrameType.RECOVER_STATE]: [u8('stage'), u32('bitmapLen'), bytes('bitmap', 'bitmapLen')],
  [FrameType.SECTORS]: [u8('flags'), u16('round'), u16('count'), { name: 'runs', type: 'runs', count: 'count' }],
  [FrameType.SECTOR_REQUEST]: [u32('sector'), u16('count')],
  [FrameType.DISK_MAP]: [u32('sectors'), u32('bitmapLen'), bytes('bitmap', 'bitmapLen')],
};

const WIDTH = { u8: 1, u16: 2, u32: 4, f64: 8 } as const;

/** Bytes a field always takes (0 for bytes sized by a length field, and for PAGES' entries). */
const fixedWidth = (f: FieldSpec): number => (f.type === 'bytes' ? (typeof f.length === 'number' ? f.length : 0) : f.type === 'pages' || f.type === 'runs' ? 0 : WIDTH[f.type]);

/**
 * A payload's layout as the header comment above writes it, e.g.
 * `id[16] memSize u32 strategy u8 observeMs u32 nameLen u16 name`.
 */
export function layoutText(type: FrameType): string {
  const fields = FRAME_LAYOUT[type];
  if (fields.length === 0) return '—';
  return fields
    .map((f) => (f.type === 'bytes' ? (typeof f.length === 'number' ? `${f.name}[${f.length}]` : f.name) : f.type === 'pages' ? 'then per page: page u32 kind u8' : f.type === 'runs' ? 'then per run: sector u32 sectors u16 kind u8' : `${f.name} ${f.type}`))
    .join(' ');
}

/** Offset in the frame of a field that follows only fixed-size fields (for error messages). */
function fieldOffset(type: FrameType, name: string): number {
  let off = HEADER_SIZE;
  for (const f of FRAME_LAYOUT[type]) {
    if (f.name === name) return off;
    off += fixedWidth(f);
  }
  throw new Error(`${frameName(type)} has no field ${name}`);
}

/** A frame that cannot be read: which frame, which field, where in the frame. */
export class ProtocolError extends MigrationError {
  override readonly name = 'ProtocolError';
  constructor(
    /** FRAME_NAMES of the frame's type, or 'frame' when the type itself is unreadable. */
    readonly frame: string,
    /** e.g. `header.checksum`, `entry[2].kind`. */
    readonly field: string,
    /** Byte offset of the field in the frame. */
    readonly offset: number,
    problem: string,
  ) {
    super(`frame ${frame}: ${field} ${problem} (offset ${offset})`);
  }
}

export const frameName = (type: number): string => FRAME_NAMES[type] ?? `type ${type}`;

// ---- encoding ------------------------------------------------------------------

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = HEADER_SIZE;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(capacity, HEADER_SIZE));
    this.view = new DataView(this.buf.buffer);
  }
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }
  u8(v: number): this { this.room(1); this.view.setUint8(this.length, v); this.length += 1; return this; }
  u16(v: number): this { this.room(2); this.view.setUint16(this.length, v, true); this.length += 2; return this; }
  u32(v: number): this { this.room(4); this.view.setUint32(this.length, v >>> 0, true); this.length += 4; return this; }
  f64(v: number): this { this.room(8); this.view.setFloat64(this.length, v, true); this.length += 8; return this; }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.length); this.length += b.length; return this; }
  /** Close the frame: header, length, checksum. */
  seal(type: FrameType, seq: number): Uint8Array {
    const out = this.buf.subarray(0, this.length);
    const v = this.view;
    v.setUint16(0, PROTOCOL_MAGIC, true);
    v.setUint8(2, PROTOCOL_VERSION);
    v.setUint8(3, type);
    v.setUint32(4, this.length, true);
    v.setUint32(8, seq >>> 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(12, crc32(out), true);
    return out;
  }
}

function idBytes(id: string): Uint8Array {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new MigrationError(`migration id must be 32 hex digits, got '${id}'`);
  return Uint8Array.from(id.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Bytes of a PAGES frame carrying these pages (zero pages as flags). */
export function pagesFrameSize(pages: readonly PageEntry[]): number {
  let n = HEADER_SIZE + 5;
  for (const p of pages) n += p.data ? 5 + PAGE_SIZE : 5;
  return n;
}

/** Bytes of a SECTORS frame carrying these runs (zero runs as flags). */
export function sectorsFrameSize(runs: readonly SectorRun[]): number {
  let n = HEADER_SIZE + 5;
  for (const r of runs) n += 7 + (r.data ? r.count * SECTOR_BYTES : 0);
  return n;
}

/**
 * The bytes of one frame with this sequence number. `into` (PAGES): encode
 * into this buffer — the result is a view of its start — when it holds
 * pagesFrameSize() bytes (a sender's reusable buffer); otherwise a new one.
 */
export function encodeFrame(f: Frame, seq: number, into?: Uint8Array): Uint8Array {
  let w: Writer;
  switch (f.type) {
    case FrameType.HELLO: {
      const name = utf8.encode(f.name);
      w = new Writer(64 + name.length).bytes(idBytes(f.id)).u32(f.memSize).u8(STRATEGY_NAMES.indexOf(f.strategy)).u32(f.observeMs).u16(name.length).bytes(name);
      break;
    }
    case FrameType.PAGES:
      return encodePages(f, seq, into);
    case FrameType.ROUND_END:
      w = new Writer(32).u16(f.round).u32(f.pages);
      break;
    case FrameType.STATE: {
      w = new Writer(HEADER_SIZE + 9 + f.state.length + f.onSource.length).u8(f.mode).u32(f.state.length).bytes(f.state).u32(f.onSource.length).bytes(f.onSource);
      break;
    }
    case FrameType.RESUMED:
      w = new Writer(32).f64(f.at);
      break;
    case FrameType.PAGE_REQUEST:
      w = new Writer(32).u32(f.page);
      break;
    case FrameType.COMPLETE: {
      const m = utf8.encode(f.metrics);
      w = new Writer(HEADER_SIZE + 4 + m.length).u32(m.length).bytes(m);
      break;
    }
    case FrameType.CANCEL:
    case FrameType.ERROR: {
      const r = utf8.encode(f.reason.slice(0, 4000));
      w = new Writer(HEADER_SIZE + 2 + r.length).u16(r.length).bytes(r);
      break;
    }
    case FrameType.RECOVER:
      w = new Writer(32).bytes(idBytes(f.id));
      break;
    case FrameType.RECOVER_STATE:
      w = new Writer(HEADER_SIZE + 5 + f.missing.length).u8(f.running ? 1 : 0).u32(f.missing.length).bytes(f.missing);
      break;
    case FrameType.SECTORS: {
      w = new Writer(sectorsFrameSize(f.runs)).u8(f.requested ? 1 : 0).u16(f.round).u16(f.runs.length);
      for (const r of f.runs) {
        if (r.count < 1 || r.count > MAX_RUN) throw new MigrationError(`a run of ${r.count} sectors: runs have 1..${MAX_RUN}`);
        if (r.data && r.data.length !== r.count * SECTOR_BYTES) throw new MigrationError(`sectors ${r.sector}+${r.count}: ${r.data.length} bytes, not ${r.count * SECTOR_BYTES}`);
        w.u32(r.sector).u16(r.count).u8(r.data ? PageKind.DATA : PageKind.ZERO);
        if (r.data) w.bytes(r.data);
      }
      break;
    }
    case FrameType.SECTOR_REQUEST:
      w = new Writer(32).u32(f.sector).u16(f.count);
      break;
    case FrameType.DISK_MAP:
      w = new Writer(HEADER_SIZE + 8 + f.map.length).u32(f.sectors).u32(f.map.length).bytes(f.map);
      break;
    default:
      w = new Writer(HEADER_SIZE);
  }
  return w.seal(f.type, seq);
}

/**
 * A PAGES frame, written straight into one buffer of exactly its size: the
 * pages copied in once, the header and checksum (zlib's CRC-32 where Node
 * has it) over the whole at the end.
 */
function encodePages(f: Extract<Frame, { type: FrameType.PAGES }>, seq: number, into?: Uint8Array): Uint8Array {
  const size = pagesFrameSize(f.pages);
  if (size > MAX_FRAME) throw new MigrationError(`a PAGES frame of ${f.pages.length} pages (${size} bytes) is larger than a frame may be (${MAX_FRAME})`);
  const out = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  const v = new DataView(out.buffer, out.byteOffset, size);
  v.setUint16(0, PROTOCOL_MAGIC, true);
  v.setUint8(2, PROTOCOL_VERSION);
  v.setUint8(3, FrameType.PAGES);
  v.setUint32(4, size, true);
  v.setUint32(8, seq >>> 0, true);
  v.setUint32(12, 0, true);
  v.setUint8(HEADER_SIZE, f.requested ? 1 : 0);
  v.setUint16(HEADER_SIZE + 1, f.round, true);
  v.setUint16(HEADER_SIZE + 3, f.pages.length, true);
  let at = HEADER_SIZE + 5;
  for (const p of f.pages) {
    v.setUint32(at, p.page >>> 0, true);
    if (p.data) {
      if (p.data.length !== PAGE_SIZE) throw new MigrationError(`page ${p.page}: ${p.data.length} bytes, a page is ${PAGE_SIZE}`);
      out[at + 4] = PageKind.DATA;
      out.set(p.data, at + 5);
      at += 5 + PAGE_SIZE;
    } else {
      out[at + 4] = PageKind.ZERO;
      at += 5;
    }
  }
  v.setUint32(12, crc32(out), true);
  return out;
}

// ---- decoding ------------------------------------------------------------------

interface RawHeader {
  magic: number;
  version: number;
  type: number;
  length: number;
  seq: number;
  crc: number;
}

const headerParser = new Parser().endianness('little').uint16('magic').uint8('version').uint8('type').uint32('length').uint32('seq').uint32('crc');

const lengthOf = (field: string) =>
  function (this: Record<string, number>): number {
    return this[field]!;
  };

const pageEntryParser = new Parser()
  .endianness('little')
  .uint32('page')
  .uint8('kind')
  .buffer('data', {
    length: function (this: { kind: number }): number {
      return this.kind === PageKind.DATA ? PAGE_SIZE : 0;
    },
  });

const runEntryParser = new Parser()
  .endianness('little')
  .uint32('sector')
  .uint16('sectors')
  .uint8('kind')
  .buffer('data', {
    length: function (this: { kind: number; sectors: number }): number {
      return this.kind === PageKind.DATA ? this.sectors * SECTOR_BYTES : 0;
    },
  });

function payloadParser(fields: readonly FieldSpec[]): Parser {
  let p = new Parser().endianness('little');
  for (const f of fields) {
    switch (f.type) {
      case 'u8': p = p.uint8(f.name); break;
      case 'u16': p = p.uint16(f.name); break;
      case 'u32': p = p.uint32(f.name); break;
      case 'f64': p = p.doublele(f.name); break;
      case 'bytes': p = p.buffer(f.name, { length: typeof f.length === 'number' ? f.length : lengthOf(f.length) }); break;
      // The layout; decodePages() reads it by hand.
      case 'pages': p = p.array(f.name, { type: pageEntryParser, length: f.count }); break;
      // Likewise; decodeSectors() reads it by hand.
      case 'runs': p = p.array(f.name, { type: runEntryParser, length: f.count }); break;
    }
  }
  return p;
}

/** A parser for each type with a payload (a type without one has none here). */
const PAYLOAD: Partial<Record<FrameType, Parser>> = {};
/**
 * The least payload each type can have (its fixed fields), so that a short
 * payload is named before binary-parser runs off its end.
 */
const MIN_PAYLOAD: Partial<Record<FrameType, number>> = {};
for (let type = FrameType.HELLO; type <= LAST_TYPE; type++) {
  const fields = FRAME_LAYOUT[type];
  if (fields.length === 0) continue;
  PAYLOAD[type] = payloadParser(fields);
  MIN_PAYLOAD[type] = fields.reduce((n, f) => n + fixedWidth(f), 0);
}

// Compiled now, not on each type's first frame: STATE's would otherwise be compiled inside the downtime.
for (const parser of Object.values(PAYLOAD)) parser.compile();

/** The checksum field, read as zero. */
const ZERO_CRC = new Uint8Array(4);

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Size in bytes of the parsed payload, recomputed from its fields (to check it fills the frame). */
function payloadSize(type: FrameType, p: Record<string, unknown>): number {
  let n = 0;
  for (const f of FRAME_LAYOUT[type]) {
    if (f.type === 'bytes') n += typeof f.length === 'number' ? f.length : (p[f.length] as number);
    else if (f.type === 'pages') n += (p[f.name] as { kind: number }[]).reduce((k, e) => k + 5 + (e.kind === PageKind.DATA ? PAGE_SIZE : 0), 0);
    else if (f.type === 'runs') n += (p[f.name] as { kind: number; sectors: number }[]).reduce((k, e) => k + 7 + (e.kind === PageKind.DATA ? e.sectors * SECTOR_BYTES : 0), 0);
    else n += WIDTH[f.type];
  }
  return n;
}

/**
 * Decode one whole frame (its bytes exactly). `expectedSeq`: the sequence
 * number this frame must carry.
 */
export function decodeFrame(bytes: Uint8Array, expectedSeq: number): Frame {
  if (bytes.length < HEADER_SIZE) throw new ProtocolError('frame', 'header', 0, `is truncated: ${bytes.length} of ${HEADER_SIZE} bytes`);
  const h = headerParser.parse(bytes) as RawHeader;
  const name = frameName(h.type);
  if (h.magic !== PROTOCOL_MAGIC) throw new ProtocolError(name, 'header.magic', 0, `is 0x${h.magic.toString(16)}, not 0x${PROTOCOL_MAGIC.toString(16)} ("TM"): not a migration stream`);
  if (h.length !== bytes.length) throw new ProtocolError(name, 'header.length', 4, `says ${h.length} bytes, the frame has ${bytes.length}`);
  const crc = crc32(bytes.subarray(HEADER_SIZE), crc32(ZERO_CRC, crc32(bytes.subarray(0, 12))));
  if (crc !== h.crc) throw new ProtocolError(name, 'header.checksum', 12, `mismatch: expected 0x${crc.toString(16).padStart(8, '0')}, found 0x${h.crc.toString(16).padStart(8, '0')}: the frame is corrupt`);
  if (h.version !== PROTOCOL_VERSION) throw new ProtocolError(name, 'header.version', 2, `is ${h.version}; this side speaks version ${PROTOCOL_VERSION}`);
  if (h.type < FrameType.HELLO || h.type > LAST_TYPE) throw new ProtocolError(name, 'header.type', 3, `is ${h.type}, not a frame type (1..${LAST_TYPE})`);
  if (h.seq !== expectedSeq) throw new ProtocolError(name, 'header.seq', 8, `is ${h.seq}, expected ${expectedSeq}: a frame was lost or came out of order`);
  const type = h.type as FrameType;
  const payload = bytes.subarray(HEADER_SIZE);
  const parser = PAYLOAD[type];
  if (!parser) {
    if (payload.length !== 0) throw new ProtocolError(name, 'payload', HEADER_SIZE, `has ${payload.length} bytes; ${name} carries none`);
    return { type } as Frame;
  }
  const min = MIN_PAYLOAD[type] ?? 0;
  if (payload.length < min) throw new ProtocolError(name, 'payload', HEADER_SIZE, `is truncated: ${payload.length} bytes, at least ${min} needed`);
  if (type === FrameType.PAGES) return decodePages(name, payload);
  if (type === FrameType.SECTORS) return decodeSectors(name, payload);
  let p: Record<string, unknown>;
  try {
    p = parser.parse(payload) as Record<string, unknown>;
  } catch {
    throw new ProtocolError(name, 'payload', HEADER_SIZE, `is truncated: its length fields run past the frame's ${payload.length} bytes`);
  }
  const size = payloadSize(type, p);
  if (size !== payload.length) throw new ProtocolError(name, 'payload', HEADER_SIZE, `fields add up to ${size} bytes, the frame carries ${payload.length}`);
  return build(type, name, p);
}

/**
 * PAGES, read by hand (the bulk of a migration: no parser objects per entry),
 * with the same checks in the same order as the other payloads get: the
 * entries' framing, then their sizes against the frame's, then each field.
 * Page data are views into the frame, never copies.
 */
function decodePages(name: string, payload: Uint8Array): Frame {
  const len = payload.length;
  const v = new DataView(payload.buffer, payload.byteOffset, len);
  const flags = v.getUint8(0);
  const round = v.getUint16(1, true);
  const count = v.getUint16(3, true);
  const numbers = new Array<number>(count);
  const kinds = new Uint8Array(count);
  let off = 5;
  for (let i = 0; i < count; i++) {
    if (off + 5 > len) throw new ProtocolError(name, 'payload', HEADER_SIZE, `is truncated: its length fields run past the frame's ${len} bytes`);
    numbers[i] = v.getUint32(off, true);
    const kind = (kinds[i] = payload[off + 4]!);
    off += kind === PageKind.DATA ? 5 + PAGE_SIZE : 5;
  }
  if (off !== len) throw new ProtocolError(name, 'payload', HEADER_SIZE, `fields add up to ${off} bytes, the frame carries ${len}`);
  const H = HEADER_SIZE;
  const pages = new Array<PageEntry>(count);
  off = 5;
  for (let i = 0; i < count; i++) {
    const kind = kinds[i]!;
    if (kind !== PageKind.DATA && kind !== PageKind.ZERO) throw new ProtocolError(name, `entry[${i}].kind`, H + off + 4, `is ${kind} (0 data, 1 zero)`);
    // A view into the frame: written into guest memory, never kept.
    pages[i] = { page: numbers[i]!, data: kind === PageKind.DATA ? payload.subarray(off + 5, off + 5 + PAGE_SIZE) : undefined };
    off += kind === PageKind.DATA ? 5 + PAGE_SIZE : 5;
  }
  if ((flags & ~1) !== 0) throw new ProtocolError(name, 'flags', H, `has unknown bits 0x${flags.toString(16)}`);
  return { type: FrameType.PAGES, requested: (flags & 1) !== 0, round, pages };
}

/**
 * SECTORS, read by hand as PAGES is: the runs' framing, then their sizes
 * against the frame's, then each field. Sector data are views into the frame.
 */
function decodeSectors(name: string, payload: Uint8Array): Frame {
  const len = payload.length;
  const v = new DataView(payload.buffer, payload.byteOffset, len);
  const flags = v.getUint8(0);
  const round = v.getUint16(1, true);
  const count = v.getUint16(3, true);
  const H = HEADER_SIZE;
  const runs = new Array<SectorRun>(count);
  let off = 5;
  const at: number[] = [];
  for (let i = 0; i < count; i++) {
    if (off + 7 > len) throw new ProtocolError(name, 'payload', H, `is truncated: its length fields run past the frame's ${len} bytes`);
    at.push(off);
    const kind = payload[off + 6]!;
    off += 7 + (kind === PageKind.DATA ? v.getUint16(off + 4, true) * SECTOR_BYTES : 0);
  }
  if (off !== len) throw new ProtocolError(name, 'payload', H, `fields add up to ${off} bytes, the frame carries ${len}`);
  for (let i = 0; i < count; i++) {
    const o = at[i]!;
    const sector = v.getUint32(o, true);
    const n = v.getUint16(o + 4, true);
    const kind = payload[o + 6]!;
    if (n === 0) throw new ProtocolError(name, `run[${i}].sectors`, H + o + 4, 'is 0: a run has at least one sector');
    if (kind !== PageKind.DATA && kind !== PageKind.ZERO) throw new ProtocolError(name, `run[${i}].kind`, H + o + 6, `is ${kind} (0 data, 1 zero)`);
    runs[i] = { sector, count: n, data: kind === PageKind.DATA ? payload.subarray(o + 7, o + 7 + n * SECTOR_BYTES) : undefined };
  }
  if ((flags & ~1) !== 0) throw new ProtocolError(name, 'flags', H, `has unknown bits 0x${flags.toString(16)}`);
  return { type: FrameType.SECTORS, requested: (flags & 1) !== 0, round, runs };
}

function text(name: string, field: string, offset: number, b: Uint8Array): string {
  try {
    return fromUtf8.decode(b);
  } catch {
    throw new ProtocolError(name, field, offset, 'is not valid UTF-8');
  }
}

function build(type: FrameType, name: string, p: Record<string, unknown>): Frame {
  switch (type) {
    case FrameType.HELLO: {
      const strategy = STRATEGY_NAMES[p['strategy'] as number];
      if (!strategy) throw new ProtocolError(name, 'strategy', fieldOffset(type, 'strategy'), `is ${String(p['strategy'])}, not a strategy (0..${STRATEGY_NAMES.length - 1})`);
      const memSize = p['memSize'] as number;
      if (memSize === 0 || memSize % PAGE_SIZE !== 0) throw new ProtocolError(name, 'memSize', fieldOffset(type, 'memSize'), `is ${memSize}, not a positive multiple of ${PAGE_SIZE}`);
      return { type, id: hex(p['id'] as Uint8Array), memSize, strategy, observeMs: p['observeMs'] as number, name: text(name, 'name', fieldOffset(type, 'name'), p['name'] as Uint8Array) };
    }
    case FrameType.ROUND_END:
      return { type, round: p['round'] as number, pages: p['pages'] as number };
    case FrameType.STATE: {
      const mode = p['mode'] as number;
      if (mode !== StateMode.COMPLETE && mode !== StateMode.POSTCOPY) throw new ProtocolError(name, 'mode', fieldOffset(type, 'mode'), `is ${mode} (0 complete, 1 post-copy)`);
      return { type, mode, state: new Uint8Array(p['state'] as Uint8Array), onSource: new Uint8Array(p['bitmap'] as Uint8Array) };
    }
    case FrameType.RESUMED:
      return { type, at: p['at'] as number };
    case FrameType.PAGE_REQUEST:
      return { type, page: p['page'] as number };
    case FrameType.COMPLETE:
      return { type, metrics: text(name, 'metrics', fieldOffset(type, 'metrics'), p['metrics'] as Uint8Array) };
    case FrameType.CANCEL:
    case FrameType.ERROR:
      return { type, reason: text(name, 'reason', fieldOffset(type, 'reason'), p['reason'] as Uint8Array) };
    case FrameType.RECOVER:
      return { type, id: hex(p['id'] as Uint8Array) };
    case FrameType.RECOVER_STATE:
      return { type, running: (p['stage'] as number) !== 0, missing: new Uint8Array(p['bitmap'] as Uint8Array) };
    case FrameType.SECTOR_REQUEST: {
      const count = p['count'] as number;
      if (count === 0) throw new ProtocolError(name, 'count', fieldOffset(type, 'count'), 'is 0: a request asks for at least one sector');
      return { type, sector: p['sector'] as number, count };
    }
    case FrameType.DISK_MAP: {
      const sectors = p['sectors'] as number;
      const map = new Uint8Array(p['bitmap'] as Uint8Array);
      if (map.length !== Math.ceil(sectors / 8)) throw new ProtocolError(name, 'bitmapLen', fieldOffset(type, 'bitmapLen'), `is ${map.length}; ${sectors} sectors need ${Math.ceil(sectors / 8)}`);
      return { type, sectors, map };
    }
    default:
      return { type } as Frame;
  }
}

/**
 * Cuts a byte stream into frames. push() what arrives; next() returns each
 * whole frame, decoded and checked, in order; end() says whether the stream
 * stopped between frames or inside one.
 */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Where a frame that arrived in pieces is put together, when `reuse` (grown as needed). */
  private scratch: Uint8Array | undefined;
  /** The sequence number the next frame must carry. */
  seq = 0;

  /**
   * `reuse`: a frame that arrived in several pieces is put together in one
   * buffer kept for the next — no allocation per frame, but the views a
   * frame holds (PAGES data) are good only until the next call of next().
   */
  constructor(private readonly options: { readonly reuse?: boolean } = {}) {}

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.buffered += bytes.length;
  }

  /** The next whole frame, or undefined if it has not all arrived. */
  next(): Frame | undefined {
    if (this.buffered < HEADER_SIZE) return undefined;
    const head = this.peek(HEADER_SIZE);
    const dv = new DataView(head.buffer, head.byteOffset, HEADER_SIZE);
    const magic = dv.getUint16(0, true);
    const type = frameName(dv.getUint8(3));
    if (magic !== PROTOCOL_MAGIC) throw new ProtocolError(type, 'header.magic', 0, `is 0x${magic.toString(16)}, not 0x${PROTOCOL_MAGIC.toString(16)} ("TM"): not a migration stream, or the stream lost its place`);
    const length = dv.getUint32(4, true);
    if (length < HEADER_SIZE || length > MAX_FRAME) throw new ProtocolError(type, 'header.length', 4, `is ${length}, outside ${HEADER_SIZE}..${MAX_FRAME}`);
    if (this.buffered < length) return undefined;
    const frame = decodeFrame(this.take(length), this.seq);
    this.seq++;
    return frame;
  }

  /** The stream ended: an error if it ended inside a frame. */
  end(): void {
    if (this.buffered === 0) return;
    const head = this.peek(Math.min(this.buffered, HEADER_SIZE));
    const name = head.length >= 4 ? frameName(head[3]!) : 'frame';
    const length = head.length >= 8 ? new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true) : undefined;
    throw new ProtocolError(name, length === undefined ? 'header' : 'payload', head.length >= 8 ? HEADER_SIZE : 0, `is truncated: the stream ended after ${this.buffered} of ${length ?? HEADER_SIZE} bytes`);
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return this.gather(n, false);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    return this.gather(n, true);
  }

  private gather(n: number, consume: boolean): Uint8Array {
    let out: Uint8Array;
    if (consume && this.options.reuse) {
      if (!this.scratch || this.scratch.length < n) this.scratch = new Uint8Array(Math.min(Math.max(n, 2 * (this.scratch?.length ?? 0)), MAX_FRAME));
      out = this.scratch.subarray(0, n);
    } else {
      out = new Uint8Array(n);
    }
    let got = 0;
    let i = 0;
    while (got < n) {
      const c = this.chunks[i]!;
      const k = Math.min(c.length, n - got);
      out.set(c.subarray(0, k), got);
      got += k;
      if (consume) {
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      } else i++;
    }
    if (consume) this.buffered -= n;
    return out;
  }
}

/** True if these first bytes of a connection start a migration stream (the frame magic). */
export function isMigrationStream(first: Uint8Array): boolean {
  return first.length >= 2 && first[0] === (PROTOCOL_MAGIC & 0xff) && first[1] === PROTOCOL_MAGIC >>> 8;
}

/** A bitmap with one bit per page (bit set: the page is marked). */
export function packBitmap(marks: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(marks.length / 8));
  // Eight marks at a time where they are whole words of 0 or 1 (on the switchover's path: it runs once, cold).
  const aligned = marks.byteOffset % 4 === 0;
  const whole = aligned ? marks.length >>> 3 : 0;
  const words = new Uint32Array(marks.buffer, aligned ? marks.byteOffset : 0, whole * 2);
  for (let i = 0; i < whole; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if ((lo | hi) === 0) continue;
    if (lo === 0x01010101 && hi === 0x01010101) out[i] = 0xff;
    else for (let k = 0; k < 8; k++) if (marks[i * 8 + k] !== 0) out[i]! |= 1 << k;
  }
  for (let p = whole * 8; p < marks.length; p++) if (marks[p] !== 0) out[p >>> 3]! |= 1 << (p & 7);
  return out;
}

export function unpackBitmap(bits: Uint8Array, pages: number): Uint8Array {
  const out = new Uint8Array(pages);
  const whole = Math.min(bits.length, pages >>> 3);
  // Runs of whole bytes set (post-copy: most of memory still on the source) as one fill each.
  let run = -1;
  for (let i = 0; i < whole; i++) {
    const b = bits[i]!;
    if (b === 0xff) {
      if (run < 0) run = i;
      continue;
    }
    if (run >= 0) {
      out.fill(1, run * 8, i * 8);
      run = -1;
    }
    if (b !== 0) for (let k = 0; k < 8; k++) out[i * 8 + k] = (b >>> k) & 1;
  }
  if (run >= 0) out.fill(1, run * 8, whole * 8);
  for (let p = whole * 8; p < pages; p++) out[p] = (bits[p >>> 3]! >>> (p & 7)) & 1;
  return out;
}
