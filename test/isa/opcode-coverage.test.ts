/**
 * Every row of the opcode table (isa/opcodes.ts) reaches every place that has
 * to know it — the list in the head of isa/opcodes.ts. A row added to the table
 * and forgotten in one of them fails here, naming the instruction and the place.
 *
 * The interpreter and the reference interpreter run each instruction once: a
 * missing case is reported as an illegal instruction. The translation tier
 * generates code for each and must not fall back to its default. The bare
 * switch runs each, then exits; an instruction it does not know stops it. The
 * committed SPEC.md must have the instruction's row.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { runBare } from '../../bench/runners/bare-switch.js';
import { encode } from '../../isa/encoding.js';
import { SECTION_EXEC, SECTION_READ, type Image } from '../../isa/image.js';
import { Op, OPCODES, type OpInfo } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Sys } from '../../isa/syscalls.js';
import { Cause } from '../../isa/traps.js';
import { Mode } from '../../vm/cpu.js';
import { Exit } from '../../vm/exit.js';
import { generate } from '../../vm/jit/translator.js';
import { machineWith } from '../helpers/machine.js';
import { RAM_BASE, Reference } from '../helpers/reference.js';

/**
 * One instance of the instruction at `at` that is well formed and goes on to
 * the next word: rd = ra, sources zero, branches and jumps to at + 4 (jalr,
 * whose target is absolute, only where at + 4 fits its immediate), CSR number
 * 0 (status).
 */
function sample(o: OpInfo, at: number): number {
  const imm = o.format === 'B' || o.format === 'J' ? 4 : o.op === Op.JALR && at + 4 < 0x8000 ? at + 4 : 0;
  return encode({ op: o.op, rd: Reg.RA, rs1: 0, rs2: 0, imm });
}

const row = (o: OpInfo): string => `${o.name} (0x${o.op.toString(16).padStart(2, '0')})`;

/** What the translation tier and the bare switch run themselves: all but the privileged and system instructions. */
const compiled = (o: OpInfo): boolean => !o.privileged && o.group !== 'system';

describe('every instruction in the opcode table', () => {
  test.each(OPCODES.map((o) => [row(o), o] as const))('the interpreter executes %s', (_, o) => {
    // Traps go to the host: with no trap vector set up, a trap taken by the guest would trap again forever.
    const m = machineWith([sample(o, RAM_BASE)], { mode: Mode.SUPERVISOR, trapToHost: true });
    const cause = m.run(1) === Exit.TRAP ? m.lastTrap.cause : undefined;
    expect(cause, `interpreter (vm/interpreter.ts) has no case for ${row(o)}`).not.toBe(Cause.ILLEGAL_INSTRUCTION);
  });

  test.each(OPCODES.map((o) => [row(o), o] as const))('the reference interpreter executes %s', (_, o) => {
    const ref = new Reference(new Uint8Array(4096));
    const w = sample(o, RAM_BASE);
    for (let i = 0; i < 4; i++) ref.mem[i] = (w >>> (8 * i)) & 0xff;
    ref.pc = RAM_BASE;
    const trap = ref.step();
    expect(trap?.cause, `reference interpreter (test/helpers/reference.ts) has no case for ${row(o)}`).not.toBe(Cause.ILLEGAL_INSTRUCTION);
  });

  test.each(OPCODES.map((o) => [row(o), o] as const))('the translation tier handles %s', (_, o) => {
    const vbase = 0x1000;
    const words = new Int32Array(1024);
    words[0] = sample(o, vbase);
    const page = generate({ vbase, key: 0, words, entries: [0] });
    if (!compiled(o)) {
      expect(page.interpreted[0], `translator (vm/jit/translator.ts) must leave ${row(o)} to the interpreter`).toBe(1);
      return;
    }
    expect(page.interpreted[0], `translator (vm/jit/translator.ts) leaves ${row(o)} to the interpreter`).toBe(0);
    // The translator's default for an instruction it has no case for: leave at it, untranslated.
    const fallback = `pc = 0x${vbase.toString(16)}; break loop;`;
    const lines = page.regions.flatMap((r) => r.source.split('\n').map((l) => l.trim()));
    expect(lines, `translator (vm/jit/translator.ts) has no case for ${row(o)}`).not.toContain(fallback);
  });

  test.each(OPCODES.filter(compiled).map((o) => [row(o), o] as const))('the bare switch runs %s', (_, o) => {
    const at = 0x1000;
    const code = [
      sample(o, at),
      encode({ op: Op.ADDI, rd: Reg.T0, rs1: 0, rs2: 0, imm: Sys.EXIT }),
      encode({ op: Op.ADDI, rd: Reg.A0, rs1: 0, rs2: 0, imm: 0 }),
      encode({ op: Op.SYSCALL, rd: 0, rs1: 0, rs2: 0, imm: 0 }),
    ];
    const data = new Uint8Array(new Uint32Array(code).buffer);
    const image: Image = {
      entry: at,
      sections: [{ name: '.text', addr: at, flags: SECTION_READ | SECTION_EXEC, size: data.length, data }],
      symbols: [],
    };
    expect(() => runBare(image, row(o)), `bare switch (bench/runners/bare-switch.ts) has no case for ${row(o)}`).not.toThrow();
  });

  test('SPEC.md has a row for each', () => {
    const spec = readFileSync(new URL('../../isa/SPEC.md', import.meta.url), 'utf8');
    for (const o of OPCODES) {
      const hex = `0x${o.op.toString(16).padStart(2, '0')}`;
      expect(spec, `SPEC.md has no row for ${row(o)}`).toMatch(new RegExp(`^\\| \`${o.name}[\` ][^|]*\\| ${hex} \\| ${o.format} \\|`, 'm'));
    }
  });
});
