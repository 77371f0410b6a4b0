/**
 * Translations shared between machines (vm/jit/region-cache.ts): a second
 * machine running the same code takes the functions the first compiled, and
 * computes exactly what it computes alone; a machine whose code differs in
 * one word gets its own function for that page, never the other's.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble, formatDiagnostic } from '../../../isa/asm/index.js';
import { ProcessVM } from '../../../vm/process/index.js';
import { generatePage } from '../../../vm/jit/region-cache.js';
import { encode } from '../../../isa/encoding.js';
import { Op } from '../../../isa/opcodes.js';
import { Capture, inputFrom } from '../process/harness.js';

/** Sums i * step for i below n with a call per turn, and exits with the sum's low byte. */
const source = (n: number, step: number): string => `
.equ SYS_EXIT, 1
main:
    li s0, 0
    li s1, 0
loop:
    mv a0, s1
    call scale
    add s0, s0, a0
    addi s1, s1, 1
    li t1, ${n}
    blt s1, t1, loop
    andi a0, s0, 255
    li t0, SYS_EXIT
    syscall
scale:
    li t2, ${step}
    mul a0, a0, t2
    ret
`;

function run(n: number, step: number) {
  const r = assemble(source(n, step), { filename: 'sum.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  const vm = new ProcessVM(r.image, { stdout: new Capture().sink, stderr: new Capture().sink, stdin: inputFrom(''), tier: 'jit' });
  const result = vm.run();
  const m = vm.machine;
  return { result, instret: m.cpu.instret, regs: [...m.cpu.regs], stats: { ...m.jit!.stats } };
}

const expected = (n: number, step: number): number => {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + Math.imul(i, step)) | 0;
  return s & 255;
};

describe('translations shared between machines', () => {
  test('a second machine running the same program takes every function the first compiled, and ends the same', () => {
    const first = run(20_000, 7);
    expect(first.result).toEqual({ kind: 'exit', status: expected(20_000, 7) });
    expect(first.stats.translations).toBeGreaterThan(0);
    const second = run(20_000, 7);
    expect(second.result).toEqual(first.result);
    expect(second.instret).toBe(first.instret);
    expect(second.regs).toEqual(first.regs);
    expect(second.stats.translations).toBe(first.stats.translations);
    expect(second.stats.sharedTranslations).toBeGreaterThan(0);
  });

  test('programs that differ in one constant each compute their own result, whatever ran before them', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 2, maxLength: 4 }), (steps) => {
        for (const step of steps) {
          const r = run(3000, step);
          expect(r.result).toEqual({ kind: 'exit', status: expected(3000, step) });
          expect(r.stats.translations).toBeGreaterThan(0);
        }
      }),
      { numRuns: 8 },
    );
  });
});

describe('generated pages shared between machines', () => {
  test('the same words, base, mode and entries give the generation made before; any word changed gives a new one, true to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 1, max: 1000 }), (step, at, other) => {
        const words = new Int32Array(1024);
        words[0] = encode({ op: Op.ADDI, rd: 4, rs1: 4, rs2: 0, imm: step });
        words[1] = encode({ op: Op.BNE, rd: 0, rs1: 4, rs2: 5, imm: -4 });
        const page = { vbase: 0x1000, key: 4, words, entries: [0] };
        const first = generatePage(page);
        expect(generatePage({ ...page, words: words.slice() })).toBe(first);
        const changed = words.slice();
        changed[at] = at === 0 ? encode({ op: Op.ADDI, rd: 4, rs1: 4, rs2: 0, imm: step === other ? other + 1 : other }) : encode({ op: Op.ADDI, rd: 6, rs1: 6, rs2: 0, imm: other });
        const again = generatePage({ ...page, words: changed });
        expect(again).not.toBe(first);
        if (at === 0) expect(again.regions[0]!.source).not.toBe(first.regions[0]!.source);
      }),
      { numRuns: 50 },
    );
  });
});
