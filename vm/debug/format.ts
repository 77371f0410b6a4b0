/**
 * What the kernel debugger shows, as plain lines: registers with the guest's
 * mode and CSRs, `x/NFU` dumps, trap descriptions. Pure functions of values
 * handed in, so the output is stable (tests and README transcripts read it).
 */
import { ABI_NAMES, REGISTER_COUNT } from '../../isa/registers.js';
import { Csr, CSRS, CSR_COUNT } from '../../isa/csr.js';
import { bare8, hex8 } from '../../isa/hex.js';
import { Mode, type CpuState } from '../cpu.js';
import { causeName, isInterrupt } from '../trap.js';
import type { Frame } from './unwind.js';

export const modeName = (m: Mode): string => (m === Mode.USER ? 'user' : 'supervisor');

/** Registers two to a line, pc, mode and every CSR; `*` marks what changed since `before` (registers, then pc). */
export function registerLines(cpu: CpuState, before: Int32Array | undefined, near: (a: number) => string | undefined): string[] {
  const mark = (i: number, v: number): string => (before !== undefined && before[i] !== v ? '*' : ' ');
  const cell = (i: number): string => `${mark(i, cpu.regs[i]!)}${ABI_NAMES[i]!.padStart(4)} ${hex8(cpu.regs[i]!)} ${String(cpu.regs[i]! | 0).padStart(11)}`;
  const lines: string[] = [];
  for (let r = 0; r < REGISTER_COUNT; r += 2) lines.push(`${cell(r)}    ${cell(r + 1)}`);
  const n = near(cpu.pc);
  lines.push(`${mark(REGISTER_COUNT, cpu.pc | 0)}  pc ${hex8(cpu.pc)}${n === undefined ? '' : `  <${n}>`}   mode ${modeName(cpu.mode)}`);
  const csr: string[] = [];
  // time and timeh are read from the clock, as csrr reads them.
  const value = (i: number): number => (i === Csr.TIME ? cpu.time >>> 0 : i === Csr.TIMEH ? Math.floor(cpu.time / 0x1_0000_0000) : cpu.csr[i]!);
  for (let i = 0; i < CSR_COUNT; i++) csr.push(`${CSRS[i]!.name} ${hex8(value(i))}`);
  for (let i = 0; i < csr.length; i += 4) lines.push(`  ${csr.slice(i, i + 4).map((c) => c.padEnd(20)).join('')}`.trimEnd());
  return lines;
}

/** A snapshot of registers and pc, for marking changes. */
export function registerSnapshot(cpu: CpuState): Int32Array {
  const s = new Int32Array(REGISTER_COUNT + 1);
  s.set(cpu.regs);
  s[REGISTER_COUNT] = cpu.pc | 0;
  return s;
}

/** `syscall from user mode at 0x00001008` / `interrupt:timer in supervisor mode at …`. */
export function describeTrap(cause: number, from: Mode, epc: number, badaddr: number, t0: number): string {
  const name = causeName(cause);
  const what = name === 'syscall' ? `syscall ${t0}` : name;
  const bad = badaddr !== 0 && !isInterrupt(cause) && name !== 'syscall' ? `, badaddr ${hex8(badaddr)}` : '';
  return `${what} (cause ${hex8(cause)}) from ${modeName(from)} mode at ${hex8(epc)}${bad}`;
}

export interface ExamineFormat {
  readonly count: number;
  /** x d u c s i */
  readonly letter: string;
  /** 1, 2 or 4 bytes. */
  readonly size: 1 | 2 | 4;
}

/** Parse `4xw`, `s`, `10i`, `2dh`; the previous format fills what is left out, as in gdb. */
export function parseExamine(text: string | undefined, previous: ExamineFormat): ExamineFormat | string {
  if (text === undefined || text === '') return { ...previous, count: 1 };
  const m = /^(\d*)([xducsi]?)([bhw]?)$/.exec(text);
  if (!m) return `bad format '/${text}': give /NFU — N a count, F one of x d u c s i, U one of b h w (e.g. x/4xw sp)`;
  const count = m[1] === '' ? 1 : Number(m[1]);
  if (count < 1 || count > 4096) return `the count in /${text} must be 1..4096`;
  const letter = m[2] === '' ? previous.letter : m[2]!;
  let size: 1 | 2 | 4 = m[3] === 'b' ? 1 : m[3] === 'h' ? 2 : m[3] === 'w' ? 4 : letter === 'c' ? 1 : previous.size;
  if (letter === 'i') size = 4;
  return { count, letter, size };
}

/** One unit's text in a format. */
export function unitText(value: number, f: ExamineFormat): string {
  const bits = f.size * 8;
  const u = bits === 32 ? value >>> 0 : value & ((1 << bits) - 1);
  switch (f.letter) {
    case 'd': return String(bits === 32 ? value | 0 : (u << (32 - bits)) >> (32 - bits));
    case 'u': return String(u);
    case 'c': return u >= 0x20 && u < 0x7f ? `'${String.fromCharCode(u)}'` : `'\\x${u.toString(16).padStart(2, '0')}'`;
    default: return `0x${u.toString(16).padStart(f.size * 2, '0')}`;
  }
}

export function addressLabel(addr: number, near: (a: number) => string | undefined): string {
  const n = near(addr);
  return n === undefined ? bare8(addr) : `${bare8(addr)} <${n}>`;
}

/** A `display` line at a stop, in both debuggers: `1: a0 = 0x0000002a (42)`, or why it has no value now. */
export function displayLine(id: number, expr: string, v: { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string }): string {
  return `${id}: ${expr} = ${v.ok ? `${hex8(v.value)} (${v.value | 0})` : `<${v.error}>`}`;
}

/** A frame of `bt`, in both debuggers: its function and offset (an outer frame's at its call), and pc. */
export function frameName(f: Frame, depth: number): string {
  const at = depth === 0 ? f.pc : (f.pc - 4) >>> 0;
  const off = f.fnAddr === undefined ? '' : at - f.fnAddr === 0 ? '' : `+0x${(at - f.fnAddr).toString(16)}`;
  return `${f.fn === undefined ? '??' : `${f.fn}${off}`} (${hex8(f.pc)})`;
}

/** `#1  fact+0x14 (0x00001030)  sp 0x7fffefe8`. */
export function frameLine(f: Frame, depth: number): string {
  return `#${depth}  ${frameName(f, depth)}  sp ${hex8(f.sp)}`;
}
