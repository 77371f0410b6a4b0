/**
 * The interpreter's pre-decoded pages (vm/decoded.ts): decoding is exact, a
 * decoding never outlives the words it was made from (guest stores, host
 * writes, syscall buffers), a page written over and over runs RAW, fused
 * pairs stop exactly at any instruction limit, and the dirty log still sees
 * every store. The random programs of differential.test.ts cover the rest.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';
import { Mode } from '../../vm/cpu.js';
import { decodeOp, decodePage, ILLEGAL, PAGE_END, STRIKES, WORDS, FUSED_ADDI_BNE, FUSED_LUI_ORI, NOP, DIV_R0, LOAD_R0, JAL_R0, JALR_R0 } from '../../vm/decoded.js';
import { Exit } from '../../vm/exit.js';
import { Machine } from '../../vm/machine.js';
import { Cause } from '../../vm/trap.js';

const RAM = 0x8000_0000;
const I = (op: Op, rd = 0, rs1 = 0, rs2 = 0, imm = 0): number => encode({ op, rd, rs1, rs2, imm });

function machine(words: readonly number[], at = RAM): Machine {
  const m = new Machine({ memSize: 64 * 1024, trapToHost: true, tier: 'interp' });
  const bytes = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w >>> 0, true));
  m.memory.write(at, bytes);
  m.reset(at, Mode.SUPERVISOR);
  return m;
}

describe('decoding', () => {
  test('a word keeps its fields; only the low byte becomes the handler', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { minLength: WORDS, maxLength: WORDS }), fc.boolean(), (ws, fusion) => {
        const page = decodePage(Int32Array.from(ws), fusion);
        expect(page[WORDS]).toBe(PAGE_END);
        for (let i = 0; i < WORDS; i++) {
          expect(page[i]! & ~0xff).toBe(ws[i]! & ~0xff);
          if (!fusion) expect(page[i]! & 0xff).toBe(decodeOp(ws[i]!));
        }
      }),
      { numRuns: 20 },
    );
  });

  test('reserved bits make a word ILLEGAL; a valid one decodes to its opcode', () => {
    expect(decodeOp(I(Op.ADD, 1, 2, 3))).toBe(Op.ADD);
    expect(decodeOp(I(Op.ADD, 1, 2, 3) | 0x00f00000)).toBe(ILLEGAL);
    expect(decodeOp(I(Op.SLLI, 1, 2, 0, 31))).toBe(Op.SLLI);
    expect(decodeOp(I(Op.SLLI, 1, 2, 0, 31) | 0x00200000)).toBe(ILLEGAL);
    expect(decodeOp(I(Op.SYSCALL) | 0x100)).toBe(ILLEGAL);
    expect(decodeOp(0)).toBe(ILLEGAL);
    expect(decodeOp(0xff)).toBe(ILLEGAL);
  });

  test('a write to r0 decodes to a handler of its own; what else it does stays', () => {
    expect(decodeOp(I(Op.ADD, 0, 2, 3))).toBe(NOP);
    expect(decodeOp(I(Op.ADDI, 0, 0, 0, 0))).toBe(NOP); // the assembler's nop
    expect(decodeOp(I(Op.LUI, 0, 0, 0, 7))).toBe(NOP);
    for (const op of [Op.DIV, Op.DIVU, Op.REM, Op.REMU]) expect(decodeOp(I(op, 0, 1, 2))).toBe(DIV_R0);
    for (const op of [Op.LB, Op.LBU, Op.LH, Op.LHU, Op.LW]) expect(decodeOp(I(op, 0, 1, 0, 8))).toBe(LOAD_R0);
    expect(decodeOp(I(Op.JAL, 0, 0, 0, 8))).toBe(JAL_R0);
    expect(decodeOp(I(Op.JALR, 0, 1, 0, 0))).toBe(JALR_R0);
    // rd is a source for stores and branches, and the CSR instructions check it themselves
    expect(decodeOp(I(Op.SW, 0, 1, 2, 4))).toBe(Op.SW);
    expect(decodeOp(I(Op.BEQ, 0, 1, 0, 4))).toBe(Op.BEQ);
    expect(decodeOp(I(Op.CSRR, 0, 0, 0, 1))).toBe(Op.CSRR);
    // reserved bits still come first
    expect(decodeOp(I(Op.ADD, 0, 2, 3) | 0x00f00000)).toBe(ILLEGAL);
  });

  test('writes to r0 leave it 0, and keep their traps: a division by zero, a load that faults', () => {
    // add r0, a0, a0 ; or a1, r0, a0 ; div r0, a0, r0 (traps) ; lw r0, 0(a2) (a load fault) ; halt
    const m = machine([I(Op.ADD, 0, 1, 1), I(Op.OR, 2, 0, 1), I(Op.DIV, 0, 1, 0), I(Op.LW, 0, 3, 0, 0), I(Op.HALT)]);
    m.cpu.regs[1] = 21;
    m.cpu.regs[3] = 0x1000; // no RAM there
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.DIVIDE_BY_ZERO);
    expect(m.cpu.instret).toBe(2);
    expect(m.cpu.regs[0]).toBe(0);
    expect(m.cpu.regs[2]).toBe(21);
    m.cpu.pc = RAM + 12;
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.LOAD_FAULT);
    expect(m.cpu.instret).toBe(2);
    m.cpu.regs[3] = RAM;
    m.cpu.pc = RAM + 12;
    m.run(10);
    expect(m.halted).toBe(true);
    expect(m.cpu.instret).toBe(4);
    expect(m.cpu.regs[0]).toBe(0);
  });

  test('common pairs fuse; a pair whose first instruction writes r0 does not', () => {
    const page = decodePage(Int32Array.from({ length: WORDS }, (_, i) => [I(Op.ADDI, 1, 1, 0, 1), I(Op.BNE, 0, 1, 2, -4), I(Op.LUI, 3, 0, 0, 0x1234), I(Op.ORI, 3, 3, 0, 0x5678), I(Op.ADDI, 0, 1, 0, 1), I(Op.BNE, 0, 1, 2, -4)][i % 6] ?? 0), true);
    expect(page[0]! & 0xff).toBe(FUSED_ADDI_BNE);
    expect(page[1]! & 0xff).toBe(Op.BNE); // a jump to the second runs it alone
    expect(page[2]! & 0xff).toBe(FUSED_LUI_ORI);
    expect(page[4]! & 0xff).toBe(NOP); // addi r0: writes r0 only
  });
});

describe('running from decoded pages', () => {
  test('a fused pair stops at any instruction limit with the exact count and registers', () => {
    // li t0, 0x12345678 ; loop: addi a0, a0, 1 ; bne a0, a1, loop ; halt
    const prog = [I(Op.LUI, 5, 0, 0, 0x1234), I(Op.ORI, 5, 5, 0, 0x5678), I(Op.ADDI, 1, 1, 0, 1), I(Op.BNE, 0, 1, 2, -4), I(Op.HALT)];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (chunks) => {
        const m = machine(prog);
        m.cpu.regs[2] = 10;
        const seen: number[] = [];
        let i = 0;
        while (!m.halted && m.cpu.instret < 100) {
          const before = m.cpu.instret;
          const budget = chunks[i++ % chunks.length]!;
          m.run(budget);
          expect(m.cpu.instret - before).toBeLessThanOrEqual(budget);
          seen.push(m.cpu.instret);
          // Between runs the state is one the one-at-a-time machine passes through.
          const n = m.cpu.instret;
          const expectPc = n <= 2 ? RAM + 4 * n : n >= 22 ? RAM + 16 : RAM + 8 + 4 * ((n - 2) % 2);
          if (!m.halted) expect(m.cpu.pc >>> 0).toBe(expectPc >>> 0);
          if (n >= 1) expect(m.cpu.regs[5]).toBe(n === 1 ? 0x12340000 : 0x12345678);
        }
        expect(m.halted).toBe(true);
        expect(m.cpu.regs[1]).toBe(10);
        expect(m.cpu.instret).toBe(2 + 20 + 1);
      }),
      { numRuns: 60 },
    );
  });

  test('the guest storing into its own decoded page runs the new word', () => {
    // sw a1, 16(s1) overwrites the word at +16 (a halt) with `addi a0, a0, 7` taken from a1
    const prog = [I(Op.SW, 0, 9, 2, 16), I(Op.ADDI, 1, 1, 0, 1), I(Op.ADDI, 1, 1, 0, 1), I(Op.ADDI, 1, 1, 0, 1), I(Op.HALT), I(Op.HALT)];
    const m = machine(prog);
    m.cpu.regs[9] = RAM;
    m.cpu.regs[2] = I(Op.ADDI, 1, 1, 0, 7);
    m.run(1000);
    expect(m.cpu.regs[1]).toBe(10);
    expect(m.decoded.stats.dropped).toBe(1);
    expect(m.memory.dirty[0]).toBe(1); // the dirty log saw the store
  });

  test('a store through the interpreter\'s last-page cache cannot reach a page that has since become code', () => {
    // Page 0 stores twice into page 1 (the first fills the TLB, the second is
    // served by it and remembered), then jumps there; page 1 overwrites its own
    // halt at +8 with `addi a0, a0, 7`. Entering page 1 decodes it and takes its
    // write permission away, so that store must take the slow path and drop the
    // decoding, whatever page 0 remembered.
    const m = machine([I(Op.SW, 0, 9, 3, 0x100), I(Op.SW, 0, 9, 3, 0x104), I(Op.JALR, 0, 9, 0, 0)]);
    const code = [I(Op.SW, 0, 9, 2, 8), I(Op.ADDI, 1, 1, 0, 1), I(Op.HALT), I(Op.HALT)];
    const bytes = new Uint8Array(code.length * 4);
    code.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w >>> 0, true));
    m.memory.write(RAM + 4096, bytes);
    m.cpu.regs[9] = RAM + 4096;
    m.cpu.regs[2] = I(Op.ADDI, 1, 1, 0, 7);
    m.cpu.regs[3] = 42;
    m.run(1000);
    expect(m.halted).toBe(true);
    expect(m.cpu.regs[1]).toBe(8);
    expect(m.cpu.instret).toBe(3 + 4);
    expect(m.memory.readWord(RAM + 4096 + 0x104)).toBe(42);
  });

  test('host writes between runs drop the decoding: memory.write and a syscall buffer (writeVirtual)', () => {
    const loop = [I(Op.ADDI, 1, 1, 0, 1), I(Op.JAL, 0, 0, 0, -4)];
    for (const how of ['write', 'virtual'] as const) {
      const m = machine(loop);
      m.run(10);
      expect(m.cpu.regs[1]).toBe(5);
      const patch = new Uint8Array(4);
      new DataView(patch.buffer).setUint32(0, I(Op.ADDI, 1, 1, 0, 100), true);
      if (how === 'write') m.memory.write(RAM, patch);
      else expect(m.writeVirtual(RAM, patch)).toBe(true);
      m.run(10);
      expect(m.cpu.regs[1]).toBe(505);
    }
  });

  test('a page written over and over while it runs is left RAW, and stays exact', () => {
    // loop: sw a0, 64(s1) ; addi a0, a0, 1 ; bne a0, a1, loop ; halt — data on the code page
    const prog = [I(Op.SW, 0, 9, 1, 64), I(Op.ADDI, 1, 1, 0, 1), I(Op.BNE, 0, 1, 2, -8), I(Op.HALT)];
    const m = machine(prog);
    m.cpu.regs[9] = RAM;
    m.cpu.regs[2] = 50;
    m.run(10_000);
    expect(m.halted).toBe(true);
    expect(m.cpu.instret).toBe(50 * 3 + 1);
    expect(m.memory.readWord(RAM + 64)).toBe(49);
    expect(m.decoded.stats.dropped).toBe(STRIKES);
    expect(m.decoded.stats.raw).toBe(1);
  });

  test('an illegal word traps with the word as it is in memory', () => {
    const bad = I(Op.ADD, 1, 2, 3) | 0x00f00000;
    const m = machine([I(Op.ADDI, 1, 1, 0, 1), bad]);
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.ILLEGAL_INSTRUCTION);
    expect(m.lastTrap.badaddr).toBe(bad >>> 0);
    expect(m.lastTrap.pc).toBe(RAM + 4);
    expect(m.cpu.instret).toBe(1);
  });

  test('running off the end of a page goes on in the next', () => {
    const m = machine([I(Op.ADDI, 1, 1, 0, 1), I(Op.ADDI, 1, 1, 0, 2), I(Op.HALT)], RAM + 4096 - 8);
    m.run(100);
    expect(m.halted).toBe(true);
    expect(m.cpu.regs[1]).toBe(3);
    expect(m.cpu.instret).toBe(3);
  });

  test('reset and restore forget every decoding', () => {
    const m = machine([I(Op.ADDI, 1, 1, 0, 1), I(Op.HALT)]);
    const snap = m.save();
    m.run(10);
    // Rewrite the code behind the machine's back (no markDirty), then restore: the old decoding must not run.
    m.memory.i32[0] = I(Op.ADDI, 1, 1, 0, 40);
    m.restore(snap);
    m.cpu.pc = RAM;
    m.halted = false;
    m.run(10);
    expect(m.cpu.regs[1]).toBe(40);
  });
});
