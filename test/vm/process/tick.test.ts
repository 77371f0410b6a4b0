/**
 * The `tick` option: a periodic timer interrupt the runtime takes and
 * re-arms, as a preemptive kernel's tick would be. It must be invisible to
 * the program (same output, registers and instruction count) and land on
 * exact instruction boundaries.
 */
import { describe, expect, test } from 'vitest';
import { assemble, formatDiagnostic } from '../../../isa/asm/index.js';
import { Reg } from '../../../isa/registers.js';
import { ProcessVM, type ProcessOptions } from '../../../vm/process/index.js';
import { Capture, inputFrom } from './harness.js';

// A loop of 3 instructions × 10000, writing a byte every 1000 iterations, then exit(7).
const LOOP = `
_start:
    li   s0, 10000
    li   s1, 0
.loop:
    addi s1, s1, 3
    addi s0, s0, -1
    bnez s0, .loop
    li   t0, 3              ; write(1, msg, 2)
    li   a0, 1
    la   a1, msg
    li   a2, 2
    syscall
    li   t0, 1
    li   a0, 7
    syscall
.data
msg: .ascii "ok"
`;

function runLoop(options: ProcessOptions = {}): { vm: ProcessVM; stdout: string; status: number } {
  const r = assemble(LOOP, { filename: 'tick.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  const out = new Capture();
  const vm = new ProcessVM(r.image, { stdout: out.sink, stdin: inputFrom(''), ...options });
  const result = vm.run();
  if (result.kind !== 'exit') throw new Error(`expected exit, got ${result.kind}`);
  return { vm, stdout: out.text, status: result.status };
}

describe('ProcessVM tick', () => {
  test('is invisible to the program: same output, status, registers and instruction count', () => {
    const plain = runLoop();
    const ticked = runLoop({ tick: 97 });
    expect(ticked.stdout).toBe('ok');
    expect(ticked.status).toBe(7);
    expect(ticked.stdout).toBe(plain.stdout);
    expect(ticked.vm.stats().instructions).toBe(plain.vm.stats().instructions);
    expect(Array.from(ticked.vm.machine.cpu.regs)).toEqual(Array.from(plain.vm.machine.cpu.regs));
    expect(ticked.vm.machine.cpu.regs[Reg.S1]).toBe(30000);
  });

  test('fires once every `tick` instructions, and is counted in stats', () => {
    const plain = runLoop();
    expect(plain.vm.stats().ticks).toBe(0);
    const n = plain.vm.stats().instructions;
    for (const tick of [1, 97, 1000, 2 ** 20]) {
      const { vm } = runLoop({ tick });
      // The last tick may be due exactly as the program exits; the exit wins.
      expect(vm.stats().ticks).toBe(Math.floor((n - 1) / tick));
      expect(vm.machine.interruptCounts[0]).toBe(vm.stats().ticks);
      expect(vm.stats().traps).toEqual(plain.vm.stats().traps);
    }
  });

  test('the program still steps one instruction at a time', () => {
    const r = assemble(LOOP, { filename: 'tick.s' });
    if (!r.ok) throw new Error('assembly failed');
    const vm = new ProcessVM(r.image, { stdout: new Capture().sink, stdin: inputFrom(''), tick: 5 });
    for (let i = 1; i <= 20; i++) {
      expect(vm.step(1).kind).toBe('stepped');
      expect(vm.machine.cpu.instret).toBe(i);
    }
    // Due after instructions 5, 10, 15 and 20: each is taken at the boundary where it falls.
    expect(vm.stats().ticks).toBe(4);
  });

  test('a tick that is not a whole number from 1 to 2^30 is refused', () => {
    const r = assemble(LOOP, { filename: 'tick.s' });
    if (!r.ok) throw new Error('assembly failed');
    for (const tick of [0, -5, 1.5, 2 ** 31, Number.NaN]) {
      expect(() => new ProcessVM(r.image, { tick })).toThrow(/tick must be/);
    }
  });
});
