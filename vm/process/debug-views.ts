/**
 * What the debugger shows of a stopped program, as lines of text: the
 * register table and the hex dump. Pure functions of the machine state, so
 * the engine (debugger.ts) only decides when to show them.
 */
import { ABI_NAMES, REGISTER_COUNT } from '../../isa/registers.js';
import { Mode } from '../cpu.js';
import type { Machine } from '../machine.js';
import { PTE_R } from '../mmu.js';
import type { Symbols } from './symbols.js';
import { bare8, hex8 } from '../../isa/hex.js';

const BYTES_PER_LINE = 16;

/** Registers then pc, as `registerTable` compares them. */
export function registerSnapshot(m: Machine): Int32Array {
  const s = new Int32Array(REGISTER_COUNT + 1);
  s.set(m.cpu.regs);
  s[REGISTER_COUNT] = m.cpu.pc;
  return s;
}

/**
 * Every register with its ABI name, in hex and signed decimal, two to a line,
 * then pc with its label. A `*` (and `changed`, for colour) marks each value
 * that differs from `before`.
 */
export function registerTable(now: Int32Array, before: Int32Array, symbols: Symbols, changed: (text: string) => string): string[] {
  let any = false;
  const cell = (i: number): string => {
    const value = now[i]!;
    const differs = value !== before[i];
    any ||= differs;
    const isPc = i === REGISTER_COUNT;
    const text = `${differs ? '*' : ' '}${(isPc ? 'pc' : ABI_NAMES[i]!).padStart(4)} ${hex8(value)} ${String(isPc ? value >>> 0 : value).padStart(11)}`;
    return differs ? changed(text) : text;
  };
  const lines: string[] = [];
  for (let r = 0; r < REGISTER_COUNT; r += 2) lines.push(`${cell(r)}    ${cell(r + 1)}`);
  const near = symbols.near(now[REGISTER_COUNT]!);
  lines.push(`${cell(REGISTER_COUNT)}${near === undefined ? '' : `  <${near}>`}`);
  if (any) lines.push('(* changed since the previous stop)');
  return lines;
}

/**
 * `len` bytes from `addr` as the program would read them: 16 a line, hex and
 * an ASCII column. Bytes the program cannot read show as `??`, and a note
 * after the dump names each such range.
 */
export function hexDump(m: Machine, addr: number, len: number): string[] {
  const lines: string[] = [];
  const unmapped: [number, number][] = [];
  for (let line = 0; line < len; line += BYTES_PER_LINE) {
    const cells: string[] = [];
    let ascii = '';
    for (let i = line; i < line + BYTES_PER_LINE; i++) {
      if (i === line + BYTES_PER_LINE / 2) cells.push('');
      if (i >= len) {
        cells.push('  ');
        continue;
      }
      const a = (addr + i) >>> 0;
      const off = m.hostOffset(a, Mode.USER, PTE_R);
      if (off < 0) {
        const last = unmapped[unmapped.length - 1];
        if (last !== undefined && last[1] === a) last[1] = a + 1;
        else unmapped.push([a, a + 1]);
        cells.push('??');
        ascii += ' ';
        continue;
      }
      const b = m.memory.u8[off]!;
      cells.push(b.toString(16).padStart(2, '0'));
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${bare8(addr + line)}  ${cells.join(' ')}  |${ascii}|`);
  }
  for (const [from, to] of unmapped) {
    lines.push(`note: ${hex8(from)}..${hex8(to)} (${to - from} byte${to - from === 1 ? '' : 's'}) is not mapped: shown as ??`);
  }
  return lines;
}
