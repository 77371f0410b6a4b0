/**
 * The dispatch-floor section: every implementation of the loop prints the
 * same sum (typevisor, the bare switch, the two floor loops, Lua when
 * installed), and the two floor loops — which run ISA words, not a loop of
 * their own — agree with typevisor's interpreter on generated straight-line
 * code of add and addi over random registers and immediates. No timing
 * thresholds.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../isa/asm/index.js';
import { expectedSum, measureFloor } from '../../bench/sections/dispatch.js';
import { jsFloor, wasmFloor } from '../../bench/runners/dispatch-floor.js';
import { ProcessVM } from '../../vm/process/index.js';

const hasLua = spawnSync('lua5.4', ['-v'], { stdio: 'ignore' }).error === undefined;
const NO_PLAN = { runs: 1, warmupSeconds: 0, budgetSeconds: Number.POSITIVE_INFINITY, minRuns: 1 };

describe('the dispatch floor', () => {
  test('every implementation sums the same turns to the same value', async () => {
    const { rows, verified } = await measureFloor({ turns: 20_000, plan: NO_PLAN });
    expect(verified).toBe(true);
    const ran = rows.filter((r) => r.seconds !== undefined).map((r) => r.id);
    expect(ran).toEqual(['interp', 'interp-js', 'switch', 'js-floor', 'wasm-floor', ...(hasLua ? ['lua'] : [])]);
    for (const r of rows) if (r.seconds !== undefined) expect(r.seconds).toBeGreaterThan(0);
  }, 60_000);

  test('the expected sum is n(n + 1)/2 mod 2^32', () => {
    expect(expectedSum(100_000_000)).toBe('3adb7080');
    expect(expectedSum(3)).toBe('00000006');
  });

  test('both floor loops run add and addi words as the interpreter does', async () => {
    const wasm = await wasmFloor();
    const reg = fc.integer({ min: 1, max: 15 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), rd: reg, rs1: reg, rs2: reg }),
      fc.record({ kind: fc.constant('addi' as const), rd: reg, rs1: reg, imm: fc.integer({ min: -32768, max: 32767 }) }),
    );
    const regName = (r: number): string => `r${r}`;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { minLength: 15, maxLength: 15 }), fc.array(op, { minLength: 1, maxLength: 40 }), async (init, ops) => {
        const body = ops.map((o) => (o.kind === 'add' ? `add ${regName(o.rd)}, ${regName(o.rs1)}, ${regName(o.rs2)}` : `addi ${regName(o.rd)}, ${regName(o.rs1)}, ${o.imm}`));
        const loads = init.map((v, i) => `li ${regName(i + 1)}, ${v}`);
        const r = assemble([`_start:`, ...loads, `code:`, ...body, `break`].join('\n'), { filename: 'floor.s' });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const text = r.image.sections.find((s) => s.data.length > 0)!;
        const at = r.image.symbols.find((s) => s.name === 'code')!.value - text.addr;
        const words = new Int32Array(text.data.slice(at, at + 4 * ops.length).buffer);

        // The interpreter: run to the break, read the registers.
        const vm = new ProcessVM(r.image, { tier: 'interp' });
        vm.run();
        const want = Array.from(vm.machine.cpu.regs.slice(1, 16));

        const code = new Int32Array(1025);
        const regs = new Int32Array(16);
        for (const [k, run] of [['js', () => jsFloor(code, regs)], ['wasm', () => wasm.run()]] as const) {
          const c = k === 'js' ? code : wasm.code;
          const g = k === 'js' ? regs : wasm.regs;
          c.fill(0);
          c.set(words);
          g.fill(0);
          g.set(init, 1);
          expect(run()).toBe(ops.length);
          expect(Array.from(g.slice(1, 16)), k).toEqual(want);
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
