import { describe, expect, test } from 'vitest';
import { formatInstruction } from '../../../isa/disasm.js';
import { ok, oneError, words } from './support.js';

/** What a source assembles to, as real instructions (targets as absolute addresses). */
const expand = (source: string): string[] => words(source).map((w, i) => formatInstruction(w, 0x1000 + 4 * i, undefined, { pseudo: false }));

describe('pseudo-instructions expand to the documented real instructions', () => {
  test.each([
    ['nop', ['addi zero, zero, 0']],
    ['mv a0, s1', ['addi a0, s1, 0']],
    ['not a0, a1', ['sub a0, zero, a1', 'addi a0, a0, -1']],
    ['neg t0, t1', ['sub t0, zero, t1']],
    ['seqz a0, a1', ['sltiu a0, a1, 1']],
    ['snez a0, a1', ['sltu a0, zero, a1']],
    ['j 0x1010', ['jal zero, 0x00001010']],
    ['call 0x1010', ['jal ra, 0x00001010']],
    ['jr t0', ['jalr zero, t0, 0']],
    ['ret', ['jalr zero, ra, 0']],
    ['beqz a0, 0x1008', ['beq a0, zero, 0x00001008']],
    ['bnez a0, 0x1008', ['bne a0, zero, 0x00001008']],
    ['bltz a0, 0x1008', ['blt a0, zero, 0x00001008']],
    ['bgez a0, 0x1008', ['bge a0, zero, 0x00001008']],
    ['blez a0, 0x1008', ['bge zero, a0, 0x00001008']],
    ['bgtz a0, 0x1008', ['blt zero, a0, 0x00001008']],
    ['bgt a0, a1, 0x1008', ['blt a1, a0, 0x00001008']],
    ['ble a0, a1, 0x1008', ['bge a1, a0, 0x00001008']],
    ['bgtu a0, a1, 0x1008', ['bltu a1, a0, 0x00001008']],
    ['bleu a0, a1, 0x1008', ['bgeu a1, a0, 0x00001008']],
    ['push ra', ['addi sp, sp, -4', 'sw ra, 0(sp)']],
    ['push ra, s0, s1', ['addi sp, sp, -12', 'sw ra, 8(sp)', 'sw s0, 4(sp)', 'sw s1, 0(sp)']],
    ['pop ra, s0, s1', ['lw ra, 8(sp)', 'lw s0, 4(sp)', 'lw s1, 0(sp)', 'addi sp, sp, 12']],
  ])('%s', (source, expected) => {
    expect(expand(source)).toEqual(expected);
  });

  test('push and pop with the same list restore every register from its own slot', () => {
    const pushes = expand('push ra, s0');
    const pops = expand('pop ra, s0');
    expect(pushes.slice(1).map((s) => s.replace('sw', ''))).toEqual(pops.slice(0, -1).map((s) => s.replace('lw', '')));
  });
});

describe('li picks the shortest form for a value it knows', () => {
  test.each([
    ['li a0, 0', ['addi a0, zero, 0']],
    ['li a0, -32768', ['addi a0, zero, -32768']],
    ['li a0, 32767', ['addi a0, zero, 32767']],
    ['li a0, 0xffff', ['ori a0, zero, 0xffff']],
    ['li a0, 32768', ['ori a0, zero, 0x8000']],
    ['li a0, 0x10000', ['lui a0, 1']],
    ['li a0, 0xffff0000', ['lui a0, 0xffff']],
    ['li a0, 0x12345678', ['lui a0, 0x1234', 'ori a0, a0, 0x5678']],
    ['li a0, -32769', ['lui a0, 0xffff', 'ori a0, a0, 0x7fff']],
    ['li a0, -1', ['addi a0, zero, -1']],
    ['K = 70000\n li a0, K', ['lui a0, 1', 'ori a0, a0, 0x1170']],
    ["li a0, 'A'", ['addi a0, zero, 65']],
  ])('%s', (source, expected) => {
    expect(expand(source)).toEqual(expected);
  });

  test('a value known only later takes the long form, even when it would fit a short one', () => {
    expect(expand('li a0, K\nK = 5')).toEqual(['lui a0, 0', 'ori a0, a0, 5']);
    expect(expand('li a0, later\nlater:')).toEqual(['lui a0, 0', 'ori a0, a0, 0x1008']);
  });

  test('a backward label is known: it takes the short form', () => {
    expect(expand('.org 0x100\nhere: li a0, here')).toEqual(['addi a0, zero, 256']);
  });

  test('la always takes two words, even for a small known address', () => {
    const r = ok('.org 0x100\nhere: la a0, here\n la a1, there\nthere:');
    expect(r.image.sections[0]!.size).toBe(16);
    expect(r.listing.find((e) => e.source.includes('la a1'))!.expansion).toEqual(['lui a1, 0', 'ori a1, a1, 0x110']);
  });

  test('li and la of a data label (placed after .text) load the right address', () => {
    const r = ok('la a0, msg\nli a1, msg\n.data\nmsg: .byte 1');
    expect(r.listing.filter((e) => e.expansion).map((e) => e.expansion)).toEqual([
      ['lui a0, 0', 'ori a0, a0, 0x2000'],
      ['lui a1, 0', 'ori a1, a1, 0x2000'],
    ]);
  });
});

describe('pseudo-instruction operands are checked like real ones', () => {
  test.each([
    ['mv a0', `'mv' takes 2 operands (rd, rs), found 1`],
    ['ret a0', `'ret' takes no operands, found 1`],
    ['push', `'push' takes at least 1 operand (registers), found 0`],
    ['li a0, a1', `expected an immediate, found register 'a1'`],
    ['la 5, x\nx:', `expected a register, found '5'`],
    ['bgt a0, a1', `'bgt' takes 3 operands (rs1, rs2, target), found 2`],
    ['j a0', `expected a jump target, found register 'a0'`],
    ['push ra, 4', `expected a register, found '4'`],
  ])('%s', (source, message) => {
    expect(oneError(source)).toContain(`error: ${message}`);
  });
});
