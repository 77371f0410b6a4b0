import { describe, expect, test } from 'vitest';
import { encode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';
import { Machine } from '../../vm/machine.js';
import { Mode } from '../../vm/cpu.js';
import { Exit } from '../../vm/exit.js';
import { RAM_BASE } from '../../vm/memmap.js';

const I = (op: Op, rd = 0, rs1 = 0, rs2 = 0, imm = 0) => encode({ op, rd, rs1, rs2, imm });

function load(m: Machine, words: number[], at = RAM_BASE): void {
  words.forEach((w, i) => m.memory.writeWord(at + 4 * i, w));
}

describe('machine smoke', () => {
  test('sum 1..100 and halt', () => {
    const m = new Machine({ memSize: 1 << 20 });
    // a0 = 0; t0 = 100; loop: a0 += t0; t0 -= 1; bne t0, zero, loop; halt
    load(m, [
      I(Op.ADDI, 4, 0, 0, 0),
      I(Op.ADDI, 8, 0, 0, 100),
      I(Op.ADD, 4, 4, 8),
      I(Op.ADDI, 8, 8, 0, -1),
      I(Op.BNE, 0, 8, 0, -8),
      I(Op.HALT),
    ]);
    m.reset(RAM_BASE, Mode.SUPERVISOR);
    const e = m.run(1_000_000);
    expect(e).toBe(Exit.HALT);
    expect(m.exitStatus).toBe(5050);
    expect(m.cpu.instret).toBe(2 + 300 + 1);
  });
});
