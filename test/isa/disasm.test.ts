import { describe, expect, test } from 'vitest';
import { Csr } from '../../isa/csr.js';
import { formatInstruction, writtenRegister } from '../../isa/disasm.js';
import { encode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';

const w = (op: Op, fields: { rd?: number; rs1?: number; rs2?: number; imm?: number } = {}): number =>
  encode({ op, rd: fields.rd ?? 0, rs1: fields.rs1 ?? 0, rs2: fields.rs2 ?? 0, imm: fields.imm ?? 0 });

const labels = new Map<number, string>([
  [0x1000, 'loop'],
  [0x2000, 'fn'],
]);
const symbolAt = (addr: number): string | undefined => labels.get(addr);

describe('formatInstruction: one line per format', () => {
  test.each<[string, number, number, string]>([
    ['R', w(Op.ADD, { rd: Reg.A0, rs1: Reg.A1, rs2: Reg.A2 }), 0, 'add a0, a1, a2'],
    ['R (sltu)', w(Op.SLTU, { rd: Reg.S3, rs1: Reg.ZERO, rs2: Reg.T3 }), 0, 'sltu s3, zero, t3'],
    ['I', w(Op.ADDI, { rd: Reg.A0, rs1: Reg.A1, imm: -5 }), 0, 'addi a0, a1, -5'],
    ['I (slti, extremes)', w(Op.SLTI, { rd: Reg.T0, rs1: Reg.T1, imm: -32768 }), 0, 'slti t0, t1, -32768'],
    ['IU (hex once past a digit)', w(Op.ANDI, { rd: Reg.A0, rs1: Reg.A1, imm: 0xff00 }), 0, 'andi a0, a1, 0xff00'],
    ['IU (a digit)', w(Op.ORI, { rd: Reg.T0, rs1: Reg.T0, imm: 7 }), 0, 'ori t0, t0, 7'],
    ['SH', w(Op.SLLI, { rd: Reg.A0, rs1: Reg.A1, imm: 31 }), 0, 'slli a0, a1, 31'],
    ['U', w(Op.LUI, { rd: Reg.A0, imm: 0x1234 }), 0, 'lui a0, 0x1234'],
    ['L', w(Op.LW, { rd: Reg.T0, rs1: Reg.SP, imm: -8 }), 0, 'lw t0, -8(sp)'],
    ['L (lbu)', w(Op.LBU, { rd: Reg.A3, rs1: Reg.FP, imm: 0 }), 0, 'lbu a3, 0(fp)'],
    ['S', w(Op.SW, { rs2: Reg.A0, rs1: Reg.SP, imm: 12 }), 0, 'sw a0, 12(sp)'],
    ['B to a label', w(Op.BEQ, { rs1: Reg.A0, rs2: Reg.ZERO, imm: -8 }), 0x1008, 'beq a0, zero, loop'],
    ['B to an address', w(Op.BNE, { rs1: Reg.A0, rs2: Reg.A1, imm: 0x34 }), 0x1008, 'bne a0, a1, 0x0000103c'],
    ['B wrapping below 0', w(Op.BLTU, { rs1: Reg.T0, rs2: Reg.T1, imm: -4 }), 0, 'bltu t0, t1, 0xfffffffc'],
    ['J with another link register', w(Op.JAL, { rd: Reg.S0, imm: 0x1000 }), 0x1000, 'jal s0, fn'],
    ['JR', w(Op.JALR, { rd: Reg.RA, rs1: Reg.T0, imm: 4 }), 0, 'jalr ra, t0, 4'],
    ['N', w(Op.SYSCALL), 0, 'syscall'],
    ['N (privileged)', w(Op.HALT), 0, 'halt'],
    ['CR', w(Op.CSRR, { rd: Reg.A0, imm: Csr.STATUS }), 0, 'csrr a0, status'],
    ['CR (unknown CSR)', w(Op.CSRR, { rd: Reg.A0, imm: 99 }), 0, 'csrr a0, 99'],
    ['CW', w(Op.CSRW, { rs1: Reg.A0, imm: Csr.TVEC }), 0, 'csrw tvec, a0'],
    ['CRW', w(Op.CSRRW, { rd: Reg.A0, rs1: Reg.A0, imm: Csr.SCRATCH }), 0, 'csrrw a0, scratch, a0'],
    ['F (all)', w(Op.TLBFLUSH), 0, 'tlbflush'],
    ['F (one page)', w(Op.TLBFLUSH, { rs1: Reg.A0 }), 0, 'tlbflush a0'],
  ])('%s', (_format, word, pc, text) => {
    expect(formatInstruction(word, pc, symbolAt)).toBe(text);
  });

  test('without a symbol lookup, targets are absolute hex addresses', () => {
    expect(formatInstruction(w(Op.BEQ, { rs1: Reg.A0, imm: -8 }), 0x1008)).toBe('beq a0, zero, 0x00001000');
  });
});

describe('formatInstruction: pseudo forms only where they are the same word', () => {
  test.each<[string, number, string]>([
    ['nop', w(Op.ADDI), 'nop'],
    ['li', w(Op.ADDI, { rd: Reg.A0, imm: -42 }), 'li a0, -42'],
    ['mv', w(Op.ADDI, { rd: Reg.S0, rs1: Reg.SP }), 'mv s0, sp'],
    ['j', w(Op.JAL, { imm: -0x8 }), 'j loop'],
    ['call', w(Op.JAL, { rd: Reg.RA, imm: 0xff8 }), 'call fn'],
    ['ret', w(Op.JALR, { rs1: Reg.RA }), 'ret'],
    ['jr', w(Op.JALR, { rs1: Reg.T0 }), 'jr t0'],
    ['jalr with an offset stays jalr', w(Op.JALR, { rs1: Reg.RA, imm: 4 }), 'jalr zero, ra, 4'],
    ['jalr linking stays jalr', w(Op.JALR, { rd: Reg.RA, rs1: Reg.RA }), 'jalr ra, ra, 0'],
  ])('%s', (_what, word, text) => {
    expect(formatInstruction(word, 0x1008, symbolAt)).toBe(text);
  });
});

describe('formatInstruction: words that are not instructions', () => {
  test.each<[string, number]>([
    ['zero (opcode 0 is never assigned)', 0],
    ['an unassigned opcode', 0x1234_56ff],
    ['R with stray high bits', (w(Op.ADD, { rd: 1, rs1: 2, rs2: 3 }) | 0x0010_0000) >>> 0],
    ['SH with a shift over 31', (w(Op.SLLI, { rd: 1, rs1: 2 }) | (32 << 16)) >>> 0],
    ['N with operand bits', (w(Op.HALT) | 0x100) >>> 0],
    ['F with an rd field', (w(Op.TLBFLUSH) | 0x100) >>> 0],
  ])('%s prints as .word', (_what, word) => {
    expect(formatInstruction(word, 0)).toBe(`.word 0x${word.toString(16).padStart(8, '0')}`);
  });

  test('negative numbers as words print unsigned', () => {
    expect(formatInstruction(-1, 0)).toBe('.word 0xffffffff');
  });
});

describe('writtenRegister', () => {
  test.each<[string, number, number | undefined]>([
    ['add writes rd', w(Op.ADD, { rd: Reg.A0, rs1: 1, rs2: 2 }), Reg.A0],
    ['lw writes rd', w(Op.LW, { rd: Reg.T0, rs1: Reg.SP }), Reg.T0],
    ['lui writes rd', w(Op.LUI, { rd: Reg.S3, imm: 1 }), Reg.S3],
    ['jal writes the link register', w(Op.JAL, { rd: Reg.RA, imm: 8 }), Reg.RA],
    ['jalr writes the link register', w(Op.JALR, { rd: Reg.T1, rs1: Reg.T0 }), Reg.T1],
    ['csrr writes rd', w(Op.CSRR, { rd: Reg.A1, imm: Csr.CAUSE }), Reg.A1],
    ['csrrw writes rd', w(Op.CSRRW, { rd: Reg.A1, rs1: Reg.A2, imm: Csr.SCRATCH }), Reg.A1],
    ['a write to zero is no write', w(Op.ADDI), undefined],
    ['sw writes no register', w(Op.SW, { rs2: Reg.A0, rs1: Reg.SP }), undefined],
    ['beq writes no register', w(Op.BEQ, { rs1: 1, rs2: 2, imm: 8 }), undefined],
    ['csrw writes no register', w(Op.CSRW, { rs1: Reg.A0, imm: 1 }), undefined],
    ['tlbflush writes no register', w(Op.TLBFLUSH, { rs1: Reg.A0 }), undefined],
    ['a non-instruction writes no register', 0, undefined],
  ])('%s', (_what, word, reg) => {
    expect(writtenRegister(word)).toBe(reg);
  });
});
