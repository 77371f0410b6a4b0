/**
 * Trap and emulate: what the monitor does with each trap the real CPU takes
 * while a guest runs. Every trap is one of four things:
 *
 *   emulated    a privileged instruction the guest kernel ran in (virtual)
 *               supervisor mode: carried out on the virtual CPU with the same
 *               code the hardware uses (vm/privileged.ts); it retires.
 *   reflected   the guest's own trap — a syscall, a fault its own page tables
 *               decide, a privileged instruction from guest user mode —
 *               delivered into the guest kernel's trap vector exactly as the
 *               hardware would: the same cause, epc and badaddr.
 *   hidden      a fault only because the shadow page table had no entry yet:
 *               filled, and the instruction runs again. The guest never knows.
 *   mmio        a load or store to a guest device register: performed on the
 *               VM's device, and the instruction retires.
 *   missing     (post-copy) the page is still on the migration source: the
 *               vCPU stalls, and the instruction runs again once it is here.
 *
 * Virtual interrupts are injected the same way as reflected traps, at the
 * instruction boundary where the bare machine would have taken them.
 */
import { Csr } from '../../isa/csr.js';
import { opInfo } from '../../isa/opcodes.js';
import { Mode } from '../../vm/cpu.js';
import type { Machine, TrapRecord } from '../../vm/machine.js';
import { enterTrap, executePrivileged } from '../../vm/privileged.js';
import { causeName, Cause, INTERRUPT_BIT } from '../../vm/trap.js';
import { FAULT_REASONS, PTE_R, PTE_W, PTE_X } from '../../vm/walk.js';
import { dmaRange, emulateMmio } from './mmio.js';
import { GuestWalk } from './shadow.js';
import { bump } from './stats.js';
import type { VirtualMachine } from './vm.js';
import { hex8 } from '../../isa/hex.js';

/** Copy the live registers from the real CPU into the virtual CPU. */
export function syncOut(vm: VirtualMachine, machine: Machine): void {
  vm.cpu.regs.set(machine.cpu.regs);
  vm.cpu.regs[0] = 0;
  vm.cpu.pc = machine.cpu.pc >>> 0;
}

/** Copy the virtual CPU's registers back onto the real CPU, in real user mode. */
export function syncIn(vm: VirtualMachine, machine: Machine, modeBefore: Mode): void {
  machine.cpu.regs.set(vm.cpu.regs);
  machine.cpu.pc = vm.cpu.pc >>> 0;
  machine.cpu.mode = Mode.USER;
  if (vm.cpu.mode !== modeBefore) vm.modeChanged = true;
}

/** Deliver a trap into the guest kernel, as the hardware would. */
export function reflect(vm: VirtualMachine, machine: Machine, cause: number, badaddr: number, pc: number): void {
  syncOut(vm, machine);
  const before = vm.cpu.mode;
  enterTrap(vm.cpu, cause, badaddr, pc);
  vm.trapsEntered++;
  syncIn(vm, machine, before);
}

/** Inject the lowest pending, enabled virtual interrupt, if any. Returns true if one was. */
export function injectInterrupt(vm: VirtualMachine, machine: Machine): boolean {
  const irq = vm.deliverableIrq();
  if (irq < 0) return false;
  const pc = machine.cpu.pc;
  reflect(vm, machine, (INTERRUPT_BIT | irq) >>> 0, 0, pc);
  const name = causeName((INTERRUPT_BIT | irq) >>> 0);
  bump(vm.stats.injected, name.slice('interrupt:'.length));
  if (vm.onEvent) vm.event(name, pc, '', 'injected');
  return true;
}

/**
 * Handle the trap the real CPU just took while running `vm`. Returns the
 * number of guest instructions it retired (1 when emulated, else 0).
 */
export function handleTrap(vm: VirtualMachine, machine: Machine, trap: TrapRecord): number {
  const { cause, badaddr, pc } = trap;
  vm.stats.trap(cause);
  switch (cause) {
    case Cause.PRIVILEGED_INSTRUCTION:
      if (vm.cpu.mode === Mode.SUPERVISOR) return emulatePrivileged(vm, machine, badaddr, pc);
      return reflectOwn(vm, machine, cause, badaddr, pc, 'from guest user mode');
    case Cause.FETCH_FAULT:
    case Cause.LOAD_FAULT:
    case Cause.STORE_FAULT:
      return pageFault(vm, machine, cause, badaddr, pc);
    default:
      // syscall, break, illegal instruction, divide by zero, misalignment: the guest's.
      return reflectOwn(vm, machine, cause, badaddr, pc, '');
  }
}

function reflectOwn(vm: VirtualMachine, machine: Machine, cause: number, badaddr: number, pc: number, why: string): number {
  const from = vm.cpu.mode === Mode.USER ? 'user' : 'supervisor';
  reflect(vm, machine, cause, badaddr, pc);
  vm.stats.reflect(cause);
  if (vm.onEvent) vm.event(causeName(cause), pc, `from guest ${from}${why ? ` (${why})` : ''}${badaddr ? ` badaddr=${hex8(badaddr)}` : ''}`, 'reflected');
  return 0;
}

function emulatePrivileged(vm: VirtualMachine, machine: Machine, word: number, pc: number): number {
  syncOut(vm, machine);
  const before = vm.cpu.mode;
  const ptbase = vm.cpu.csr[Csr.PTBASE];
  vm.cpu.pc = pc >>> 0;
  if (!executePrivileged(vm, word)) {
    // Illegal in the guest's supervisor mode too (bad CSR, stray bits): its trap.
    enterTrap(vm.cpu, Cause.ILLEGAL_INSTRUCTION, word, pc);
    syncIn(vm, machine, before);
    vm.stats.reflect(Cause.ILLEGAL_INSTRUCTION);
    if (vm.onEvent) vm.event('privileged-instruction', pc, `${opInfo(word)?.name ?? 'unknown'}: illegal operands`, 'reflected');
    return 0;
  }
  if (vm.cpu.csr[Csr.PTBASE] !== ptbase) vm.addressSpaceChanged = true;
  syncIn(vm, machine, before);
  vm.stats.emulatedByOp[word & 0xff]!++;
  if (vm.onEvent) vm.event('privileged-instruction', pc, opInfo(word)?.name ?? 'unknown', vm.halted ? 'halted' : vm.waiting ? 'waiting' : 'emulated');
  return 1;
}

function pageFault(vm: VirtualMachine, machine: Machine, cause: number, va: number, pc: number): number {
  const need = cause === Cause.FETCH_FAULT ? PTE_X : cause === Cause.LOAD_FAULT ? PTE_R : PTE_W;
  const store = cause === Cause.STORE_FAULT;
  const result = vm.shadow.resolve(va, vm.cpu.csr[Csr.PTBASE]!, need, vm.cpu.mode, store);
  if (result === GuestWalk.HIDDEN) {
    vm.stats.hiddenFaults++;
    machine.mmu.flushPage(va); // the real TLB may hold the old (absent or narrower) entry
    if (vm.onEvent) vm.event(causeName(cause), pc, `va=${hex8(va)}: shadow entry filled`, 'hidden fault');
    return 0;
  }
  if (result === GuestWalk.MISSING) return stallOnMissing(vm, cause, va, pc);
  if (result === GuestWalk.MMIO && cause !== Cause.FETCH_FAULT) {
    // A device must never see a hole: a command whose DMA would touch a page
    // still on the migration source waits for it, like a missing page itself.
    const dma = store ? dmaRange(vm, vm.shadow.lastGpa) : undefined;
    const hole = dma ? vm.shadow.firstMissing(dma.pa, dma.len) : -1;
    if (hole >= 0) {
      vm.shadow.waitingFor = hole;
      return stallOnMissing(vm, cause, va, pc);
    }
    syncOut(vm, machine);
    const ok = emulateMmio(vm, machine, vm.shadow.lastGpa, pc);
    machine.cpu.regs.set(vm.cpu.regs);
    machine.cpu.pc = vm.cpu.pc >>> 0;
    if (ok) {
      vm.stats.mmio++;
      if (vm.onEvent) vm.event(causeName(cause), pc, `device register ${hex8(vm.shadow.lastGpa)}`, 'mmio');
      return 1;
    }
  }
  vm.stats.reflectedFaults++;
  const reason = FAULT_REASONS[vm.shadow.lastFault] ?? 'fault';
  reflect(vm, machine, cause, va, pc);
  vm.stats.reflect(cause);
  if (vm.onEvent) vm.event(causeName(cause), pc, `va=${hex8(va)}: ${reason} in the guest's own tables`, 'reflected');
  return 0;
}

/** Post-copy: the access needs a page that has not arrived. The instruction retries once it has. */
function stallOnMissing(vm: VirtualMachine, cause: number, va: number, pc: number): number {
  if (vm.onEvent) vm.event(causeName(cause), pc, `va=${hex8(va)}: guest page ${vm.shadow.waitingFor} not here yet`, 'waiting');
  return 0;
}
