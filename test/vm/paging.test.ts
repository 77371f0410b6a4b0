/**
 * The page-table walk, A/D bits, permissions, the TLB and its flushes, and the
 * dirty log — through the machine's public interface: page tables built in RAM,
 * code run in user and supervisor mode, traps observed by the host.
 */
import { describe, expect, test } from 'vitest';
import { Csr } from '../../isa/csr.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../../vm/cpu.js';
import { Exit } from '../../vm/exit.js';
import { Machine } from '../../vm/machine.js';
import { PAGE_SIZE, RAM_BASE } from '../../vm/memmap.js';
import { FaultReason, PTE_A, PTE_D, PTE_R, PTE_U, PTE_W, PTE_X } from '../../vm/mmu.js';
import { FrameAllocator, PageTable } from '../../vm/pagetable.js';
import { Cause } from '../../vm/trap.js';
import { I } from '../helpers/machine.js';

const CODE_VA = 0x0001_0000;
const DATA_VA = 0x0040_0000;

/** A machine with paging on: code page at CODE_VA (R+X), one data page at DATA_VA. */
function setup(code: number[], opts: { mode?: Mode; codeFlags?: number; dataFlags?: number } = {}) {
  const m = new Machine({ memSize: 1 << 20, trapToHost: true });
  const frames = new FrameAllocator(m.memory, RAM_BASE + 0x1_0000, RAM_BASE + (1 << 20));
  const pt = new PageTable(m.memory, frames);
  const codePa = frames.alloc();
  const dataPa = frames.alloc();
  const user = (opts.mode ?? Mode.USER) === Mode.USER ? PTE_U : 0;
  pt.map(CODE_VA, codePa, opts.codeFlags ?? (PTE_R | PTE_X | user));
  pt.map(DATA_VA, dataPa, opts.dataFlags ?? (PTE_R | PTE_W | user));
  code.forEach((w, i) => m.memory.writeWord(codePa + 4 * i, w));
  m.reset(CODE_VA, opts.mode ?? Mode.USER);
  m.csrWrite(Csr.PTBASE, pt.ptbase);
  m.cpu.regs[Reg.A1] = DATA_VA;
  return { m, pt, frames, codePa, dataPa };
}

const li = (rd: number, v: number) => [I(Op.LUI, rd, 0, 0, v >>> 16), I(Op.ORI, rd, rd, 0, v & 0xffff)];

describe('page-table walk', () => {
  test('loads and stores go through the mapping to the right frame', () => {
    const { m, dataPa } = setup([I(Op.ADDI, Reg.A0, 0, 0, 77), I(Op.SW, 0, Reg.A1, Reg.A0, 8), I(Op.LW, Reg.A2, Reg.A1, 0, 8), I(Op.SYSCALL)]);
    expect(m.run(100)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.SYSCALL);
    expect(m.memory.readWord(dataPa + 8)).toBe(77);
    expect(m.cpu.regs[Reg.A2]).toBe(77);
  });

  test('the walk sets A on a read and A+D on a write, in the PTE in memory', () => {
    const { m, pt } = setup([I(Op.LW, Reg.A0, Reg.A1, 0, 0), I(Op.SYSCALL), I(Op.SW, 0, Reg.A1, Reg.A0, 0), I(Op.SYSCALL)]);
    expect(pt.pte(DATA_VA) & (PTE_A | PTE_D)).toBe(0);
    m.run(100);
    expect(pt.pte(DATA_VA) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(pt.pte(CODE_VA) & PTE_A).toBe(PTE_A); // fetched from
    m.cpu.pc += 4;
    m.run(100);
    expect(pt.pte(DATA_VA) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(pt.pte(CODE_VA) & PTE_D).toBe(0);
  });

  test.each([
    ['a store to a read-only page', [I(Op.SW, 0, Reg.A1, 0, 0)], { dataFlags: PTE_R | PTE_U }, Cause.STORE_FAULT, FaultReason.PERMISSION, 0],
    ['a load from a write-only page', [I(Op.LW, Reg.A0, Reg.A1, 0, 0)], { dataFlags: PTE_W | PTE_U }, Cause.LOAD_FAULT, FaultReason.PERMISSION, 0],
    ['user mode touching a supervisor page', [I(Op.LW, Reg.A0, Reg.A1, 0, 0)], { dataFlags: PTE_R | PTE_W }, Cause.LOAD_FAULT, FaultReason.USER_TOUCHED_SUPERVISOR, 0],
    ['a load from an unmapped page', [I(Op.LW, Reg.A0, Reg.A1, 0, 4096)], {}, Cause.LOAD_FAULT, FaultReason.NOT_MAPPED, 0],
    ['executing a page without X', [I(Op.JALR, 0, Reg.A1, 0, 0)], { dataFlags: PTE_R | PTE_W | PTE_U }, Cause.FETCH_FAULT, FaultReason.PERMISSION, 1],
    ['user code on a supervisor code page', [I(Op.ADDI, 0, 0, 0, 0)], { codeFlags: PTE_R | PTE_X }, Cause.FETCH_FAULT, FaultReason.USER_TOUCHED_SUPERVISOR, 0],
  ] as const)('%s faults (the faulting instruction does not retire)', (_name, code, flags, cause, reason, retired) => {
    const { m } = setup([...code], flags);
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(cause);
    expect(m.mmu.lastFault).toBe(reason);
    expect(m.cpu.instret).toBe(retired);
    if (cause === Cause.FETCH_FAULT) expect(m.lastTrap.badaddr).toBe(m.lastTrap.pc);
  });

  test('supervisor mode may touch user pages', () => {
    const { m } = setup([I(Op.LW, Reg.A0, Reg.A1, 0, 0), I(Op.HALT)], { mode: Mode.SUPERVISOR, dataFlags: PTE_R | PTE_U });
    expect(m.run(10)).toBe(Exit.HALT);
  });

  test('a level-1 entry with R/W/X set is a bad page table, not a superpage', () => {
    const { m, pt } = setup([I(Op.LW, Reg.A0, Reg.A1, 0, 0)]);
    const slot = pt.root + (DATA_VA >>> 22) * 4;
    m.memory.writeWord(slot, m.memory.readWord(slot) | PTE_R);
    m.mmu.flush();
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.mmu.lastFault).toBe(FaultReason.BAD_PAGE_TABLE);
  });

  test('a page table pointing outside RAM faults instead of crashing', () => {
    const { m, pt } = setup([I(Op.LW, Reg.A0, Reg.A1, 0, 0)]);
    m.memory.writeWord(pt.root + (DATA_VA >>> 22) * 4, 0x1000_0001);
    m.mmu.flush();
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.LOAD_FAULT);
    expect(m.mmu.lastFault).toBe(FaultReason.BAD_PAGE_TABLE);
  });
});

describe('TLB', () => {
  test('a changed PTE is not seen until tlbflush (one page) or a ptbase write', () => {
    // Supervisor code: load, (host remaps), load again, flush page, load again.
    const { m, pt, frames } = setup([
      I(Op.LW, Reg.A0, Reg.A1, 0, 0), I(Op.BREAK),
      I(Op.LW, Reg.A2, Reg.A1, 0, 0), I(Op.TLBFLUSH, 0, Reg.A1), I(Op.LW, Reg.A3, Reg.A1, 0, 0), I(Op.BREAK),
    ], { mode: Mode.SUPERVISOR, dataFlags: PTE_R | PTE_W });
    const other = frames.alloc();
    m.memory.writeWord(other, 222);
    m.memory.writeWord(pt.pte(DATA_VA) & ~0xfff, 111);
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.cpu.regs[Reg.A0]).toBe(111);
    pt.map(DATA_VA, other, PTE_R | PTE_W);
    m.cpu.pc += 4;
    expect(m.run(10)).toBe(Exit.TRAP);
    expect(m.cpu.regs[Reg.A2]).toBe(111); // stale: still cached
    expect(m.cpu.regs[Reg.A3]).toBe(222); // after the flush
  });

  test('whole flush forgets every page; flushes are counted', () => {
    const { m, pt, frames } = setup([I(Op.LW, Reg.A0, Reg.A1, 0, 0), I(Op.BREAK), I(Op.TLBFLUSH), I(Op.LW, Reg.A2, Reg.A1, 0, 0), I(Op.BREAK)], { mode: Mode.SUPERVISOR, dataFlags: PTE_R });
    m.run(10);
    const other = frames.alloc();
    m.memory.writeWord(other, 5);
    pt.map(DATA_VA, other, PTE_R);
    const before = m.mmu.flushes;
    m.cpu.pc += 4;
    m.run(10);
    expect(m.cpu.regs[Reg.A2]).toBe(5);
    expect(m.mmu.flushes).toBe(before + 1);
  });

  test('entries filled in supervisor mode do not serve user mode', () => {
    // Supervisor touches a supervisor-only page, then drops to user mode and touches it again.
    const userCode = CODE_VA + 0x40;
    const { m } = setup([
      I(Op.LW, Reg.A0, Reg.A1, 0, 0),
      ...li(Reg.T0, userCode), I(Op.CSRW, 0, Reg.T0, 0, Csr.EPC), I(Op.SRET),
    ], { mode: Mode.SUPERVISOR, codeFlags: PTE_R | PTE_X | PTE_U, dataFlags: PTE_R | PTE_W });
    m.memory.writeWord(m.mmu.peek(userCode), I(Op.LW, Reg.A2, Reg.A1, 0, 0));
    expect(m.run(20)).toBe(Exit.TRAP);
    expect(m.lastTrap.cause).toBe(Cause.LOAD_FAULT);
    expect(m.lastTrap.mode).toBe(Mode.USER);
    expect(m.lastTrap.pc).toBe(userCode);
  });
});

describe('a fetch fault the machine takes itself (no host monitor)', () => {
  test('user mode jumping into a supervisor-only code page traps to tvec, in the trap\'s mode, and runs nothing there', () => {
    // A bare machine: the trap goes to the guest's own vector, not to a host.
    const m = new Machine({ memSize: 1 << 20 });
    const frames = new FrameAllocator(m.memory, RAM_BASE + 0x1_0000, RAM_BASE + (1 << 20));
    const pt = new PageTable(m.memory, frames);
    const KERNEL_VA = 0x8000_0000;
    const codePa = frames.alloc();
    const kernelPa = frames.alloc();
    pt.map(CODE_VA, codePa, PTE_R | PTE_X | PTE_U);
    pt.map(KERNEL_VA, kernelPa, PTE_R | PTE_X); // no U: the user may not run it
    // The user program: jump to KERNEL_VA (lui, ori, jalr retire; the fetch there does not).
    [...li(Reg.T1, KERNEL_VA), I(Op.JALR, 0, Reg.T1, 0, 0)].forEach((w, i) => m.memory.writeWord(codePa + 4 * i, w));
    // What lies at KERNEL_VA, which must not run: a3 = 66. The vector at +0x100: a2 = 55, then spin.
    m.memory.writeWord(kernelPa, I(Op.ADDI, Reg.A3, 0, 0, 66));
    m.memory.writeWord(kernelPa + 0x100, I(Op.ADDI, Reg.A2, 0, 0, 55));
    m.memory.writeWord(kernelPa + 0x104, I(Op.JAL, 0, 0, 0, 0));
    m.reset(CODE_VA, Mode.USER);
    m.csrWrite(Csr.PTBASE, pt.ptbase);
    m.csrWrite(Csr.TVEC, KERNEL_VA + 0x100);
    const traps: { cause: number; pc: number; mode: Mode; instret: number }[] = [];
    m.onTrap = (cause, _badaddr, pc, mode) => traps.push({ cause, pc, mode, instret: m.cpu.instret });
    expect(m.run(20)).toBe(Exit.BUDGET);
    expect(traps).toEqual([{ cause: Cause.FETCH_FAULT, pc: KERNEL_VA, mode: Mode.USER, instret: 3 }]);
    expect(m.cpu.csr[Csr.CAUSE]).toBe(Cause.FETCH_FAULT);
    expect(m.cpu.csr[Csr.EPC]! >>> 0).toBe(KERNEL_VA);
    expect(m.cpu.csr[Csr.BADADDR]! >>> 0).toBe(KERNEL_VA);
    expect(m.cpu.regs[Reg.A3]).toBe(0); // the target never ran, in either mode
    expect(m.cpu.regs[Reg.A2]).toBe(55); // the vector did
    expect(m.cpu.mode).toBe(Mode.SUPERVISOR);
    expect(m.cpu.pc).toBe(KERNEL_VA + 0x104);
    // The budget of 20 is 19 instructions and the one fetch fault's delivery, which retired nothing.
    expect(m.cpu.instret).toBe(19);
    expect(m.fetchFaults).toBe(1);
  });
});

describe('dirty log', () => {
  test('stores mark their physical page; taking the log clears it and the next store is logged again', () => {
    const { m, dataPa } = setup([I(Op.SW, 0, Reg.A1, Reg.A1, 0), I(Op.SYSCALL), I(Op.SW, 0, Reg.A1, Reg.A1, 4), I(Op.SYSCALL), I(Op.LW, Reg.A0, Reg.A1, 0, 0), I(Op.SYSCALL)]);
    const page = (dataPa - RAM_BASE) / PAGE_SIZE;
    m.memory.takeDirtyPages(); // loader writes are not this test's business
    m.run(10);
    expect(m.memory.takeDirtyPages()).toContain(page);
    m.cpu.pc += 4;
    m.run(10);
    expect(m.memory.takeDirtyPages()).toContain(page); // the TLB had write permission; clearing revoked it
    m.cpu.pc += 4;
    m.run(10);
    expect(m.memory.takeDirtyPages()).not.toContain(page); // loads do not dirty
  });

  test('a fast-path store after the log is cleared still gets logged (write permission was dropped)', () => {
    const loop = [I(Op.SW, 0, Reg.A1, Reg.A1, 0), I(Op.JAL, 0, 0, 0, -4)];
    const { m, dataPa } = setup(loop);
    const page = (dataPa - RAM_BASE) / PAGE_SIZE;
    m.run(1000);
    m.memory.takeDirtyPages();
    expect(m.memory.countDirty()).toBe(0);
    m.run(1000);
    expect(m.memory.takeDirtyPages()).toEqual([page]);
  });

  test('host writes and page-table A/D updates are logged too', () => {
    const { m, pt } = setup([I(Op.LW, Reg.A0, Reg.A1, 0, 0), I(Op.SYSCALL)]);
    m.memory.takeDirtyPages();
    m.run(10);
    const dirty = m.memory.takeDirtyPages();
    const l0 = (m.memory.readWord(pt.root + (DATA_VA >>> 22) * 4) & ~0xfff) >>> 0;
    expect(dirty).toContain((l0 - RAM_BASE) / PAGE_SIZE); // the PTE's A bit was written
  });
});
