/**
 * The interpreter's WebAssembly core (vm/core): the binary the machine loads
 * is what its source assembles to; a machine on the interpreter tier runs on
 * it unless it cannot own its memory; and the core's hand-overs keep a
 * program's output, count and traps those of the JavaScript loop alone
 * (test/vm/differential.test.ts holds both to the reference interpreter on
 * generated programs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assembleCore, binarySource } from '../../vm/core/assemble-core.js';
import { CORE_BINARY } from '../../vm/core/core-binary.js';
import { assemble } from '../../isa/asm/index.js';
import { Machine } from '../../vm/machine.js';
import { ProcessVM } from '../../vm/process/index.js';
import { REPO_ROOT } from '../helpers/cli.js';

const REPO = REPO_ROOT;

describe('the interpreter core', () => {
  test('core-binary.ts is what core-wat.ts assembles to, as `npm run core` writes it (else: run it)', async () => {
    const base64 = await assembleCore();
    expect(base64).toBe(CORE_BINARY);
    expect(readFileSync(join(REPO, 'vm', 'core', 'core-binary.ts'), 'utf8')).toBe(binarySource(base64));
  });

  test('a memory size the machine refuses is refused with its own error, core or not', () => {
    for (const core of [true, false]) {
      expect(() => new Machine({ tier: 'interp', core, memSize: 5000 })).toThrow(/multiple of 4 KiB/);
      expect(() => new Machine({ tier: 'interp', core, memSize: 2 ** 31 })).toThrow(/up to 1 GiB/);
    }
  });

  test('the interpreter tier runs on it; the translation tier, a shared or a given buffer do not', () => {
    expect(new Machine({ tier: 'interp' }).core).toBeDefined();
    expect(new Machine({ tier: 'interp', core: false }).core).toBeUndefined();
    expect(new Machine({ tier: 'jit' }).core).toBeUndefined();
    expect(new Machine({ tier: 'interp', shared: true }).core).toBeUndefined();
    expect(new Machine({ tier: 'interp', buffer: new ArrayBuffer(1 << 20), memSize: 1 << 20 }).core).toBeUndefined();
  });

  test('its registers, TLB and RAM are the machine\'s own arrays', () => {
    const m = new Machine({ tier: 'interp', memSize: 1 << 20 });
    expect(m.cpu.regs.buffer).toBe(m.memory.buffer);
    expect(m.mmu.rTag.buffer).toBe(m.memory.buffer);
    expect(m.mmu.xOff.buffer).toBe(m.memory.buffer);
    expect(Array.from(m.mmu.rTag.slice(0, 4))).toEqual([-1, -1, -1, -1]);
  });

  test('a program with system calls, a fault and a privileged instruction: the same on the core as on the JavaScript loop alone', () => {
    const source = `
      .include "guests/include/sys.inc"
      _start:
          li   s0, 0
          li   t1, 0
      .loop:
          addi t1, t1, 1
          add  s0, s0, t1
          li   t2, 3000
          bne  t1, t2, .loop
          li   t0, SYS_GETPID
          syscall
          mv   a0, s0
          li   t0, SYS_EXIT
          syscall
    `;
    const r = assemble(source, { filename: 'core-test.s' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const results = [true, false].map((core) => {
      const vm = new ProcessVM(r.image, { tier: 'interp', core });
      const result = vm.run();
      return { result, instructions: vm.stats().instructions, core: vm.machine.core };
    });
    expect(results[0]!.result).toEqual(results[1]!.result);
    expect(results[0]!.instructions).toBe(results[1]!.instructions);
    expect(results[0]!.core!.retired).toBeGreaterThan(9000);
    expect(results[0]!.core!.handovers).toBeGreaterThan(0);
    expect(results[1]!.core).toBeUndefined();
  });
});
