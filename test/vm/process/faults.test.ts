import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Op } from '../../../isa/opcodes.js';
import { Reg } from '../../../isa/registers.js';
import { Sys } from '../../../isa/syscalls.js';
import { Csr } from '../../../isa/csr.js';
import { exitCode, ProcessVM, SLICE, type ProcessResult } from '../../../vm/process/index.js';
import { Capture, DATA, I, S, TEXT, li, program, sys, words } from './harness.js';
import { SECTION_EXEC, SECTION_READ } from '../../../isa/image.js';

function runText(text: number[], options: { maxInstructions?: number; data?: Uint8Array } = {}): ProcessResult {
  const vm = new ProcessVM(program({ text, data: options.data ?? new Uint8Array(16), symbols: [{ name: 'main', value: TEXT, kind: 'label' }] }), {
    stdout: new Capture().sink,
    ...(options.maxInstructions === undefined ? {} : { maxInstructions: options.maxInstructions }),
  });
  return vm.run();
}

function expectFault(r: ProcessResult, trap: string, pc: number): Extract<ProcessResult, { kind: 'fault' }> {
  expect(r.kind).toBe('fault');
  if (r.kind !== 'fault') throw new Error('not a fault');
  expect(r.trap).toBe(trap);
  expect(r.pc).toBe(pc);
  expect(r.report.startsWith(`${trap} at 0x${pc.toString(16).padStart(8, '0')}`)).toBe(true);
  expect(exitCode(r)).toBeGreaterThanOrEqual(128);
  return r;
}

describe('faults end the program with a report', () => {
  test('null pointer load: load-fault, the instruction, the address and the MMU reason, the registers', () => {
    const r = expectFault(runText([I(Op.ADDI, Reg.A0, 0, 0, 7), I(Op.LW, Reg.A0, Reg.A1, 0, 0)]), 'load-fault', TEXT + 4);
    expect(r.badaddr).toBe(0);
    expect(exitCode(r)).toBe(128 + 6);
    const [first, ...regs] = r.report.split('\n');
    expect(first).toBe('load-fault at 0x00001004 <main+0x4>: lw a0, 0(a1) — address 0x00000000: page not mapped');
    expect(regs).toHaveLength(4);
    expect(regs[0]).toBe('  zero=0x00000000      ra=0x00000000      sp=0x7ffff000      fp=0x00000000');
    expect(regs[1]).toContain('a0=0x00000007');
  });

  test('store to text: store-fault, the page does not allow it', () => {
    const r = expectFault(runText([...li(Reg.A1, TEXT), S(Op.SW, Reg.A0, Reg.A1, 0)]), 'store-fault', TEXT + 4);
    expect(r.badaddr).toBe(TEXT);
    expect(r.report).toContain('sw a0, 0(a1) — address 0x00001000: page does not allow this access (the page is r-x)');
  });

  test('privileged instruction in user mode', () => {
    const csrr = I(Op.CSRR, Reg.A0, 0, 0, Csr.STATUS);
    const r = expectFault(runText([csrr]), 'privileged-instruction', TEXT);
    expect(r.report).toContain('csrr a0, status — a privileged instruction');
    expect(exitCode(r)).toBe(131);
    expectFault(runText([I(Op.HALT)]), 'privileged-instruction', TEXT);
  });

  test('divide by zero names the divisor register', () => {
    const r = expectFault(runText([I(Op.ADDI, Reg.A1, 0, 0, 5), I(Op.DIV, Reg.A0, Reg.A1, Reg.A2)]), 'divide-by-zero', TEXT + 4);
    expect(r.report).toContain('div a0, a1, a2 — the divisor (a2) is 0');
    expect(exitCode(r)).toBe(138);
  });

  test('misaligned load', () => {
    const r = expectFault(runText([...li(Reg.A1, DATA + 2), I(Op.LW, Reg.A0, Reg.A1, 0, 0)]), 'misaligned-load', TEXT + 4);
    expect(r.badaddr).toBe(DATA + 2);
    expect(r.report).toContain('address 0x00004002 is not a multiple of 4');
  });

  test('jump to unmapped memory: fetch-fault at the target', () => {
    const r = expectFault(runText([...li(Reg.A1, 0x50000), I(Op.JALR, Reg.RA, Reg.A1, 0, 0)]), 'fetch-fault', 0x50000);
    expect(r.report).toContain('fetch-fault at 0x00050000: cannot fetch an instruction there — page not mapped');
    expect(r.report).toContain('ra=0x0000100c');
  });

  test('jump into data: fetch-fault, the page is not executable', () => {
    const r = expectFault(runText([...li(Reg.A1, DATA), I(Op.JALR, 0, Reg.A1, 0, 0)]), 'fetch-fault', DATA);
    expect(r.report).toContain('page does not allow this access (the page is rw-)');
  });

  test('jump to a misaligned address', () => {
    expectFault(runText([...li(Reg.A1, TEXT + 2), I(Op.JALR, 0, Reg.A1, 0, 0)]), 'misaligned-fetch', TEXT + 2);
  });

  test('falling off the end of the text into the zero padding of the page: illegal instruction', () => {
    const r = expectFault(runText([I(Op.ADDI, Reg.A0, 0, 0, 1)]), 'illegal-instruction', TEXT + 4);
    expect(r.report).toContain('.word 0x00000000 — not an instruction');
  });

  test('stack overflow runs into the guard page below the stack', () => {
    // loop: addi sp, sp, -4; sw zero, 0(sp); j loop
    const r = runText([I(Op.ADDI, Reg.SP, Reg.SP, 0, -4), S(Op.SW, 0, Reg.SP, 0), I(Op.JAL, 0, 0, 0, -8)]);
    expect(r.kind === 'fault' && r.trap).toBe('store-fault');
    expect(r.kind === 'fault' && r.badaddr).toBe(0x7ffe_effc);
  });

  test('the page at the stack top is unmapped', () => {
    const r = runText([I(Op.LW, Reg.A0, Reg.SP, 0, 0)]);
    expect(r.kind === 'fault' && r.badaddr).toBe(0x7fff_f000);
  });

  test('budget exhausted: a report where the program was, exit code 124', () => {
    const r = runText([I(Op.ADDI, Reg.A0, Reg.A0, 0, 1), I(Op.JAL, 0, 0, 0, -4)], { maxInstructions: 1001 });
    expect(r.kind).toBe('budget');
    if (r.kind !== 'budget') return;
    expect(r.pc).toBe(TEXT + 4);
    expect(r.report).toContain('instruction budget exhausted after 1001 instructions, next at 0x00001004 <main+0x4>: j main');
    expect(r.report).toContain('a0=0x000001f5');
    expect(exitCode(r)).toBe(124);
  });

  test('the budget is exact: a program that exits on its last allowed instruction exits', () => {
    const prog = [...li(Reg.A0, 9), ...sys(Sys.EXIT)]; // 3 instructions
    expect(runText(prog, { maxInstructions: 3 })).toEqual({ kind: 'exit', status: 9 });
    expect(runText(prog, { maxInstructions: 2 }).kind).toBe('budget');
  });

  test('the budget spans many slices', () => {
    const vm = new ProcessVM(program({ text: [I(Op.JAL, 0, 0, 0, 0)] }), { maxInstructions: 2 * SLICE + 5 });
    expect(vm.run().kind).toBe('budget');
    expect(vm.stats().instructions).toBe(2 * SLICE + 5);
  });
});

describe('breakpoints', () => {
  test('break stops the run with pc on it; skipBreakpoint goes on', () => {
    const vm = new ProcessVM(program({ text: [I(Op.ADDI, Reg.A0, 0, 0, 1), I(Op.BREAK), I(Op.ADDI, Reg.A0, Reg.A0, 0, 1), ...sys(Sys.EXIT)] }));
    const r = vm.run();
    expect(r).toMatchObject({ kind: 'breakpoint', pc: TEXT + 4 });
    expect(r.kind === 'breakpoint' && r.report).toContain('breakpoint at 0x00001004: break');
    expect(exitCode(r)).toBe(132);
    expect(vm.run().kind).toBe('breakpoint'); // still there
    vm.skipBreakpoint();
    expect(vm.run()).toEqual({ kind: 'exit', status: 2 });
  });
});

describe('step', () => {
  test('runs exactly n instructions, syscalls counted, and says why it stopped', () => {
    const out = new Capture();
    const vm = new ProcessVM(program({ text: [...li(Reg.A0, 1), ...li(Reg.A1, DATA), ...li(Reg.A2, 2), ...sys(Sys.WRITE), ...li(Reg.A0, 0), ...sys(Sys.EXIT)], data: new TextEncoder().encode('ok') }), { stdout: out.sink });
    expect(vm.step(4)).toEqual({ kind: 'stepped' });
    expect(vm.machine.cpu.pc).toBe(TEXT + 16);
    expect(out.text).toBe('');
    expect(vm.step(1)).toEqual({ kind: 'stepped' }); // the syscall
    expect(out.text).toBe('ok');
    expect(vm.machine.cpu.instret).toBe(5);
    expect(vm.step(100)).toEqual({ kind: 'exit', status: 0 });
  });
});

describe('the host never crashes', () => {
  test('random words as a program: the runtime returns a result, never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { minLength: 1, maxLength: 64 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (ws, seed) => {
        const vm = new ProcessVM(
          { entry: TEXT, sections: [{ name: '.text', addr: TEXT, flags: SECTION_READ | SECTION_EXEC, size: ws.length * 4, data: words(ws) }], symbols: [] },
          { stdin: () => new Uint8Array(0), stdout: () => {}, stderr: () => {}, maxInstructions: 10_000, memSize: 1 << 20 },
        );
        for (let r = 1; r < 16; r++) vm.machine.cpu.regs[r] = Math.imul(seed, r * 2654435761);
        const r = vm.run();
        expect(['exit', 'fault', 'budget', 'breakpoint']).toContain(r.kind);
        if (r.kind === 'fault') expect(r.trap).not.toBe('internal-error');
        expect(() => vm.stats()).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  test('random words built mostly from real opcodes, with syscalls: still a result', () => {
    const opcodes = [Op.ADDI, Op.LW, Op.SW, Op.SYSCALL, Op.LUI, Op.ADD, Op.JAL, Op.BNE, Op.JALR, Op.ORI];
    const word = fc.tuple(fc.constantFrom(...opcodes), fc.integer({ min: 0, max: 0xff_ffff })).map(([op, rest]) => (op === Op.SYSCALL ? op : (op | (rest << 8)) >>> 0));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 48 }), (ws) => {
        const vm = new ProcessVM(
          { entry: TEXT, sections: [{ name: '.text', addr: TEXT, flags: SECTION_READ | SECTION_EXEC, size: ws.length * 4, data: words(ws) }], symbols: [] },
          { stdin: () => new Uint8Array(0), stdout: () => {}, stderr: () => {}, maxInstructions: 20_000, memSize: 1 << 20 },
        );
        const r = vm.run();
        expect(['exit', 'fault', 'budget', 'breakpoint']).toContain(r.kind);
        if (r.kind === 'fault') expect(r.trap).not.toBe('internal-error');
      }),
      { numRuns: 300 },
    );
  });
});

test('zero reads as 0 between runs, even right after a jump that wrote it', () => {
  const vm = new ProcessVM(program({ text: [I(Op.JAL, 0, 0, 0, 4), I(Op.JAL, 0, 0, 0, -4)] }), { maxInstructions: 1 });
  const r = vm.run();
  expect(r.kind).toBe('budget');
  expect(vm.machine.cpu.regs[0]).toBe(0);
  expect(r.kind === 'budget' && r.report).toContain('zero=0x00000000');
});
