/**
 * THE opcode table. The encoder, decoder, assembler, disassembler, reference doc
 * (SPEC.md) and tests all read it. Adding an instruction takes:
 *
 * - one `Op` member and one row of OPCODES, then `npm run docs` to regenerate
 *   isa/SPEC.md;
 * - one `case` in the interpreter (vm/interpreter.ts) and one in the reference
 *   interpreter of the differential tests (test/helpers/reference.ts);
 * - unless it is privileged or of group 'system' (those the translation tier
 *   leaves to the interpreter and the bare switch does not run): one `case` in
 *   the translation tier (vm/jit/translator.ts, `instruction()`; a new kind of
 *   jump also in `kindOf()`) and one in the bare-switch benchmark runner
 *   (bench/runners/bare-switch.ts);
 * - if it is a load or store: one `case` in the monitor's emulation of device
 *   accesses (hypervisor/core/mmio.ts).
 *
 * test/isa/opcode-coverage.test.ts fails when a row is missing from the
 * interpreter, the reference interpreter, the translation tier, the bare
 * switch or SPEC.md.
 *
 * The opcode is the low byte of the instruction word. Opcode 0 is never assigned,
 * so executing zeroed memory traps at once as an illegal instruction.
 */
import type { Format } from './formats.js';
import type { TrapName } from './traps.js';

export const enum Op {
  // register-register ALU
  ADD = 0x01, SUB = 0x02, MUL = 0x03, MULH = 0x04, MULHU = 0x05,
  DIV = 0x06, DIVU = 0x07, REM = 0x08, REMU = 0x09,
  AND = 0x0a, OR = 0x0b, XOR = 0x0c, SLL = 0x0d, SRL = 0x0e, SRA = 0x0f,
  SLT = 0x10, SLTU = 0x11,
  // register-immediate ALU
  ADDI = 0x12, SLTI = 0x13, SLTIU = 0x14, ANDI = 0x15, ORI = 0x16, XORI = 0x17,
  SLLI = 0x18, SRLI = 0x19, SRAI = 0x1a, LUI = 0x1b,
  // memory
  LB = 0x1c, LBU = 0x1d, LH = 0x1e, LHU = 0x1f, LW = 0x20,
  SB = 0x21, SH = 0x22, SW = 0x23,
  // control flow
  BEQ = 0x24, BNE = 0x25, BLT = 0x26, BGE = 0x27, BLTU = 0x28, BGEU = 0x29,
  JAL = 0x2a, JALR = 0x2b,
  SYSCALL = 0x2c, BREAK = 0x2d,
  // privileged
  CSRR = 0x2e, CSRW = 0x2f, CSRRW = 0x30, CSRS = 0x31, CSRC = 0x32,
  SRET = 0x33, TLBFLUSH = 0x34, WFI = 0x35, HALT = 0x36,
}

export type Group = 'alu' | 'alu-imm' | 'memory' | 'control' | 'system' | 'privileged';

export interface OpInfo {
  readonly op: Op;
  readonly name: string;
  readonly format: Format;
  readonly privileged: boolean;
  readonly group: Group;
  /** Semantics in one line of pseudo-code; `x` is the value of the register, `u()` unsigned, `s()` signed. */
  readonly semantics: string;
  /** Further notes: edge cases and defined behaviour. */
  readonly notes?: string;
  readonly traps: readonly TrapName[];
}

const FETCH: TrapName[] = [];
const P: TrapName[] = ['privileged-instruction'];

export const OPCODES: readonly OpInfo[] = [
  { op: Op.ADD, name: 'add', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← rs1 + rs2', notes: 'Wraps modulo 2^32.', traps: FETCH },
  { op: Op.SUB, name: 'sub', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← rs1 − rs2', notes: 'Wraps modulo 2^32.', traps: FETCH },
  { op: Op.MUL, name: 'mul', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← low 32 bits of rs1 × rs2', notes: 'Same bits for signed and unsigned operands.', traps: FETCH },
  { op: Op.MULH, name: 'mulh', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← high 32 bits of s(rs1) × s(rs2)', notes: 'The full 64-bit signed product; this is its upper word.', traps: FETCH },
  { op: Op.MULHU, name: 'mulhu', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← high 32 bits of u(rs1) × u(rs2)', traps: FETCH },
  { op: Op.DIV, name: 'div', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← s(rs1) ÷ s(rs2), rounded toward zero', notes: 'Divisor 0 traps. INT_MIN ÷ −1 = INT_MIN (the true quotient 2^31 wraps).', traps: ['divide-by-zero'] },
  { op: Op.DIVU, name: 'divu', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← u(rs1) ÷ u(rs2), rounded down', notes: 'Divisor 0 traps.', traps: ['divide-by-zero'] },
  { op: Op.REM, name: 'rem', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← s(rs1) rem s(rs2)', notes: 'Sign of the dividend. Divisor 0 traps. INT_MIN rem −1 = 0.', traps: ['divide-by-zero'] },
  { op: Op.REMU, name: 'remu', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← u(rs1) mod u(rs2)', notes: 'Divisor 0 traps.', traps: ['divide-by-zero'] },
  { op: Op.AND, name: 'and', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← rs1 & rs2', traps: FETCH },
  { op: Op.OR, name: 'or', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← rs1 | rs2', traps: FETCH },
  { op: Op.XOR, name: 'xor', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← rs1 ^ rs2', traps: FETCH },
  { op: Op.SLL, name: 'sll', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← rs1 << (rs2 & 31)', notes: 'Only the low five bits of rs2 count: a shift by 32 is a shift by 0, by 33 a shift by 1.', traps: FETCH },
  { op: Op.SRL, name: 'srl', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← u(rs1) >> (rs2 & 31)', notes: 'Logical: zeros shift in. Shift amount modulo 32.', traps: FETCH },
  { op: Op.SRA, name: 'sra', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← s(rs1) >> (rs2 & 31)', notes: 'Arithmetic: the sign bit shifts in. Shift amount modulo 32.', traps: FETCH },
  { op: Op.SLT, name: 'slt', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← s(rs1) < s(rs2) ? 1 : 0', traps: FETCH },
  { op: Op.SLTU, name: 'sltu', format: 'R', privileged: false, group: 'alu', semantics: 'rd ← u(rs1) < u(rs2) ? 1 : 0', traps: FETCH },

  { op: Op.ADDI, name: 'addi', format: 'I', privileged: false, group: 'alu-imm', semantics: 'rd ← rs1 + sext(imm16)', notes: 'Wraps modulo 2^32.', traps: FETCH },
  { op: Op.SLTI, name: 'slti', format: 'I', privileged: false, group: 'alu-imm', semantics: 'rd ← s(rs1) < sext(imm16) ? 1 : 0', traps: FETCH },
  { op: Op.SLTIU, name: 'sltiu', format: 'I', privileged: false, group: 'alu-imm', semantics: 'rd ← u(rs1) < u(sext(imm16)) ? 1 : 0', notes: 'The immediate is sign-extended, then compared unsigned: `sltiu rd, rs, 1` tests rs = 0.', traps: FETCH },
  { op: Op.ANDI, name: 'andi', format: 'IU', privileged: false, group: 'alu-imm', semantics: 'rd ← rs1 & zext(imm16)', notes: 'Logical immediates are zero-extended.', traps: FETCH },
  { op: Op.ORI, name: 'ori', format: 'IU', privileged: false, group: 'alu-imm', semantics: 'rd ← rs1 | zext(imm16)', notes: 'With `lui`, builds any 32-bit constant: `lui rd, hi; ori rd, rd, lo`.', traps: FETCH },
  { op: Op.XORI, name: 'xori', format: 'IU', privileged: false, group: 'alu-imm', semantics: 'rd ← rs1 ^ zext(imm16)', traps: FETCH },
  { op: Op.SLLI, name: 'slli', format: 'SH', privileged: false, group: 'alu-imm', semantics: 'rd ← rs1 << shamt', notes: 'shamt is 0..31; the assembler rejects anything else.', traps: FETCH },
  { op: Op.SRLI, name: 'srli', format: 'SH', privileged: false, group: 'alu-imm', semantics: 'rd ← u(rs1) >> shamt', traps: FETCH },
  { op: Op.SRAI, name: 'srai', format: 'SH', privileged: false, group: 'alu-imm', semantics: 'rd ← s(rs1) >> shamt', traps: FETCH },
  { op: Op.LUI, name: 'lui', format: 'U', privileged: false, group: 'alu-imm', semantics: 'rd ← imm16 << 16', traps: FETCH },

  { op: Op.LB, name: 'lb', format: 'L', privileged: false, group: 'memory', semantics: 'rd ← sext(mem8[rs1 + sext(imm16)])', traps: ['load-fault'] },
  { op: Op.LBU, name: 'lbu', format: 'L', privileged: false, group: 'memory', semantics: 'rd ← zext(mem8[rs1 + sext(imm16)])', traps: ['load-fault'] },
  { op: Op.LH, name: 'lh', format: 'L', privileged: false, group: 'memory', semantics: 'rd ← sext(mem16[rs1 + sext(imm16)])', notes: 'The address must be 2-byte aligned.', traps: ['misaligned-load', 'load-fault'] },
  { op: Op.LHU, name: 'lhu', format: 'L', privileged: false, group: 'memory', semantics: 'rd ← zext(mem16[rs1 + sext(imm16)])', notes: 'The address must be 2-byte aligned.', traps: ['misaligned-load', 'load-fault'] },
  { op: Op.LW, name: 'lw', format: 'L', privileged: false, group: 'memory', semantics: 'rd ← mem32[rs1 + sext(imm16)]', notes: 'The address must be 4-byte aligned.', traps: ['misaligned-load', 'load-fault'] },
  { op: Op.SB, name: 'sb', format: 'S', privileged: false, group: 'memory', semantics: 'mem8[rs1 + sext(imm16)] ← rs2 & 0xff', traps: ['store-fault'] },
  { op: Op.SH, name: 'sh', format: 'S', privileged: false, group: 'memory', semantics: 'mem16[rs1 + sext(imm16)] ← rs2 & 0xffff', notes: 'The address must be 2-byte aligned.', traps: ['misaligned-store', 'store-fault'] },
  { op: Op.SW, name: 'sw', format: 'S', privileged: false, group: 'memory', semantics: 'mem32[rs1 + sext(imm16)] ← rs2', notes: 'The address must be 4-byte aligned.', traps: ['misaligned-store', 'store-fault'] },

  { op: Op.BEQ, name: 'beq', format: 'B', privileged: false, group: 'control', semantics: 'if rs1 = rs2: pc ← pc + sext(imm16) × 4', traps: FETCH },
  { op: Op.BNE, name: 'bne', format: 'B', privileged: false, group: 'control', semantics: 'if rs1 ≠ rs2: pc ← pc + sext(imm16) × 4', traps: FETCH },
  { op: Op.BLT, name: 'blt', format: 'B', privileged: false, group: 'control', semantics: 'if s(rs1) < s(rs2): pc ← pc + sext(imm16) × 4', traps: FETCH },
  { op: Op.BGE, name: 'bge', format: 'B', privileged: false, group: 'control', semantics: 'if s(rs1) ≥ s(rs2): pc ← pc + sext(imm16) × 4', traps: FETCH },
  { op: Op.BLTU, name: 'bltu', format: 'B', privileged: false, group: 'control', semantics: 'if u(rs1) < u(rs2): pc ← pc + sext(imm16) × 4', traps: FETCH },
  { op: Op.BGEU, name: 'bgeu', format: 'B', privileged: false, group: 'control', semantics: 'if u(rs1) ≥ u(rs2): pc ← pc + sext(imm16) × 4', traps: FETCH },
  { op: Op.JAL, name: 'jal', format: 'J', privileged: false, group: 'control', semantics: 'rd ← pc + 4; pc ← pc + sext(imm20) × 4', notes: 'Reach ±2 MiB. `call f` is `jal ra, f`; `j l` is `jal zero, l`.', traps: FETCH },
  { op: Op.JALR, name: 'jalr', format: 'JR', privileged: false, group: 'control', semantics: 't ← rs1 + sext(imm16); rd ← pc + 4; pc ← t', notes: 'A target that is not 4-byte aligned traps on the fetch that follows (badaddr = the target).', traps: ['misaligned-fetch'] },
  { op: Op.SYSCALL, name: 'syscall', format: 'N', privileged: false, group: 'system', semantics: 'trap(syscall)', notes: 'epc is the syscall instruction itself: the kernel adds 4 before returning.', traps: ['syscall'] },
  { op: Op.BREAK, name: 'break', format: 'N', privileged: false, group: 'system', semantics: 'trap(breakpoint)', notes: 'Debuggers and the process VM stop here.', traps: ['breakpoint'] },

  { op: Op.CSRR, name: 'csrr', format: 'CR', privileged: true, group: 'privileged', semantics: 'rd ← csr', notes: 'An unknown CSR number is an illegal instruction.', traps: ['privileged-instruction', 'illegal-instruction'] },
  { op: Op.CSRW, name: 'csrw', format: 'CW', privileged: true, group: 'privileged', semantics: 'csr ← rs1', notes: 'Writing a read-only or unknown CSR is an illegal instruction.', traps: ['privileged-instruction', 'illegal-instruction'] },
  { op: Op.CSRRW, name: 'csrrw', format: 'CRW', privileged: true, group: 'privileged', semantics: 't ← csr; csr ← rs1; rd ← t', notes: 'An atomic swap: a trap handler uses it to trade a user register for the kernel pointer kept in scratch.', traps: ['privileged-instruction', 'illegal-instruction'] },
  { op: Op.CSRS, name: 'csrs', format: 'CW', privileged: true, group: 'privileged', semantics: 'csr ← csr | rs1', traps: ['privileged-instruction', 'illegal-instruction'] },
  { op: Op.CSRC, name: 'csrc', format: 'CW', privileged: true, group: 'privileged', semantics: 'csr ← csr & ~rs1', traps: ['privileged-instruction', 'illegal-instruction'] },
  { op: Op.SRET, name: 'sret', format: 'N', privileged: true, group: 'privileged', semantics: 'mode ← status.PM; status.IE ← status.PIE; status.PIE ← 1; pc ← epc', notes: 'Return from trap.', traps: P },
  { op: Op.TLBFLUSH, name: 'tlbflush', format: 'F', privileged: true, group: 'privileged', semantics: 'forget TLB entries: all of them, or only the page holding rs1', notes: 'With no operand (rs1 field = r0) the whole TLB is flushed; `tlbflush rs1` flushes one page. The field decides, not the value: to flush page 0 use a register holding 0 other than zero.', traps: P },
  { op: Op.WFI, name: 'wfi', format: 'N', privileged: true, group: 'privileged', semantics: 'wait until (ip & ie) ≠ 0', notes: 'Virtual time skips ahead to the next timer event while waiting. Wakes even when status.IE is 0.', traps: P },
  { op: Op.HALT, name: 'halt', format: 'N', privileged: true, group: 'privileged', semantics: 'stop the machine with exit status a0', traps: P },
];

const BY_OP: (OpInfo | undefined)[] = new Array(256).fill(undefined);
const BY_NAME = new Map<string, OpInfo>();
for (const info of OPCODES) {
  if (BY_OP[info.op]) throw new Error(`opcode table: 0x${info.op.toString(16)} assigned twice`);
  BY_OP[info.op] = info;
  BY_NAME.set(info.name, info);
}

export function opInfo(op: number): OpInfo | undefined {
  return BY_OP[op & 0xff];
}

export function opByName(name: string): OpInfo | undefined {
  return BY_NAME.get(name.toLowerCase());
}
