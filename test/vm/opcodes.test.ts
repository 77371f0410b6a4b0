/**
 * Every opcode against its documented semantics (isa/opcodes.ts), with the
 * edge cases SPEC.md promises: wraparound, shifts by 32 or more, INT_MIN / −1,
 * division by zero, misalignment, zero register.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Op, OPCODES } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Exit } from '../../vm/exit.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { Cause } from '../../vm/trap.js';
import { Mode } from '../../vm/cpu.js';
import { I, machineWith } from '../helpers/machine.js';

const tested = new Set<number>();
const edge = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 31, 32, 33, 63, 0x7fffffff, -0x80000000, 0x8000, 0xffff, -0x8000),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
);

const s64 = (x: number) => BigInt.asIntN(32, BigInt(x));
const u64 = (x: number) => BigInt.asUintN(32, BigInt(x));
const i32 = (x: bigint) => Number(BigInt.asIntN(32, x));

/** Execute one instruction with a1 = x, a2 = y; return the machine. */
function exec(word: number, x: number, y: number, mode: Mode = Mode.SUPERVISOR) {
  const m = machineWith([word], { mode });
  m.cpu.regs[Reg.A1] = x;
  m.cpu.regs[Reg.A2] = y;
  const e = m.run(1);
  return { m, e };
}

const R_REF: [Op, (a: number, b: number) => number][] = [
  [Op.ADD, (a, b) => i32(s64(a) + s64(b))],
  [Op.SUB, (a, b) => i32(s64(a) - s64(b))],
  [Op.MUL, (a, b) => i32(s64(a) * s64(b))],
  [Op.MULH, (a, b) => i32((s64(a) * s64(b)) >> 32n)],
  [Op.MULHU, (a, b) => i32((u64(a) * u64(b)) >> 32n)],
  [Op.AND, (a, b) => a & b],
  [Op.OR, (a, b) => a | b],
  [Op.XOR, (a, b) => a ^ b],
  [Op.SLL, (a, b) => i32(s64(a) << BigInt(b & 31))],
  [Op.SRL, (a, b) => i32(u64(a) >> BigInt(b & 31))],
  [Op.SRA, (a, b) => i32(s64(a) >> BigInt(b & 31))],
  [Op.SLT, (a, b) => (a < b ? 1 : 0)],
  [Op.SLTU, (a, b) => (a >>> 0 < b >>> 0 ? 1 : 0)],
];

const DIV_REF: [Op, (a: number, b: number) => number][] = [
  [Op.DIV, (a, b) => (a === -0x80000000 && b === -1 ? a : i32(s64(a) / s64(b)))],
  [Op.DIVU, (a, b) => i32(u64(a) / u64(b))],
  [Op.REM, (a, b) => (a === -0x80000000 && b === -1 ? 0 : i32(s64(a) % s64(b)))],
  [Op.REMU, (a, b) => i32(u64(a) % u64(b))],
];

describe('register-register ALU', () => {
  for (const [op, ref] of [...R_REF, ...DIV_REF]) {
    const name = OPCODES.find((o) => o.op === op)!.name;
    test(`${name} matches its definition`, () => {
      tested.add(op);
      fc.assert(
        fc.property(edge, edge, (x, y) => {
          if (DIV_REF.some(([o]) => o === op) && y === 0) return;
          const { m, e } = exec(I(op, Reg.A0, Reg.A1, Reg.A2), x, y);
          expect(e).toBe(Exit.BUDGET);
          expect(m.cpu.regs[Reg.A0]).toBe(ref(x, y));
          expect(m.cpu.pc).toBe(RAM_BASE + 4);
        }),
        { numRuns: 300 },
      );
    });
  }

  test('INT_MIN / -1 wraps to INT_MIN and INT_MIN rem -1 is 0', () => {
    expect(exec(I(Op.DIV, Reg.A0, Reg.A1, Reg.A2), -0x80000000, -1).m.cpu.regs[Reg.A0]).toBe(-0x80000000);
    expect(exec(I(Op.REM, Reg.A0, Reg.A1, Reg.A2), -0x80000000, -1).m.cpu.regs[Reg.A0]).toBe(0);
  });

  test('shifts use only the low five bits of the amount', () => {
    expect(exec(I(Op.SLL, Reg.A0, Reg.A1, Reg.A2), 1, 32).m.cpu.regs[Reg.A0]).toBe(1);
    expect(exec(I(Op.SLL, Reg.A0, Reg.A1, Reg.A2), 1, 33).m.cpu.regs[Reg.A0]).toBe(2);
    expect(exec(I(Op.SRL, Reg.A0, Reg.A1, Reg.A2), -1, 63).m.cpu.regs[Reg.A0]).toBe(1);
    expect(exec(I(Op.SRA, Reg.A0, Reg.A1, Reg.A2), -8, 33).m.cpu.regs[Reg.A0]).toBe(-4);
  });

  test.each([Op.DIV, Op.DIVU, Op.REM, Op.REMU])('division by zero traps (op 0x%s) and does not retire', (op) => {
    const m = machineWith([I(op, Reg.A0, Reg.A1, Reg.A2)], { trapToHost: true });
    m.cpu.regs[Reg.A1] = 7;
    m.cpu.regs[Reg.A0] = 99;
    expect(m.run(1)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.DIVIDE_BY_ZERO);
    expect(m.lastTrap.pc).toBe(RAM_BASE);
    expect(m.cpu.regs[Reg.A0]).toBe(99);
    expect(m.cpu.instret).toBe(0);
  });

  test('writes to r0 are discarded', () => {
    const m = machineWith([I(Op.ADDI, Reg.ZERO, Reg.ZERO, 0, 5), I(Op.ADD, Reg.A0, Reg.ZERO, Reg.ZERO)]);
    m.run(2);
    expect(m.cpu.regs[Reg.A0]).toBe(0);
  });

  test('stray bits in an R-format word make it illegal', () => {
    const m = machineWith([(I(Op.ADD, Reg.A0, Reg.A1, Reg.A2) | (1 << 25)) >>> 0], { trapToHost: true });
    expect(m.run(1)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.ILLEGAL_INSTRUCTION);
  });
});

const IMM_REF: [Op, (a: number, imm: number) => number, 's' | 'u' | 'sh'][] = [
  [Op.ADDI, (a, imm) => (a + imm) | 0, 's'],
  [Op.SLTI, (a, imm) => (a < imm ? 1 : 0), 's'],
  [Op.SLTIU, (a, imm) => (a >>> 0 < imm >>> 0 ? 1 : 0), 's'],
  [Op.ANDI, (a, imm) => a & imm, 'u'],
  [Op.ORI, (a, imm) => a | imm, 'u'],
  [Op.XORI, (a, imm) => a ^ imm, 'u'],
  [Op.SLLI, (a, imm) => a << imm, 'sh'],
  [Op.SRLI, (a, imm) => (a >>> imm) | 0, 'sh'],
  [Op.SRAI, (a, imm) => a >> imm, 'sh'],
];

describe('register-immediate ALU', () => {
  for (const [op, ref, kind] of IMM_REF) {
    const name = OPCODES.find((o) => o.op === op)!.name;
    const imm = kind === 's' ? fc.integer({ min: -32768, max: 32767 }) : kind === 'u' ? fc.integer({ min: 0, max: 65535 }) : fc.integer({ min: 0, max: 31 });
    test(`${name} matches its definition (${kind === 'u' ? 'zero' : 'sign'}-extended immediate)`, () => {
      tested.add(op);
      fc.assert(
        fc.property(edge, imm, (x, k) => {
          const { m } = exec(I(op, Reg.A0, Reg.A1, 0, k), x, 0);
          expect(m.cpu.regs[Reg.A0]).toBe(ref(x, k));
        }),
        { numRuns: 300 },
      );
    });
  }

  test('lui puts the immediate in the upper half', () => {
    tested.add(Op.LUI);
    fc.assert(fc.property(fc.integer({ min: 0, max: 65535 }), (k) => {
      expect(exec(I(Op.LUI, Reg.A0, 0, 0, k), 0, 0).m.cpu.regs[Reg.A0]).toBe((k << 16) | 0);
    }));
  });

  test('sltiu with 1 tests for zero', () => {
    expect(exec(I(Op.SLTIU, Reg.A0, Reg.A1, 0, 1), 0, 0).m.cpu.regs[Reg.A0]).toBe(1);
    expect(exec(I(Op.SLTIU, Reg.A0, Reg.A1, 0, 1), -1, 0).m.cpu.regs[Reg.A0]).toBe(0);
  });
});

describe('loads and stores', () => {
  const DATA = RAM_BASE + 0x1000;
  function withData(words: number[], bytes: number[]) {
    const m = machineWith(words, { trapToHost: true });
    m.memory.write(DATA, Uint8Array.from(bytes));
    m.cpu.regs[Reg.A1] = DATA;
    return m;
  }
  const bytes = [0x81, 0x82, 0x83, 0x84, 0x05, 0x06, 0x07, 0x08];

  test.each([
    [Op.LB, 0, -127], [Op.LB, 4, 5], [Op.LBU, 0, 0x81], [Op.LH, 0, (0x8281 << 16) >> 16], [Op.LH, 2, (0x8483 << 16) >> 16],
    [Op.LHU, 2, 0x8483], [Op.LW, 0, (0x84838281 | 0)], [Op.LW, 4, 0x08070605],
  ])('load op %i at +%i gives %i (little-endian, sign/zero extension)', (op, off, want) => {
    tested.add(op);
    const m = withData([I(op, Reg.A0, Reg.A1, 0, off)], bytes);
    expect(m.run(1)).toBe(Exit.BUDGET);
    expect(m.cpu.regs[Reg.A0]).toBe(want);
  });

  test.each([
    [Op.SB, 1, 0x12345678, [0x81, 0x78, 0x83]],
    [Op.SH, 2, 0x12345678, [0x81, 0x82, 0x78, 0x56, 0x05]],
    [Op.SW, 4, -2, [0x81, 0x82, 0x83, 0x84, 0xfe, 0xff, 0xff, 0xff]],
  ])('store op %i at +%i of %i', (op, off, value, want) => {
    tested.add(op);
    const m = withData([I(op, 0, Reg.A1, Reg.A2, off)], bytes);
    m.cpu.regs[Reg.A2] = value;
    m.run(1);
    expect(Array.from(m.memory.read(DATA, want.length))).toEqual(want);
  });

  test('negative offsets address below the base', () => {
    const m = withData([I(Op.LW, Reg.A0, Reg.A1, 0, -4)], bytes);
    m.cpu.regs[Reg.A1] = DATA + 8;
    m.run(1);
    expect(m.cpu.regs[Reg.A0]).toBe(0x08070605);
  });

  test.each([
    [Op.LH, 1, Cause.MISALIGNED_LOAD], [Op.LHU, 3, Cause.MISALIGNED_LOAD], [Op.LW, 2, Cause.MISALIGNED_LOAD],
    [Op.SH, 1, Cause.MISALIGNED_STORE], [Op.SW, 3, Cause.MISALIGNED_STORE],
  ])('op %i at offset %i traps as misaligned with badaddr = the address', (op, off, cause) => {
    const m = withData([I(op, Reg.A0, Reg.A1, Reg.A0, off)], bytes);
    expect(m.run(1)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(cause);
    expect(m.lastTrap.badaddr).toBe(DATA + off);
    expect(m.cpu.instret).toBe(0);
  });

  test('an access where there is no memory faults', () => {
    const m = withData([I(Op.LW, Reg.A0, Reg.A1, 0, 0)], bytes);
    m.cpu.regs[Reg.A1] = 0x1000;
    expect(m.run(1)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.LOAD_FAULT);
    expect(m.lastTrap.badaddr).toBe(0x1000);
  });
});

describe('control flow', () => {
  const BR: [Op, (a: number, b: number) => boolean][] = [
    [Op.BEQ, (a, b) => a === b], [Op.BNE, (a, b) => a !== b], [Op.BLT, (a, b) => a < b],
    [Op.BGE, (a, b) => a >= b], [Op.BLTU, (a, b) => a >>> 0 < b >>> 0], [Op.BGEU, (a, b) => a >>> 0 >= b >>> 0],
  ];
  for (const [op, taken] of BR) {
    const name = OPCODES.find((o) => o.op === op)!.name;
    test(`${name} branches by a word offset from itself`, () => {
      tested.add(op);
      fc.assert(fc.property(edge, edge, fc.integer({ min: -100, max: 100 }), (x, y, words) => {
        const m = machineWith([I(op, 0, Reg.A1, Reg.A2, words * 4)]);
        m.cpu.regs[Reg.A1] = x;
        m.cpu.regs[Reg.A2] = y;
        m.run(1);
        expect(m.cpu.pc).toBe((RAM_BASE + (taken(x, y) ? words * 4 : 4)) >>> 0);
      }), { numRuns: 200 });
    });
  }

  test('jal links and jumps', () => {
    tested.add(Op.JAL);
    const m = machineWith([I(Op.JAL, Reg.RA, 0, 0, 64)]);
    m.run(1);
    expect(m.cpu.pc).toBe(RAM_BASE + 64);
    expect(m.cpu.regs[Reg.RA]).toBe((RAM_BASE + 4) | 0);
  });

  test('jalr reads rs1 before writing rd when they are the same register', () => {
    tested.add(Op.JALR);
    const m = machineWith([I(Op.JALR, Reg.A0, Reg.A0, 0, 8)]);
    m.cpu.regs[Reg.A0] = RAM_BASE + 0x100;
    m.run(1);
    expect(m.cpu.pc).toBe(RAM_BASE + 0x108);
    expect(m.cpu.regs[Reg.A0]).toBe((RAM_BASE + 4) | 0);
  });

  test('a misaligned jalr target traps on the fetch', () => {
    const m = machineWith([I(Op.JALR, 0, Reg.A0, 0, 2)], { trapToHost: true });
    m.cpu.regs[Reg.A0] = RAM_BASE;
    expect(m.run(2)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.MISALIGNED_FETCH);
    expect(m.lastTrap.badaddr).toBe(RAM_BASE + 2);
  });

  test.each([[Op.SYSCALL, Cause.SYSCALL], [Op.BREAK, Cause.BREAKPOINT]])('op %i traps with epc at itself', (op, cause) => {
    tested.add(op);
    const m = machineWith([I(Op.ADDI, Reg.A0, 0, 0, 1), I(op)], { trapToHost: true });
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(cause);
    expect(m.lastTrap.pc).toBe(RAM_BASE + 4);
    expect(m.cpu.instret).toBe(1);
  });
});

describe('privileged instructions', () => {
  const priv = OPCODES.filter((o) => o.privileged);
  for (const info of priv) {
    test(`${info.name} traps in user mode with the word in badaddr`, () => {
      tested.add(info.op);
      const word = I(info.op, 0, 0, 0, 0);
      const m = machineWith([word], { trapToHost: true, mode: Mode.USER });
      expect(m.run(1)).toBe(Exit.TRAP);
      expect(m.lastTrap.cause).toBe(Cause.PRIVILEGED_INSTRUCTION);
      expect(m.lastTrap.badaddr).toBe(word);
      expect(m.cpu.instret).toBe(0);
    });
  }

  test('illegal opcodes trap', () => {
    for (const w of [0, 0xff, 0x37, 0xffffffff]) {
      const m = machineWith([w], { trapToHost: true });
      expect(m.run(1)).toBe(Exit.TRAP);
      expect(m.lastTrap.cause).toBe(Cause.ILLEGAL_INSTRUCTION);
      expect(m.lastTrap.badaddr).toBe(w >>> 0);
    }
  });

  test('halt stops with a0 as the status', () => {
    const m = machineWith([I(Op.ADDI, Reg.A0, 0, 0, 42), I(Op.HALT)]);
    expect(m.run(100)).toBe(Exit.HALT);
    expect(m.exitStatus).toBe(42);
    expect(m.halted).toBe(true);
  });

  test('every opcode in the table is covered by this suite', () => {
    const missing = OPCODES.filter((o) => !tested.has(o.op)).map((o) => o.name);
    expect(missing).toEqual([]);
  });
});

describe('csr access and traps on the bare machine', () => {
  test('a trap vectors to tvec, saves epc/cause/badaddr/previous mode, and sret returns', () => {
    // tvec = handler; enter user mode at `user` via sret; user does a syscall;
    // the handler reads cause and epc, skips the syscall, and returns.
    const H = RAM_BASE + 0x100;
    const U = RAM_BASE + 0x200;
    const m = machineWith([]);
    const put = (at: number, ws: number[]) => ws.forEach((w, i) => m.memory.writeWord(at + 4 * i, w));
    put(RAM_BASE, [
      I(Op.LUI, Reg.T0, 0, 0, H >>> 16), I(Op.ORI, Reg.T0, Reg.T0, 0, H & 0xffff), I(Op.CSRW, 0, Reg.T0, 0, 1 /* tvec */),
      I(Op.LUI, Reg.T0, 0, 0, U >>> 16), I(Op.ORI, Reg.T0, Reg.T0, 0, U & 0xffff), I(Op.CSRW, 0, Reg.T0, 0, 2 /* epc */),
      I(Op.SRET),
    ]);
    put(U, [I(Op.ADDI, Reg.A0, 0, 0, 7), I(Op.SYSCALL), I(Op.ADDI, Reg.A0, Reg.A0, 0, 1), I(Op.SYSCALL)]);
    put(H, [
      I(Op.CSRR, Reg.S0, 0, 0, 3 /* cause */), I(Op.CSRR, Reg.S1, 0, 0, 2 /* epc */), I(Op.CSRR, Reg.S2, 0, 0, 0 /* status */),
      I(Op.ADDI, Reg.T1, 0, 0, 2), I(Op.BEQ, 0, Reg.A0, Reg.T1, 20),
      I(Op.ADDI, Reg.S1, Reg.S1, 0, 4), I(Op.CSRW, 0, Reg.S1, 0, 2), I(Op.ADDI, Reg.A0, Reg.A0, 0, -6), I(Op.SRET),
      I(Op.HALT),
    ]);
    m.reset(RAM_BASE, Mode.SUPERVISOR);
    expect(m.run(1000)).toBe(Exit.HALT);
    expect(m.exitStatus).toBe(2);
    expect(m.cpu.regs[Reg.S0]).toBe(Cause.SYSCALL);
    expect(m.cpu.regs[Reg.S1]! >>> 0).toBe(U + 12);
    expect(m.cpu.regs[Reg.S2]).toBe(0); // PM = user, PIE = 0
    expect(m.trapCounts[Cause.SYSCALL]).toBe(2);
  });

  test('writing a read-only CSR is illegal; reading an unknown one is illegal', () => {
    const m = machineWith([I(Op.CSRW, 0, Reg.A0, 0, 9 /* ip */)], { trapToHost: true });
    expect(m.run(1)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.ILLEGAL_INSTRUCTION);
    const m2 = machineWith([I(Op.CSRR, Reg.A0, 0, 0, 200)], { trapToHost: true });
    expect(m2.run(1)).toBe(Exit.TRAP);
    expect(m2.lastTrap.cause).toBe(Cause.ILLEGAL_INSTRUCTION);
  });

  test('time counts retired instructions', () => {
    const m = machineWith([I(Op.ADDI, 0, 0, 0, 0), I(Op.ADDI, 0, 0, 0, 0), I(Op.CSRR, Reg.A0, 0, 0, 10 /* time */), I(Op.HALT)]);
    expect(m.run(100)).toBe(Exit.HALT);
    expect(m.exitStatus).toBe(2);
  });
});
