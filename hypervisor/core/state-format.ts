/**
 * The VM state format: a VmState (state.ts) as bytes, and back — what the
 * migration STATE frame carries and what snapshots will store. The layout
 * table, with every offset, is in hypervisor/core/README.md ("VM state
 * format"); the field tables below are its definition.
 *
 * Version 1.0. Every integer is little-endian.
 *
 *   0x00 magic "TVST"
 *   0x04 major u16 · 0x06 minor u16
 *   0x08 length u32     the whole state, this header included
 *   0x0c crc32 u32      of the whole state, this field read as 0
 *   0x10 sections, one after another to `length`: tag u16, length u32 (of
 *        the body after these 6 bytes), body — the section's fields in order
 *
 * Sections of 1.0, each exactly once and in this order: vm (1), cpu (2),
 * vcpu (3), devices.console (4), devices.disk (5), devices.net (6),
 * devices.power (7).
 *
 * Compatibility. The first 16 bytes keep this meaning in every version. A
 * reader refuses any major version but its own (1). Within major 1 a minor
 * version may only add: fields at the end of a section's body, and sections
 * with new tags. So a reader takes any minor: from a newer minor it reads the
 * fields it knows and skips the rest of each body and the sections whose tag
 * it does not know; from an older minor it reads the fields that minor has (a
 * field added by a later minor must say here what its absence means; 1.0 has
 * no such field). A tag or trailing bytes a reader does not know, in a state
 * whose minor is not newer than the reader's, is an error: nobody could have
 * written them.
 *
 * Checking order, as the image format and the wire protocol do: the framing
 * first (header, version, length — a short state is reported at the field
 * where it was cut), then the checksum, then the sections' framing and every
 * value. So a corrupted state is a checksum mismatch, while a state with a
 * valid checksum and a bad value (a writer's bug) names the field. Every
 * refusal is a VmStateError naming the field and its byte offset; the writer
 * refuses the same values, naming the offset the field would have had.
 */
// binary-parser's package.json `exports` hides its type declarations from
// NodeNext resolution of the bare specifier; its CommonJS build carries them.
import { Parser } from 'binary-parser/dist/binary_parser.js';
import { crc32 } from '../../isa/crc32.js';
import { CSR_COUNT } from '../../isa/csr.js';
import { REGISTER_COUNT } from '../../isa/registers.js';
import { CONSOLE_QUEUE_MAX } from '../../vm/devices/console.js';
import { NET_QUEUE_MAX } from '../../vm/devices/net.js';
import { LIFECYCLES } from './lifecycle.js';
import { MONITORS, type VmState } from './state.js';

export const STATE_MAGIC = 'TVST';
export const STATE_MAJOR = 1;
export const STATE_MINOR = 0;
export const STATE_HEADER_SIZE = 16;
/** Tag u16 and body length u32 before every section's body. */
export const SECTION_HEADER_SIZE = 6;

/** Format 1.0 holds 16 registers and 12 CSRs: an ISA with other counts needs a new format version. */
const FORMAT_REGS = 16;
const FORMAT_CSRS = 12;
if (REGISTER_COUNT !== FORMAT_REGS || CSR_COUNT !== FORMAT_CSRS) {
  throw new Error(`the ISA has ${REGISTER_COUNT} registers and ${CSR_COUNT} CSRs; VM state format ${STATE_MAJOR}.${STATE_MINOR} holds ${FORMAT_REGS} and ${FORMAT_CSRS}: give the format a new version`);
}

/** A state that cannot be read (or written): which field, where, and what is wrong. */
export class VmStateError extends Error {
  override readonly name = 'VmStateError';
  constructor(
    /** The field's path in VmState, e.g. `cpu.pc`, `devices.disk.status`, or `header.checksum`. */
    readonly field: string,
    /** Byte offset of the field from the start of the state. */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`VM state: ${field} at offset ${offset}: ${problem}`);
  }
}

// ---- the sections ---------------------------------------------------------------

/**
 * u8, u32, i32, u64, i64: integers (u64/i64 hold numbers up to 2^53 − 1 in
 * magnitude, what a JS number counts exactly); bool: u8 0 or 1; enum: u8
 * index into `values`; text: u16 length + UTF-8; bytes: u32 length + bytes.
 */
type Kind = 'u8' | 'bool' | 'enum' | 'u32' | 'i32' | 'u64' | 'i64' | 'text' | 'bytes';

interface Field {
  readonly name: string;
  readonly kind: Kind;
  /** An array of this many (u32/i32 only). */
  readonly count?: number;
  /** enum: the names, by value. */
  readonly values?: readonly string[];
  /** u8: the largest value allowed; text, bytes: the longest. */
  readonly max?: number;
  /** What the values mean, for messages: "0 user, 1 supervisor". */
  readonly meaning?: string;
}

interface Section {
  readonly tag: number;
  /** The record's path in VmState; field paths are `${name}.${field}`. */
  readonly name: string;
  readonly fields: readonly Field[];
}

const u64 = (name: string): Field => ({ name, kind: 'u64' });
const bool = (name: string): Field => ({ name, kind: 'bool' });

export const enum SectionTag {
  VM = 1,
  CPU = 2,
  VCPU = 3,
  CONSOLE = 4,
  DISK = 5,
  NET = 6,
  POWER = 7,
}

/** The sections of 1.0, in the order they are written and must be read. */
const SECTIONS: readonly Section[] = [
  {
    tag: SectionTag.VM,
    name: 'vm',
    fields: [
      { name: 'name', kind: 'text', max: 0xffff },
      { name: 'monitor', kind: 'enum', values: MONITORS },
      { name: 'lifecycle', kind: 'enum', values: LIFECYCLES },
    ],
  },
  {
    tag: SectionTag.CPU,
    name: 'cpu',
    fields: [
      { name: 'regs', kind: 'i32', count: FORMAT_REGS },
      { name: 'pc', kind: 'u32' },
      { name: 'mode', kind: 'u8', max: 1, meaning: '0 user, 1 supervisor' },
      { name: 'csr', kind: 'i32', count: FORMAT_CSRS },
      u64('instret'),
      u64('idle'),
      { name: 'timerDeadline', kind: 'i64' },
    ],
  },
  {
    tag: SectionTag.VCPU,
    name: 'vcpu',
    fields: [{ name: 'ipDevices', kind: 'u32' }, bool('waiting'), bool('halted'), { name: 'exitStatus', kind: 'i32' }],
  },
  {
    tag: SectionTag.CONSOLE,
    name: 'devices.console',
    fields: [{ name: 'rx', kind: 'bytes', max: CONSOLE_QUEUE_MAX }, bool('irqEnabled'), bool('ended'), bool('endPending'), u64('transmitted')],
  },
  {
    tag: SectionTag.DISK,
    name: 'devices.disk',
    fields: [
      { name: 'sector', kind: 'u32' },
      { name: 'addr', kind: 'u32' },
      { name: 'count', kind: 'u32' },
      { name: 'cmd', kind: 'u32' },
      { name: 'status', kind: 'u8', max: 3, meaning: '0 idle, 1 busy, 2 done, 3 error' },
      { name: 'error', kind: 'u8', max: 5, meaning: '0 none … 5 busy: a DiskError' },
      u64('reads'),
      u64('writes'),
    ],
  },
  {
    tag: SectionTag.NET,
    name: 'devices.net',
    fields: [{ name: 'rx', kind: 'bytes', max: NET_QUEUE_MAX }, bool('irqEnabled'), bool('connected'), bool('closed'), bool('changed'), u64('transmitted'), u64('received'), u64('dropped')],
  },
  { tag: SectionTag.POWER, name: 'devices.power', fields: [] },
];

const BY_TAG = new Map(SECTIONS.map((s, i) => [s.tag, i]));

type Values = Record<string, unknown>;

/** Each section's fields, taken from a VmState. */
function sectionValues(s: VmState): Values[] {
  return [
    { name: s.name, monitor: s.monitor, lifecycle: s.lifecycle },
    { ...s.cpu },
    { ...s.vcpu },
    { ...s.devices.console },
    { ...s.devices.disk },
    { ...s.devices.net },
    { ...s.devices.power },
  ];
}

/** A VmState from each section's (checked) fields. */
function fromValues(v: readonly Values[]): VmState {
  const [vm, cpu, vcpu, console, disk, net, power] = v as Values[] as [Values, Values, Values, Values, Values, Values, Values];
  return {
    name: vm['name'],
    monitor: vm['monitor'],
    lifecycle: vm['lifecycle'],
    cpu,
    vcpu,
    devices: { console, disk, net, power },
  } as unknown as VmState;
}

// ---- values ---------------------------------------------------------------------

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

const fixedSize = (f: Field): number => {
  switch (f.kind) {
    case 'u8': case 'bool': case 'enum': return 1;
    case 'u32': case 'i32': return 4 * (f.count ?? 1);
    case 'u64': case 'i64': return 8;
    case 'text': return 2;
    case 'bytes': return 4;
  }
};

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v instanceof Uint8Array ? `${v.length} bytes` : String(v));

/**
 * Refuse a value this field cannot hold; the problem in words, or undefined if
 * it is fine. Shared by the writer (JS values) and the reader (values already
 * decoded to JS).
 */
function problemWith(f: Field, path: string, v: unknown): string | undefined {
  const int = (lo: number, hi: number, what: string): string | undefined =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? undefined : `is ${show(v)}, not ${what}`;
  switch (f.kind) {
    case 'u8':
      return int(0, f.max ?? 0xff, `${f.max === undefined ? 'a u8' : `0..${f.max}`}${f.meaning ? ` (${f.meaning})` : ''}`);
    case 'bool':
      return typeof v === 'boolean' ? undefined : `is ${show(v)}, not a boolean (0 or 1)`;
    case 'enum':
      return typeof v === 'string' && f.values!.includes(v) ? undefined : `is ${show(v)}, not one of ${f.values!.join(', ')}`;
    case 'u32':
    case 'i32': {
      const [lo, hi, what] = f.kind === 'u32' ? [0, 0xffff_ffff, 'a u32'] : [-0x8000_0000, 0x7fff_ffff, 'an i32'];
      if (f.count === undefined) return int(lo, hi, what);
      if (!Array.isArray(v) || v.length !== f.count) return `is ${Array.isArray(v) ? `${v.length} values` : show(v)}, not ${f.count} of ${what}`;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) return `[${i}] is ${show(x)}, not ${what}`;
      }
      if (path === 'cpu.regs' && v[0] !== 0) return `[0] is ${String(v[0])}: r0 is hard-wired to zero`;
      return undefined;
    }
    case 'u64':
      return int(0, Number.MAX_SAFE_INTEGER, `a whole number 0..2^53−1`);
    case 'i64':
      return int(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, `a whole number −(2^53−1)..2^53−1`);
    case 'text': {
      if (typeof v !== 'string') return `is ${show(v)}, not a string`;
      const n = utf8.encode(v).length;
      if (n === 0) return 'is empty';
      return n > f.max! ? `is ${n} bytes of UTF-8, more than ${f.max}` : undefined;
    }
    case 'bytes':
      if (!(v instanceof Uint8Array)) return `is ${show(v)}, not bytes`;
      return v.length > f.max! ? `holds ${v.length} bytes, more than ${f.max}` : undefined;
  }
}

// ---- writing --------------------------------------------------------------------

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    grown.set(this.buf);
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(v: number): this { this.room(1); this.view.setUint8(this.at, v); this.at += 1; return this; }
  u16(v: number): this { this.room(2); this.view.setUint16(this.at, v, true); this.at += 2; return this; }
  u32(v: number): this { this.room(4); this.view.setUint32(this.at, v, true); this.at += 4; return this; }
  i32(v: number): this { this.room(4); this.view.setInt32(this.at, v, true); this.at += 4; return this; }
  i64(v: number): this { this.room(8); this.view.setBigInt64(this.at, BigInt(v), true); this.at += 8; return this; }
  bytes(b: Uint8Array): this { this.room(b.length); this.buf.set(b, this.at); this.at += b.length; return this; }
  patchU32(at: number, v: number): void { this.view.setUint32(at, v, true); }
  done(): Uint8Array { return this.buf.slice(0, this.at); }
}

function writeField(w: Writer, f: Field, v: unknown): void {
  switch (f.kind) {
    case 'u8': w.u8(v as number); break;
    case 'bool': w.u8(v ? 1 : 0); break;
    case 'enum': w.u8(f.values!.indexOf(v as string)); break;
    case 'u32': case 'i32': {
      const xs = f.count === undefined ? [v as number] : (v as readonly number[]);
      for (const x of xs) (f.kind === 'u32' ? w.u32(x) : w.i32(x));
      break;
    }
    case 'u64': case 'i64': w.i64(v as number); break;
    case 'text': { const b = utf8.encode(v as string); w.u16(b.length).bytes(b); break; }
    case 'bytes': w.u32((v as Uint8Array).length).bytes(v as Uint8Array); break;
  }
}

/** The bytes of a VM state (format STATE_MAJOR.STATE_MINOR). Refuses a value its field cannot hold. */
export function encodeVmState(s: VmState): Uint8Array {
  const w = new Writer();
  w.bytes(utf8.encode(STATE_MAGIC)).u16(STATE_MAJOR).u16(STATE_MINOR).u32(0).u32(0);
  const values = sectionValues(s);
  SECTIONS.forEach((sec, i) => {
    const v = values[i]!;
    w.u16(sec.tag);
    const lengthAt = w.at;
    w.u32(0);
    for (const f of sec.fields) {
      const path = `${sec.name}.${f.name}`;
      const problem = problemWith(f, path, v[f.name]);
      if (problem) throw refusal(path, w.at, problem);
      writeField(w, f, v[f.name]);
    }
    w.patchU32(lengthAt, w.at - lengthAt - 4);
  });
  w.patchU32(8, w.at);
  const out = w.done();
  new DataView(out.buffer).setUint32(12, crc32(out), true);
  return out;
}

// ---- reading --------------------------------------------------------------------

const HEADER_FIELDS: readonly [string, number, number][] = [
  ['header.magic', 0, 4],
  ['header.major', 4, 2],
  ['header.minor', 6, 2],
  ['header.length', 8, 4],
  ['header.checksum', 12, 4],
];

interface RawHeader {
  magic: Uint8Array;
  major: number;
  minor: number;
  length: number;
  crc: number;
}

const headerParser = new Parser().endianness('little').buffer('magic', { length: 4 }).uint16('major').uint16('minor').uint32('length').uint32('crc');

const lengthOf = (field: string) =>
  function (this: Record<string, number>): number {
    return this[field]!;
  };

function parserFor(sec: Section): Parser {
  let p = new Parser().endianness('little');
  for (const f of sec.fields) {
    switch (f.kind) {
      case 'u8': case 'bool': case 'enum': p = p.uint8(f.name); break;
      case 'u32': p = f.count === undefined ? p.uint32(f.name) : p.array(f.name, { type: 'uint32le', length: f.count }); break;
      case 'i32': p = f.count === undefined ? p.int32(f.name) : p.array(f.name, { type: 'int32le', length: f.count }); break;
      case 'u64': p = p.uint64(f.name); break;
      case 'i64': p = p.int64(f.name); break;
      case 'text': p = p.uint16(`${f.name}$len`).buffer(f.name, { length: lengthOf(`${f.name}$len`) }); break;
      case 'bytes': p = p.uint32(`${f.name}$len`).buffer(f.name, { length: lengthOf(`${f.name}$len`) }); break;
    }
  }
  return p;
}

const PARSERS = SECTIONS.map(parserFor);

/** A parsed field as the JS value VmState holds (not yet range-checked); undefined: not representable. */
function toValue(f: Field, raw: unknown): unknown {
  switch (f.kind) {
    case 'bool': return raw === 0 ? false : raw === 1 ? true : raw;
    case 'enum': return f.values![raw as number] ?? raw;
    case 'u64': case 'i64': {
      const b = raw as bigint;
      return b >= BigInt(-Number.MAX_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'text':
      try {
        return fromUtf8.decode(raw as Uint8Array);
      } catch {
        return undefined;
      }
    case 'bytes': return Uint8Array.from(raw as Uint8Array);
    case 'u32': case 'i32': return f.count === undefined ? raw : Array.from(raw as number[]);
    default: return raw;
  }
}

/**
 * Where each field of a section's body starts, checking that every field
 * (and the length prefix of text and bytes) lies inside `body`. `cut`: what
 * to say when one does not (the state was cut short, or the section's length
 * is too small). Returns the field offsets and where the last field ends.
 */
function layout(sec: Section, body: Uint8Array, base: number, cut: (end: number) => string): { offsets: number[]; end: number } {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const offsets: number[] = [];
  let at = 0;
  for (const f of sec.fields) {
    const path = `${sec.name}.${f.name}`;
    offsets.push(base + at);
    const fixed = fixedSize(f);
    if (at + fixed > body.length) throw new VmStateError(path, base + at, `is truncated: ${cut(base + body.length)}`);
    if (f.kind === 'text' || f.kind === 'bytes') {
      const n = f.kind === 'text' ? dv.getUint16(at, true) : dv.getUint32(at, true);
      if (n > f.max!) throw new VmStateError(path, base + at, `says ${n} bytes, more than ${f.max}`);
      if (at + fixed + n > body.length) throw new VmStateError(path, base + at, `says ${n} bytes, which run past the end: ${cut(base + body.length)}`);
      at += fixed + n;
    } else at += fixed;
  }
  return { offsets, end: at };
}

/**
 * Walk the sections of `bytes` (from the header on) checking only their
 * framing. Used on a state shorter than its header says, to name the field
 * where it was cut.
 */
function findCut(bytes: Uint8Array, length: number): never {
  const cut = (end: number): string => `the state ends at byte ${end} of the ${length} its header says`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = STATE_HEADER_SIZE;
  let known = 0; // known sections passed
  for (let i = 0; ; i++) {
    if (at >= bytes.length) throw new VmStateError(SECTIONS[known]?.name ?? `section[${i}]`, at, `is missing: ${cut(bytes.length)}`);
    if (at + 2 > bytes.length) throw new VmStateError(`section[${i}].tag`, at, `is truncated: ${cut(bytes.length)}`);
    const name = SECTIONS[BY_TAG.get(dv.getUint16(at, true)) ?? -1]?.name ?? `section[${i}]`;
    if (at + SECTION_HEADER_SIZE > bytes.length) throw new VmStateError(`${name}.length`, at + 2, `is truncated: ${cut(bytes.length)}`);
    const tag = dv.getUint16(at, true);
    const len = dv.getUint32(at + 2, true);
    const k = BY_TAG.get(tag);
    const bodyAt = at + SECTION_HEADER_SIZE;
    if (bodyAt + len > bytes.length) {
      const body = bytes.subarray(bodyAt);
      if (k !== undefined) layout(SECTIONS[k]!, body, bodyAt, cut);
      throw new VmStateError(k === undefined ? `section[${i}]` : SECTIONS[k]!.name, bytes.length, `is truncated: ${cut(bytes.length)}`);
    }
    if (k !== undefined) known = k + 1;
    at = bodyAt + len;
  }
}

/** @internal decodeVmState as a reader of major 1, minor `readerMinor`, would (tests: how an older or newer reader sees a state). */
export function decodeVmStateAs(bytes: Uint8Array, readerMinor: number): VmState {
  // ---- header: framing, version, length, checksum
  for (const [field, off, size] of HEADER_FIELDS) {
    if (bytes.length < off + size) throw new VmStateError(field, off, `is truncated: the state is ${bytes.length} bytes, the header alone ${STATE_HEADER_SIZE}`);
  }
  const h = headerParser.parse(bytes) as RawHeader;
  const magic = String.fromCharCode(...h.magic);
  if (magic !== STATE_MAGIC) throw new VmStateError('header.magic', 0, `is ${JSON.stringify(magic)}, not "${STATE_MAGIC}": not a VM state`);
  if (h.major !== STATE_MAJOR) throw new VmStateError('header.major', 4, `is ${h.major}.${h.minor}: this reader reads version ${STATE_MAJOR}.x only${h.major > STATE_MAJOR ? ' (the state comes from a newer typevisor)' : ''}`);
  if (h.length < STATE_HEADER_SIZE) throw new VmStateError('header.length', 8, `is ${h.length}, less than the header's ${STATE_HEADER_SIZE} bytes`);
  if (bytes.length < h.length) findCut(bytes, h.length);
  if (bytes.length > h.length) throw new VmStateError('header.length', 8, `says ${h.length} bytes; the state has ${bytes.length}`);
  const zeroed = bytes.slice(0, STATE_HEADER_SIZE);
  zeroed.fill(0, 12, 16);
  const crc = crc32(bytes.subarray(STATE_HEADER_SIZE), crc32(zeroed));
  if (crc !== h.crc) throw new VmStateError('header.checksum', 12, `mismatch: computed 0x${crc.toString(16).padStart(8, '0')}, stored 0x${h.crc.toString(16).padStart(8, '0')}: the state is corrupt`);

  // ---- sections: framing, then each one's fields
  const newer = h.minor > readerMinor;
  const values: (Values | undefined)[] = SECTIONS.map(() => undefined);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tooShort = (end: number): string => `the section's length ends it at byte ${end}`;
  let next = 0; // the next known section expected
  let at = STATE_HEADER_SIZE;
  for (let i = 0; at < bytes.length; i++) {
    if (at + SECTION_HEADER_SIZE > bytes.length) throw new VmStateError(`section[${i}]`, at, `has ${bytes.length - at} bytes left before the state's end, less than a section header (${SECTION_HEADER_SIZE})`);
    const tag = dv.getUint16(at, true);
    const len = dv.getUint32(at + 2, true);
    const bodyAt = at + SECTION_HEADER_SIZE;
    if (len > bytes.length - bodyAt) throw new VmStateError(`section[${i}].length`, at + 2, `is ${len}, past the end of the state (${bytes.length - bodyAt} bytes left)`);
    const k = BY_TAG.get(tag);
    if (k === undefined) {
      if (!newer) throw new VmStateError(`section[${i}].tag`, at, `is ${tag}, not a section of version ${h.major}.${h.minor}`);
      at = bodyAt + len; // a newer minor's section: skipped
      continue;
    }
    const sec = SECTIONS[k]!;
    if (k < next) throw new VmStateError(`section[${i}].tag`, at, `is ${tag}: ${sec.name} a second time`);
    if (k > next) throw new VmStateError(SECTIONS[next]!.name, at, `is missing: section ${i} is ${sec.name}`);
    const body = bytes.subarray(bodyAt, bodyAt + len);
    const { offsets, end } = layout(sec, body, bodyAt, tooShort);
    if (end < len && !newer) throw new VmStateError(sec.name, bodyAt + end, `has ${len - end} bytes after its last field (its length says ${len}, its fields take ${end})`);
    let raw: Values;
    try {
      raw = PARSERS[k]!.parse(body.subarray(0, end)) as Values;
    } catch (e) {
      throw new VmStateError(sec.name, bodyAt, `cannot be parsed: ${(e as Error).message}`);
    }
    const v: Values = {};
    sec.fields.forEach((f, j) => {
      const path = `${sec.name}.${f.name}`;
      const value = toValue(f, raw[f.name]);
      if (value === undefined) throw new VmStateError(path, offsets[j]!, 'is not valid UTF-8');
      const problem = problemWith(f, path, value);
      if (problem) throw refusal(path, offsets[j]!, problem);
      v[f.name] = value;
    });
    values[k] = v;
    next = k + 1;
    at = bodyAt + len;
  }
  if (next < SECTIONS.length) throw new VmStateError(SECTIONS[next]!.name, at, 'is missing: the state ends before it');
  return fromValues(values as Values[]);
}

/** The error for a field's problem; `[i] …` (an array's element) names the element and its offset. */
function refusal(path: string, offset: number, problem: string): VmStateError {
  const m = /^\[(\d+)\] (.*)$/s.exec(problem);
  return m ? new VmStateError(`${path}[${m[1]}]`, offset + 4 * Number(m[1]), m[2]!) : new VmStateError(path, offset, problem);
}

/** The VmState in these bytes; any bad input is a VmStateError naming the field and its offset. */
export function decodeVmState(bytes: Uint8Array): VmState {
  return decodeVmStateAs(bytes, STATE_MINOR);
}
