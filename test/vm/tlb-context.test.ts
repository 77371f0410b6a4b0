/**
 * TLB contexts (Mmu.useContext): what a monitor relies on to keep two address
 * spaces' entries in the real TLB at once. An entry filled in one context never
 * serves another; switching back to a context finds its entries still there.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../../vm/cpu.js';
import { Machine } from '../../vm/machine.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { PTE_R, PTE_U, PTE_W, PTE_X, TLB_CONTEXTS, USER_KEY } from '../../vm/mmu.js';
import { FrameAllocator, PageTable } from '../../vm/pagetable.js';
import { I } from '../helpers/machine.js';

const CODE_VA = 0x0001_0000;
const DATA_VA = 0x0040_0000;

/**
 * Two address spaces sharing a code page, each with a data page holding its
 * own word. With `apart`, space n maps them at addresses of its own (other TLB
 * slots: the TLB is direct-mapped); else both at the same addresses.
 */
function twoSpaces(tier: 'interp' | 'jit', apart: boolean) {
  const m = new Machine({ memSize: 1 << 20, trapToHost: true, tier });
  const frames = new FrameAllocator(m.memory, RAM_BASE + 0x1_0000, RAM_BASE + (1 << 20));
  const code = frames.alloc();
  const at = (n: number) => (apart ? n * 0x1000 : 0);
  const spaces = [0, 1].map((n) => {
    const pt = new PageTable(m.memory, frames);
    const data = frames.alloc();
    pt.map(CODE_VA + at(n), code, PTE_R | PTE_X | PTE_U);
    pt.map(DATA_VA + at(n), data, PTE_R | PTE_W | PTE_U);
    m.memory.writeWord(data, 1000 * (n + 1));
    return { pt, code: CODE_VA + at(n), data: DATA_VA + at(n) };
  });
  // lw a0, 0(a1): each load() runs just this one instruction
  m.memory.writeWord(code, I(Op.LW, Reg.A0, Reg.A1, 0, 0));
  m.reset(CODE_VA, Mode.USER);
  return { m, spaces };
}

/** Run the load once in an address space (its root already in use); what it read. */
function load(m: Machine, space: { code: number; data: number }): number {
  m.cpu.pc = space.code;
  m.cpu.regs[Reg.A1] = space.data;
  m.cpu.mode = Mode.USER;
  m.run(1);
  return m.cpu.regs[Reg.A0]!;
}

describe('TLB contexts', () => {
  test('user-mode tags carry the context; 0 is the bare machine\'s key', () => {
    const { m } = twoSpaces('interp', false);
    expect(m.mmu.userKey).toBe(USER_KEY);
    m.mmu.useContext(5);
    expect(m.mmu.userKey).toBe(USER_KEY | (5 << 3));
    m.mmu.useContext(TLB_CONTEXTS - 1);
    expect(m.mmu.userKey & 0xfff).toBe(m.mmu.userKey); // within the page-offset bits of a tag
  });

  test.each([
    ['interp', false],
    ['jit', false],
    ['interp', true],
    ['jit', true],
  ] as const)('switching context and root without a flush (%s, apart: %s): each context reads its own mapping; apart, its entries are still there when it comes back', (tier, apart) => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 30 }), (order) => {
        const { m, spaces } = twoSpaces(tier, apart);
        m.mmu.flush();
        const filled = [false, false];
        for (const s of order) {
          m.mmu.useContext(s + 1);
          m.mmu.useRoot(spaces[s]!.pt.ptbase);
          const walks = m.mmu.walks;
          expect(load(m, spaces[s]!)).toBe(1000 * (s + 1));
          // In TLB slots of its own, a context that has its entries walks nothing.
          if (apart && filled[s]) expect(m.mmu.walks).toBe(walks);
          filled[s] = true;
        }
      }),
      { numRuns: 40 },
    );
  });

  test('without contexts the same switch would read the other space\'s stale entry: why a monitor flushes then', () => {
    const { m, spaces } = twoSpaces('interp', false);
    m.mmu.useRoot(spaces[0]!.pt.ptbase);
    expect(load(m, spaces[0]!)).toBe(1000);
    m.mmu.useRoot(spaces[1]!.pt.ptbase); // no flush, same context
    expect(load(m, spaces[1]!)).toBe(1000);
    m.mmu.flush();
    expect(load(m, spaces[1]!)).toBe(2000);
  });
});
