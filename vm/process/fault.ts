/**
 * The fault report: what a programmer needs to see when their program dies.
 *
 *   load-fault at 0x00001018 <main+0x18>: lw a0, 0(a1) — address 0x00000000: page not mapped
 *     zero=0x00000000    ra=0x00000000    sp=0x7ffff000    fp=0x00000000
 *       a0=0x00000000    a1=0x00000000    a2=0x00000000    a3=0x00000000
 *     …
 *
 * The first line names the trap (vm/trap.ts), where it happened, the
 * instruction as the disassembler prints it, and what went wrong with it;
 * then every register, four to a line.
 */
import { formatInstruction } from '../../isa/disasm.js';
import { decode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';
import { ABI_NAMES, registerName } from '../../isa/registers.js';
import { Mode } from '../cpu.js';
import type { Machine } from '../machine.js';
import { FAULT_REASONS, FaultReason, PTE_V, PTE_X } from '../mmu.js';
import { Cause, causeName } from '../trap.js';
import { permString, type AddressSpace } from './address-space.js';
import type { Symbols } from './symbols.js';
import { hex8 } from '../../isa/hex.js';

/** The instruction word at pc if the program could execute it, else undefined. */
export function instructionAt(m: Machine, pc: number): number | undefined {
  if ((pc & 3) !== 0) return undefined;
  const off = m.hostOffset(pc >>> 0, Mode.USER, PTE_X);
  return off < 0 ? undefined : m.memory.i32[off >>> 2]!;
}

/** Registers, ABI names, hex, four per line, each line indented two spaces. */
export function formatRegisters(regs: Int32Array): string {
  const lines: string[] = [];
  for (let r = 0; r < regs.length; r += 4) {
    const cells: string[] = [];
    for (let i = r; i < r + 4 && i < regs.length; i++) cells.push(`${ABI_NAMES[i]!.padStart(4)}=${hex8(regs[i]!)}`);
    lines.push(`  ${cells.join('    ')}`);
  }
  return lines.join('\n');
}

/** Width of the access a load or store makes, for the alignment message. */
function accessWidth(word: number | undefined): number {
  switch (word === undefined ? -1 : decode(word)?.op) {
    case Op.LH: case Op.LHU: case Op.SH: return 2;
    case Op.LB: case Op.LBU: case Op.SB: return 1;
    default: return 4;
  }
}

export interface FaultContext {
  readonly machine: Machine;
  readonly space: AddressSpace;
  readonly symbols: Symbols;
}

/** `at 0x00001018 <main+0x18>`. */
export function location(ctx: FaultContext, pc: number): string {
  const near = ctx.symbols.near(pc);
  return near === undefined ? `at ${hex8(pc)}` : `at ${hex8(pc)} <${near}>`;
}

function memoryReason(ctx: FaultContext, addr: number, reason: FaultReason): string {
  const pte = ctx.space.pte(addr);
  // The MMU's reason for the failed walk; should it have none, the page table tells.
  const r = reason !== FaultReason.NONE ? reason : (pte & PTE_V) !== 0 ? FaultReason.PERMISSION : FaultReason.NOT_MAPPED;
  const why = FAULT_REASONS[r]!;
  return r === FaultReason.PERMISSION ? `${why} (the page is ${permString(pte)})` : why;
}

/**
 * What went wrong, in one line. `reason` is the MMU's lastFault captured when
 * the trap was taken (only meaningful for fetch/load/store faults).
 */
export function describeTrap(ctx: FaultContext, cause: number, pc: number, badaddr: number, reason: FaultReason): string {
  const word = instructionAt(ctx.machine, pc);
  const ins = word === undefined ? undefined : formatInstruction(word, pc, ctx.symbols.at);
  const head = `${causeName(cause)} ${location(ctx, pc)}`;
  switch (cause) {
    case Cause.MISALIGNED_FETCH:
      return `${head}: the pc is not a multiple of 4 (a jump to a misaligned address)`;
    case Cause.FETCH_FAULT:
      return `${head}: cannot fetch an instruction there — ${memoryReason(ctx, pc, reason)}`;
    case Cause.LOAD_FAULT: case Cause.STORE_FAULT:
      return `${head}: ${ins ?? '?'} — address ${hex8(badaddr)}: ${memoryReason(ctx, badaddr, reason)}`;
    case Cause.MISALIGNED_LOAD: case Cause.MISALIGNED_STORE:
      return `${head}: ${ins ?? '?'} — address ${hex8(badaddr)} is not a multiple of ${accessWidth(word)}`;
    case Cause.DIVIDE_BY_ZERO: {
      const d = word === undefined ? undefined : decode(word);
      return `${head}: ${ins ?? '?'} — the divisor${d ? ` (${registerName(d.rs2)})` : ''} is 0`;
    }
    case Cause.PRIVILEGED_INSTRUCTION:
      return `${head}: ${ins ?? '?'} — a privileged instruction; a user program may not run it`;
    case Cause.ILLEGAL_INSTRUCTION:
      return `${head}: ${ins ?? `.word ${hex8(badaddr)}`} — not an instruction`;
    case Cause.BREAKPOINT:
      return `${head}: ${ins ?? 'break'}`;
    default:
      return `${head}${ins === undefined ? '' : `: ${ins}`}`;
  }
}

/** The whole report: the one-line description, then the registers. */
export function faultReport(ctx: FaultContext, cause: number, pc: number, badaddr: number, reason: FaultReason): string {
  return `${describeTrap(ctx, cause, pc, badaddr, reason)}\n${formatRegisters(ctx.machine.cpu.regs)}`;
}

/** The report when `--max-instructions` runs out: where the program was, and its registers. */
export function budgetReport(ctx: FaultContext, instructions: number): string {
  const pc = ctx.machine.cpu.pc;
  const word = instructionAt(ctx.machine, pc);
  const ins = word === undefined ? '' : `: ${formatInstruction(word, pc, ctx.symbols.at)}`;
  return `instruction budget exhausted after ${instructions} instructions, next ${location(ctx, pc)}${ins}\n${formatRegisters(ctx.machine.cpu.regs)}`;
}
