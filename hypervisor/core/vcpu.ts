/**
 * Running a VM's virtual CPU on a real CPU.
 *
 * The guest runs in real user mode over its shadow page tables, so every
 * privileged instruction and every device access traps to us (the machine is
 * in trapToHost mode: we are its supervisor). Virtual time is the guest's own
 * instruction count, advanced by what the real CPU retired for it plus the
 * instructions we emulated; the virtual timer interrupt is injected at the very
 * instruction where the bare machine would have taken it, because each real
 * run is cut to end at the virtual timer deadline. That is what makes a guest's
 * output under the monitor byte-identical to its output on bare hardware.
 */
import { Mode } from '../../vm/cpu.js';
import { Exit } from '../../vm/exit.js';
import type { Machine } from '../../vm/machine.js';
import { handleTrap, injectInterrupt, syncOut } from './exits.js';
import { FastPath } from './fast-path.js';
import { loadShadow } from './world-switch.js';
import { TIME_SAMPLE } from './stats.js';
import type { VirtualMachine } from './vm.js';

export const enum SliceEnd {
  /** The budget of guest instructions is used up. */
  BUDGET = 0,
  /** The guest halted or powered off. */
  HALTED = 1,
  /** The guest waits (wfi) for an interrupt only the outside world can raise. */
  WAITING = 2,
  /** The monitor had to stop the guest (vm.failure says why). */
  FAILED = 3,
  /** Post-copy: the vCPU waits for a page still on the migration source (vm.shadow.waitingFor). */
  MISSING = 4,
}

/** Consecutive traps without a retired guest instruction before we call it a monitor bug. */
const NO_PROGRESS_LIMIT = 100_000;

/** Put the VM on the real CPU. */
export function loadVm(vm: VirtualMachine, machine: Machine, ranLast = false): void {
  machine.cpu.regs.set(vm.cpu.regs);
  machine.cpu.pc = vm.cpu.pc >>> 0;
  machine.cpu.mode = Mode.USER;
  // The real MMU still holds this VM's shadow (and its TLB) if nothing else ran
  // since: re-installing it would flush the real TLB for nothing.
  if (!ranLast) vm.addressSpaceChanged = true;
}

/** Take the VM off the real CPU (its registers back into the virtual CPU). */
export function unloadVm(vm: VirtualMachine, machine: Machine): void {
  syncOut(vm, machine);
}

/**
 * Run the loaded VM for up to `budget` guest instructions. Virtual time that
 * a waiting guest skips (wfi with the timer set) does not count against the
 * budget: nothing ran. `until` bounds the guest's virtual time as well: the
 * slice ends there, and a wait for a later timer skips only up to it (a
 * driver keeping the guest in step with another clock — a simulated link).
 */
export function runVm(vm: VirtualMachine, machine: Machine, budget: number, until = Number.MAX_SAFE_INTEGER): SliceEnd {
  const stats = vm.stats;
  const monitorBefore = stats.monitorMs;
  const t0 = performance.now();
  try {
    return runPieces(vm, machine, budget, until);
  } finally {
    // Guest time is the wall time less the monitor's (sampled) share of it.
    stats.guestMs += Math.max(0, performance.now() - t0 - (stats.monitorMs - monitorBefore));
  }
}

const fastPaths = new WeakMap<VirtualMachine, FastPath>();

function fastPathOf(vm: VirtualMachine): FastPath {
  let f = fastPaths.get(vm);
  if (f === undefined) fastPaths.set(vm, (f = new FastPath(vm)));
  return f;
}

/** runVm's loop: the real CPU in pieces, cut at each exit the monitor must see. */
function runPieces(vm: VirtualMachine, machine: Machine, budget: number, until: number): SliceEnd {
  const cpu = vm.cpu;
  const shadow = vm.shadow;
  const stats = vm.stats;
  const fast = fastPathOf(vm);
  let left = budget;
  let noProgress = 0;
  const entered = vm.trapsEntered;
  while (left > 0) {
    if (vm.halted) return SliceEnd.HALTED;
    if (vm.failure !== undefined) return SliceEnd.FAILED;
    if (shadow.waitingFor >= 0) {
      if (shadow.missing?.[shadow.waitingFor] === 1) return SliceEnd.MISSING;
      shadow.waitingFor = -1;
    }
    if (cpu.time >= until) return SliceEnd.BUDGET;
    if (vm.waiting) {
      if (vm.wakeable()) vm.waiting = false;
      else if (vm.canTimerWake() && cpu.timerDeadline > until) {
        cpu.idle += until - cpu.time;
        return SliceEnd.BUDGET;
      } else if (vm.skipToTimer()) vm.waiting = false;
      else return SliceEnd.WAITING;
    }
    injectInterrupt(vm, machine);
    if (vm.stopOnTrap && vm.trapsEntered !== entered) return SliceEnd.BUDGET;
    if (vm.addressSpaceChanged || vm.modeChanged) loadShadow(vm, machine);

    let b = Math.min(left, until - cpu.time);
    const toTimer = cpu.timerDeadline - cpu.time;
    if (toTimer > 0 && toTimer < b) b = toTimer;
    const base = cpu.instret;
    const before = machine.cpu.instret;
    fast.begin(machine);
    machine.assist = fast;
    const e = machine.run(b);
    machine.assist = undefined;
    // The real CPU counted what the fast path emulated too: the guest's count is ours plus its.
    const ran = machine.cpu.instret - before;
    cpu.instret = base + ran;
    left -= ran;
    if (ran > 0) noProgress = 0;
    else noProgress += fast.unretired;
    if (e === Exit.TRAP) {
      const timed = --stats.untilTimed === 0;
      const t1 = timed ? performance.now() : 0;
      const retired = handleTrap(vm, machine, machine.lastTrap);
      if (timed) {
        stats.monitorMs += TIME_SAMPLE * (performance.now() - t1);
        stats.untilTimed = TIME_SAMPLE;
      }
      if (shadow.waitingFor >= 0) return SliceEnd.MISSING;
      left -= retired;
      if (retired > 0) noProgress = 0;
      else if (ran === 0) noProgress++;
    } else if (e !== Exit.BUDGET) {
      vm.failure = `the real CPU stopped (${e}) while running the guest in user mode`;
      return SliceEnd.FAILED;
    }
    if (noProgress > NO_PROGRESS_LIMIT) {
      vm.failure = `no progress: ${NO_PROGRESS_LIMIT} traps in a row at pc 0x${machine.cpu.pc.toString(16)} without an instruction retiring`;
      return SliceEnd.FAILED;
    }
  }
  return vm.halted ? SliceEnd.HALTED : SliceEnd.BUDGET;
}
