/**
 * A trap loop: a fetch that faults at its own trap vector retires nothing.
 * The budget must still run out (it counts the deliveries), and the bare
 * machine must stop with a message instead of spinning forever.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { assemble } from '../../isa/asm/index.js';
import { Op } from '../../isa/opcodes.js';
import { BareMachine } from '../../vm/bare.js';
import { Exit } from '../../vm/exit.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { I, machineWith } from '../helpers/machine.js';

describe('trap loops', () => {
  test('run(budget) returns when every fetch faults: the deliveries spend the budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('interp', 'jit'), (budget, tier) => {
        // syscall with stvec = 0: the trap goes to 0, which is not memory; fetching it faults, to 0 again.
        const m = machineWith([I(Op.SYSCALL)], { tier: tier as 'interp' | 'jit' });
        const e = m.run(budget);
        expect(e).toBe(Exit.BUDGET);
        // The trapping syscall retires nothing either; every delivery after it is a fetch fault.
        expect(m.cpu.instret).toBe(0);
        expect(m.fetchFaults).toBe(budget);
      }),
      { numRuns: 20 },
    );
  });

  test('the bare machine stops a trap loop with a message naming the vector and the cause', async () => {
    const r = assemble('_start:\n li t0, 1\n syscall\n', { filename: 'user.s', defaultTextBase: RAM_BASE });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    const result = await new BareMachine(r.image).run();
    expect(result.kind).toBe('stuck');
    expect(result.kind === 'stuck' ? result.reason : '').toMatch(/trap loop: fetching its trap vector at 0x00000000 faults \(fetch-fault\).*typevisor run FILE/);
  });

  test('--max-instructions counts the deliveries too', async () => {
    const r = assemble('_start:\n syscall\n', { filename: 'user.s', defaultTextBase: RAM_BASE });
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    const result = await new BareMachine(r.image, { maxInstructions: 10 }).run();
    expect(result).toEqual({ kind: 'budget', instructions: 0 });
  });
});
