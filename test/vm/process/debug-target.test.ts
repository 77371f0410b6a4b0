import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import type { Image } from '../../../isa/image.js';
import { Mode } from '../../../vm/cpu.js';
import { PTE_R } from '../../../vm/mmu.js';
import { RunControl } from '../../../vm/debug/run-control.js';
import { ProcessTarget } from '../../../vm/process/debug-target.js';
import { ProcessVM } from '../../../vm/process/index.js';

function image(source: string): Image {
  const r = assemble(source, { filename: 'prog.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/** Nested loops over a call, `rounds` outer rounds, then exit(s0 & 255). */
const program = (rounds: number): string => `
main:
    li   s0, 0
    li   s1, ${rounds}
outer:
    li   s2, 3
inner:
    mv   a0, s0
    call bump
    mv   s0, a0
    addi s2, s2, -1
    bnez s2, inner
    addi s1, s1, -1
    bnez s1, outer
    andi a0, s0, 255
    li   t0, 1
    syscall
bump:
    addi a0, a0, 7
    ret
`;

const CODE_WORDS = 16;

describe('the process VM as a run-control target', () => {
  test('runs with software breakpoints stop where stepping one instruction at a time first reaches a stop address, and leave the code as it was', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: CODE_WORDS - 1 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 12 }),
        async (rounds, words, runs) => {
          const img = image(program(rounds));
          const base = img.symbols.find((s) => s.name === 'main')!.value >>> 0;
          const stopAt = new Set(words.map((w) => (base + 4 * w) >>> 0));
          const fast = new ProcessVM(img, {});
          const slow = new ProcessVM(img, {});
          const target = new ProcessTarget(fast);
          const control = new RunControl(target, undefined);
          const code = (vm: ProcessVM): number[] => Array.from({ length: CODE_WORDS }, (_, i) => vm.machine.memory.i32[(vm.machine.hostOffset(base + 4 * i, Mode.USER, PTE_R) >>> 2)]!);
          const original = code(fast);
          for (let r = 0; r < runs && fast.result === undefined; r++) {
            const end = await control.run(() => (stopAt.has(fast.machine.cpu.pc) ? 'stop' : undefined), Infinity, stopAt);
            target.settle();
            // The reference: one instruction at a time (at least one), until a stop address or the end.
            do slow.step(1);
            while (slow.result === undefined && !stopAt.has(slow.machine.cpu.pc));
            expect(end.kind).toBe(slow.result === undefined ? 'stop' : 'ended');
            expect(fast.machine.cpu.pc).toBe(slow.machine.cpu.pc);
            expect(fast.machine.cpu.instret).toBe(slow.machine.cpu.instret);
            expect(Array.from(fast.machine.cpu.regs)).toEqual(Array.from(slow.machine.cpu.regs));
            expect(code(fast)).toEqual(original);
          }
          expect(fast.result).toEqual(slow.result);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('is not reversible, and says why', () => {
    const target = new ProcessTarget(new ProcessVM(image(program(1)), {}));
    const control = new RunControl(target, undefined);
    expect(control.reversible).toBe(false);
    expect(control.describe()[0]).toMatch(/^reverse execution is not available: .*system calls reach the host/);
  });
});
