/**
 * What the page shows of a stopped program, RARS-style: the registers (those
 * changed since the previous stop marked), the disassembly around pc, a
 * memory dump, and the page-table walk of one address. Text and rows only;
 * main.ts puts them in the DOM. The formatting is the CLI debugger's own
 * (formatInstruction, hexDump, the symbol table), so the page and
 * `typevisor debug` say the same things the same way.
 */
import { formatInstruction } from '../isa/disasm.js';
import { Csr } from '../isa/csr.js';
import { hex8 } from '../isa/hex.js';
import { ABI_NAMES, REGISTER_COUNT, registerNumber } from '../isa/registers.js';
import type { Machine } from '../vm/machine.js';
import { FAULT_REASONS, PageWalker, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from '../vm/walk.js';
import { hexDump, registerSnapshot } from '../vm/process/debug-views.js';
import { instructionAt } from '../vm/process/fault.js';
import type { Symbols } from '../vm/process/symbols.js';

export interface RegisterRow {
  readonly name: string;
  readonly hex: string;
  readonly dec: string;
  readonly changed: boolean;
}

export function registerRows(m: Machine, before: Int32Array): RegisterRow[] {
  const now = registerSnapshot(m);
  const rows: RegisterRow[] = [];
  for (let i = 0; i <= REGISTER_COUNT; i++) {
    const isPc = i === REGISTER_COUNT;
    const v = now[i]!;
    rows.push({ name: isPc ? 'pc' : ABI_NAMES[i]!, hex: hex8(v), dec: String(isPc ? v >>> 0 : v), changed: v !== before[i] });
  }
  return rows;
}

export interface DisasmRow {
  readonly addr: number;
  readonly label: string | undefined;
  readonly text: string;
  readonly current: boolean;
}

/** `before` instructions above pc and `after` below, each with its label when one starts there. */
export function disasmAround(m: Machine, symbols: Symbols, pc: number, before = 6, after = 10): DisasmRow[] {
  const rows: DisasmRow[] = [];
  const start = Math.max(0, pc - before * 4) >>> 0;
  for (let a = start; a <= pc + after * 4; a += 4) {
    const word = instructionAt(m, a);
    if (word === undefined) continue;
    rows.push({ addr: a >>> 0, label: symbols.at(a), text: formatInstruction(word, a, symbols.at), current: a === pc });
  }
  return rows;
}

/** An address typed by the user: hex (`0x2000`), decimal, a register name (its value) or a label. */
export function parseAddress(text: string, m: Machine, symbolValue: (name: string) => number | undefined): number | string {
  const t = text.trim();
  if (t === '') return 'type an address (0x2000), a register (sp) or a label (msg)';
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(t) >>> 0;
  const r = registerNumber(t.toLowerCase());
  if (r !== undefined) return m.cpu.regs[r]! >>> 0;
  if (t.toLowerCase() === 'pc') return m.cpu.pc >>> 0;
  const s = symbolValue(t);
  if (s !== undefined) return s >>> 0;
  return `'${t}' is not an address, a register or a label`;
}

export function memoryLines(m: Machine, addr: number, len = 128): string[] {
  return hexDump(m, addr & ~0xf, len);
}

const BITS: readonly [number, string][] = [[PTE_V, 'V'], [PTE_R, 'R'], [PTE_W, 'W'], [PTE_X, 'X'], [PTE_U, 'U'], [PTE_A, 'A'], [PTE_D, 'D']];
const bits = (pte: number): string => BITS.map(([b, n]) => ((pte & b) !== 0 ? n : '-')).join('');

/** The two-level walk of `va` from the program's page-table root, as the MMU does it, line by line. */
export function pageWalk(m: Machine, va: number): string[] {
  const ptbase = (m.csrRead(Csr.PTBASE) ?? 0) >>> 0;
  const root = (ptbase & ~0xfff) >>> 0;
  const l1 = va >>> 22;
  const l0 = (va >>> 12) & 0x3ff;
  const lines = [`va ${hex8(va)} = level-1 index ${l1} | level-0 index ${l0} | offset 0x${(va & 0xfff).toString(16).padStart(3, '0')}`, `root table at ${hex8(root)} (ptbase ${hex8(ptbase)})`];
  const w = new PageWalker(m.memory);
  const ok = w.walk(root, va >>> 0, 0, true);
  if (w.pdeOff >= 0) lines.push(`level 1: entry ${l1} at ${hex8(root + l1 * 4)} = ${hex8(w.pde)} ${bits(w.pde)} → table at ${hex8(w.pde & ~0xfff)}`);
  if (w.pteOff >= 0 && (w.pde & PTE_V) !== 0) lines.push(`level 0: entry ${l0} at ${hex8(((w.pde & ~0xfff) >>> 0) + l0 * 4)} = ${hex8(w.pte)} ${bits(w.pte)}`);
  lines.push(ok ? `→ physical ${hex8(w.pa)}` : `→ fault: ${FAULT_REASONS[w.fault] ?? 'unknown'}`);
  return lines;
}
