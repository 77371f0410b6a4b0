/** Small helpers for running hand-encoded code on a bare machine in tests. */
import { encode } from '../../isa/encoding.js';
import type { Op } from '../../isa/opcodes.js';
import { Mode } from '../../vm/cpu.js';
import { Exit } from '../../vm/exit.js';
import { Machine, type MachineOptions } from '../../vm/machine.js';
import { RAM_BASE } from '../../vm/memmap.js';

export const I = (op: Op, rd = 0, rs1 = 0, rs2 = 0, imm = 0): number => encode({ op, rd, rs1, rs2, imm });

export function machineWith(words: readonly number[], options: MachineOptions & { at?: number; mode?: Mode } = {}): Machine {
  const m = new Machine({ memSize: 1 << 16, ...options });
  const at = options.at ?? RAM_BASE;
  words.forEach((w, i) => m.memory.writeWord(at + 4 * i, w));
  m.reset(at, options.mode ?? Mode.SUPERVISOR);
  return m;
}

/** Run until the machine stops or traps to the host; fail the test on a runaway. */
export function runToExit(m: Machine, budget = 10_000_000): Exit {
  let spent = 0;
  for (;;) {
    const before = m.cpu.instret;
    const e = m.run(Math.min(1 << 16, budget - spent));
    spent += m.cpu.instret - before;
    if (e !== Exit.BUDGET) return e;
    if (spent >= budget) return Exit.BUDGET;
  }
}
