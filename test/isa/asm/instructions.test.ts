import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CSRS } from '../../../isa/csr.js';
import { decode, encode } from '../../../isa/encoding.js';
import { FORMATS, type Instruction, type OperandKind } from '../../../isa/formats.js';
import { Op, OPCODES, type OpInfo } from '../../../isa/opcodes.js';
import { ABI_NAMES } from '../../../isa/registers.js';
import { decoded, oneError, words } from './support.js';

const BASE = 0x1000;

describe('one instruction of each format decodes to the fields written', () => {
  test.each([
    ['add t0, a1, s3', { op: Op.ADD, rd: 8, rs1: 5, rs2: 15, imm: 0 }],
    ['ADD R8, A1, S3', { op: Op.ADD, rd: 8, rs1: 5, rs2: 15, imm: 0 }],
    ['addi a0, sp, -32768', { op: Op.ADDI, rd: 4, rs1: 2, rs2: 0, imm: -32768 }],
    ['ori a0, a0, 0xffff', { op: Op.ORI, rd: 4, rs1: 4, rs2: 0, imm: 0xffff }],
    ['slli a0, a1, 31', { op: Op.SLLI, rd: 4, rs1: 5, rs2: 0, imm: 31 }],
    ['lui t1, 0xabcd', { op: Op.LUI, rd: 9, rs1: 0, rs2: 0, imm: 0xabcd }],
    ['lw a0, -8(fp)', { op: Op.LW, rd: 4, rs1: 3, rs2: 0, imm: -8 }],
    ['lbu a0, (a1)', { op: Op.LBU, rd: 4, rs1: 5, rs2: 0, imm: 0 }],
    ['lh a0, (4 + 4)(a1)', { op: Op.LH, rd: 4, rs1: 5, rs2: 0, imm: 8 }],
    ['sw ra, 12(sp)', { op: Op.SW, rd: 0, rs1: 2, rs2: 1, imm: 12 }],
    ['beq a0, a1, 0x1000', { op: Op.BEQ, rd: 0, rs1: 4, rs2: 5, imm: 0 }],
    ['bne a0, a1, . + 16', { op: Op.BNE, rd: 0, rs1: 4, rs2: 5, imm: 16 }],
    ['jal ra, 0x1000 - 4096', { op: Op.JAL, rd: 1, rs1: 0, rs2: 0, imm: -4096 }],
    ['jalr zero, ra, 4', { op: Op.JALR, rd: 0, rs1: 1, rs2: 0, imm: 4 }],
    ['syscall', { op: Op.SYSCALL, rd: 0, rs1: 0, rs2: 0, imm: 0 }],
    ['csrr a0, cause', { op: Op.CSRR, rd: 4, rs1: 0, rs2: 0, imm: 3 }],
    ['csrw STATUS, a1', { op: Op.CSRW, rd: 0, rs1: 5, rs2: 0, imm: 0 }],
    ['csrrw a0, scratch, a0', { op: Op.CSRRW, rd: 4, rs1: 4, rs2: 0, imm: 5 }],
    ['csrs ie, t0', { op: Op.CSRS, rd: 0, rs1: 8, rs2: 0, imm: 8 }],
    ['csrr a0, 6', { op: Op.CSRR, rd: 4, rs1: 0, rs2: 0, imm: 6 }],
    ['tlbflush', { op: Op.TLBFLUSH, rd: 0, rs1: 0, rs2: 0, imm: 0 }],
    ['tlbflush a2', { op: Op.TLBFLUSH, rd: 0, rs1: 6, rs2: 0, imm: 0 }],
  ])('%s', (source, expected) => {
    const [ins] = decoded(source);
    expect(ins).toMatchObject(expected);
  });
});

describe('branch and jump targets', () => {
  test('backward and forward labels become pc-relative offsets', () => {
    const ins = decoded('top: nop\n beq a0, a1, top\n jal ra, end\n nop\nend:');
    expect(ins[1]).toMatchObject({ name: 'beq', imm: -4 });
    expect(ins[2]).toMatchObject({ name: 'jal', imm: 8 });
  });

  test('a target across the top of the address space is reached modulo 2^32', () => {
    const ins = decoded('.org 0xfffffff8\n beq a0, a1, 0x4\n jal zero, 0x10');
    expect(ins[0]).toMatchObject({ name: 'beq', imm: 12 });
    expect(ins[1]).toMatchObject({ name: 'jal', imm: 0x14 });
  });

  test('the edges of branch and jump reach assemble; one word further does not', () => {
    expect(decoded(`beq a0, a1, ${BASE} + 131068`)[0]!.imm).toBe(131068);
    expect(decoded(`.org 0x100000\n beq a0, a1, 0x100000 - 131072`)[0]!.imm).toBe(-131072);
    expect(decoded(`jal ra, ${BASE} + 0x1ffffc`)[0]!.imm).toBe(0x1ffffc);
    expect(oneError(`beq a0, a1, ${BASE} + 140000`)).toContain('error: branch target is 140000 bytes away; a branch reaches ±128 KiB');
    expect(oneError(`jal ra, ${BASE} + 0x200000`)).toContain('jump target is 2097152 bytes away; jal reaches ±2 MiB');
  });

  test('a misaligned target is an error naming the address', () => {
    expect(oneError('beq a0, a1, 0x1002')).toContain('error: branch target 0x1002 is not 4-byte aligned');
  });
});

describe('immediates are range-checked by the field', () => {
  test.each([
    ['addi a0, a0, 32767', true], ['addi a0, a0, 32768', false], ['addi a0, a0, -32768', true], ['addi a0, a0, -32769', false],
    ['andi a0, a0, 65535', true], ['andi a0, a0, -1', false], ['lui a0, 65535', true], ['lui a0, 65536', false],
    ['srai a0, a0, 31', true], ['srai a0, a0, 32', false], ['lw a0, 32767(a0)', true], ['sw a0, -32769(a0)', false],
  ])('%s fits: %s', (source, fits) => {
    if (fits) expect(words(source)).toHaveLength(1);
    else expect(() => words(source)).toThrow(/does not fit|not in 0\.\.31/);
  });
});

// ---------------------------------------------------------------------------
// Property: any instruction of any row, with operands in range, written as text,
// assembles to a word that decodes to the same fields.

const reg = fc.integer({ min: 0, max: 15 });
const regName = (n: number, style: number): string => (style === 0 ? `r${n}` : ABI_NAMES[n]!);

interface Case {
  readonly text: string;
  readonly expected: Instruction;
}

function operandValues(info: OpInfo): fc.Arbitrary<Case> {
  const kinds = FORMATS[info.format].operands;
  const imm = kinds.find((k) => !['rd', 'rs1', 'rs2', 'rs1?'].includes(k));
  const immArb: Record<string, fc.Arbitrary<number>> = {
    simm16: fc.integer({ min: -32768, max: 32767 }),
    mem: fc.integer({ min: -32768, max: 32767 }),
    uimm16: fc.integer({ min: 0, max: 65535 }),
    shamt: fc.integer({ min: 0, max: 31 }),
    target16: fc.integer({ min: -32768, max: 32767 }).map((w) => w * 4),
    target20: fc.integer({ min: -(2 ** 19), max: 2 ** 19 - 1 }).map((w) => w * 4),
    csr: fc.oneof(fc.integer({ min: 0, max: CSRS.length - 1 }), fc.integer({ min: 0, max: 65535 })),
  };
  return fc.record({
    rd: reg, rs1: reg, rs2: reg,
    imm: imm ? immArb[imm]! : fc.constant(0),
    style: fc.integer({ min: 0, max: 1 }),
    hex: fc.boolean(),
    csrByName: fc.boolean(),
    omitOptional: fc.boolean(),
  }).map((v): Case => {
    const r = (n: number): string => regName(n, v.style);
    const num = (n: number): string => (v.hex && n >= 0 ? `0x${n.toString(16)}` : String(n));
    const fields = { rd: 0, rs1: 0, rs2: 0 };
    const parts = kinds.flatMap((k: OperandKind): string[] => {
      switch (k) {
        case 'rd': fields.rd = v.rd; return [r(v.rd)];
        case 'rs1': fields.rs1 = v.rs1; return [r(v.rs1)];
        case 'rs2': fields.rs2 = v.rs2; return [r(v.rs2)];
        case 'rs1?':
          if (v.omitOptional) return [];
          fields.rs1 = v.rs1;
          return [r(v.rs1)];
        case 'simm16': case 'uimm16': case 'shamt': return [num(v.imm)];
        case 'mem': fields.rs1 = v.rs1; return [`${num(v.imm)}(${r(v.rs1)})`];
        // Targets are absolute: the instruction sits at BASE.
        case 'target16': case 'target20': return [`0x${((BASE + v.imm) >>> 0).toString(16)}`];
        case 'csr': return [v.csrByName && v.imm < CSRS.length ? CSRS[v.imm]!.name : num(v.imm)];
      }
    });
    const text = parts.length === 0 ? info.name : `${info.name} ${parts.join(', ')}`;
    // The decoder reports only the fields the format has.
    const expected = decode(encode({ op: info.op, ...fields, imm: v.imm }))!;
    return { text, expected };
  });
}

describe('property: text → assemble → decode gives back the fields', () => {
  test.each(OPCODES.map((o) => [o.name, o] as const))('%s', (_, info) => {
    fc.assert(
      fc.property(operandValues(info), (c) => {
        const ins = decoded(c.text);
        expect(ins).toHaveLength(1);
        const { name: _name, ...fields } = ins[0]!;
        expect(fields).toEqual(c.expected);
      }),
      { numRuns: 60 },
    );
  });
});
