/**
 * The monitor's fast path: the traps of a running guest handled where the
 * real CPU stands (Machine.assist), without leaving its run loop.
 *
 * A system call under the guest kernel is a round trip of a dozen traps to
 * the monitor: the syscall itself (reflected into the guest's vector), then
 * every privileged instruction of the kernel's trap path — csrrw scratch,
 * csrr time, csrr epc, csrr cause, csrw status, csrw epc, csrw scratch,
 * csrr time, sret — each emulated. Taken the slow way (vcpu.ts, exits.ts),
 * each one ends the real CPU's run(), goes round the monitor's loop and
 * enters run() again, and that round trip, not the emulation, was the cost.
 *
 * What is done here is what the slow path does, with the same functions
 * (vm/privileged.ts on the virtual CPU, reflect, the shadow walk); only what
 * the monitor's loop must see stays on the slow path:
 *
 *   here        privileged instructions of the guest kernel, sret and ptbase
 *               writes included (the shadow of the new address space or mode
 *               is loaded on the spot, as runVm would before the next piece);
 *               the guest's own traps, reflected into its kernel; faults the
 *               shadow tables hide (entry filled before the fault is raised,
 *               the access completes: see below); faults its own tables
 *               decide (reflected).
 *   slow path   device registers (the device may raise a line, the access
 *               retires); pages still on a migration source; an illegal
 *               privileged instruction; everything while --trace-traps
 *               watches or a debugger steps (their events come from exits.ts).
 *   then exit   (run() returns after the instruction, Exit.BUDGET) when the
 *               emulated instruction halted or waits (wfi), moved the timer
 *               deadline the piece was cut at, or left an interrupt
 *               deliverable: injecting it is runVm's job, at this boundary.
 *
 * Virtual time stays exact: an emulated instruction retires on the real CPU
 * too (the interpreter counts it), so the piece ends at the instruction where
 * runVm cut it — the timer deadline — and runVm takes the guest's count from
 * the real CPU's. A guest whose traps make no progress (a vector that traps
 * itself) falls back to the slow path after NO_PROGRESS_FAST traps in a row,
 * where runVm's own no-progress limit stops it.
 *
 * Measured on the bench's monitors workloads (2-core EPYC shared with other
 * work, node 20; speed = bare ÷ native, CPU time of the process, interleaved
 * process pairs of 5 runs):
 *   - per exit, before this: three clock reads and a named count (stats.ts),
 *     a string key per world switch; cutting those took syscalls from
 *     0.54–0.68 to 0.64–0.77;
 *   - this fast path: 0.78–0.84 (12 exits per system call → 0 leave run());
 *   - the world switch keeping both modes' TLB entries (world-switch.ts):
 *     native 194–213 ms → 187–196 ms against bare 128–147 ms, single-threaded;
 *   - all of it against main, single-threaded node: 0.48 0.50 0.49 → 0.71
 *     0.70 0.73; the cpu workload stays at or above bare speed (1.04–1.17).
 * What was left was mostly the boot (a one-call kernel: 1.4–1.5× its bare time:
 * the real MMU's walks of the shadow tables where the bare machine runs with
 * paging off, and the translation tier entering pages at the points the
 * monitor's exits leave them).
 *
 * Hidden faults filled in place (fault(), before the trap is raised). Taken
 * as a trap, a hidden fault abandons the access and the interpreter goes on
 * from the faulting instruction; on the bare machine the same access walks
 * the tables and completes, and the interpreter goes on after it. The
 * translation tier learns a page's entry points from where the interpreter
 * looks for translated code, so each hidden fault was an entry point the bare
 * machine never shows it: the boot of the bench's cpu kernel (241,024
 * instructions) translated its kernel pages again for them — 58 region
 * functions, 270,000 characters of JavaScript for V8 to compile, against
 * bare's 42 and 182,000 — and compiling translations is most of a boot's time.
 * Filled before it is raised, the fault is what a nested-paging walker is on
 * real hardware: the access completes, no exit, and the translations are the
 * bare machine's to the instruction (42 functions, 182,000 characters;
 * test/hypervisor/core/shadow-fill.test.ts). The walk, its counts and the
 * shadow entry are the same as through trap(); a fault the walk does not hide
 * is raised as before, and trap() takes the walk's answer instead of walking
 * again. Measured (that boot, CPU time of the process, median of 20 runs, bare
 * and native alternating, three interleaved pairs of processes, load 10–13
 * on 2 cores): native 69.5 / 70.5 / 70.7 ms → 62.2 / 59.0 / 60.4 ms against
 * bare's 51–58 ms: 1.36–1.40× bare → 1.07–1.12×.
 *
 * Where the rest of the cpu workload's time goes (bench/guests/tight.s under
 * the guest kernel, 120,550,038 instructions; counts are exact, times from
 * this 2-core machine at load 8–15):
 *   - the monitor's own work is small: 600 timer interrupts injected, 9,645
 *     privileged instructions emulated here (16 a tick), 2,414 shadow
 *     activations (2 ms in all, with their checks of cached entries), 13,617
 *     real MMU walks against bare's 9,391 and 1,323 TLB flushes against 1,208
 *     (ptbase written twice a tick, on both) — tens of microseconds
 *     a tick at most, and the same translations as bare (8, 1,503 instructions).
 *   - pieces: runs of 10,000, 100,000 and 1,000,000-instruction slices cost
 *     the same (150–157 ms CPU, 7 runs each). Only with V8 compiling on the
 *     main thread (node --single-threaded) do shorter ones win, on bare as on
 *     native (10 K: 137 / 144 ms, 1 M: 208 / 208 ms): V8's, not the monitor's.
 *   - event-loop turns: native/run-turns.ts (301 a run → 15–24).
 *   - warming the process: the interpreter and translator are shared by every
 *     machine in a process, and whoever runs first pays for their warm-up:
 *     native first, 193–219 ms a run (median of 7 after one) against 139–164
 *     for bare after it; bare first, the two within noise of each other
 *     (156–222 against 158–236). The bench runs bare first.
 *   - what was left: warm, interleaved in one process (3 + 10 runs each,
 *     lower quartile of CPU time), native 134–157 ms against bare 115–133 ms,
 *     the same before and after the fill above within this machine's noise;
 *     the steps of a run that differ are boot (above) and these counts, so
 *     the gap was in how V8 ran the same translated code. It was the tight
 *     loop's bimodal runs (vm/jit/jit.ts, the priming of a region's exit
 *     path): its region deoptimized on the way out of every long call in
 *     some processes, on bare and native alike (in three processes, bare
 *     745 / 739 / 63 deopts in 6 runs, native 57 / 988 / 57), so which
 *     platform a bench run caught in that mode decided its ratio more than
 *     the monitor did. Primed with 64 calls instead of one, so that V8 has
 *     given the region a feedback vector to record its exit in: 12–19 deopts
 *     in 6 runs on either, every run in the fast mode, CPU per run native
 *     129–170 ms, bare 110–152 ms (three processes, 6 runs each after 3,
 *     load 8–10). The translation tier primes by the region's size now.
 */
import { Csr, STATUS_IE } from '../../isa/csr.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../../vm/cpu.js';
import { Exit } from '../../vm/exit.js';
import type { Machine, TrapAssist } from '../../vm/machine.js';
import { executePrivileged } from '../../vm/privileged.js';
import { Cause } from '../../vm/trap.js';
import { PTE_R, PTE_W, PTE_X } from '../../vm/walk.js';
import { reflect } from './exits.js';
import { GuestWalk } from './shadow.js';
import { TIME_SAMPLE } from './stats.js';
import type { VirtualMachine } from './vm.js';
import { loadShadow } from './world-switch.js';

/** Traps in a row without an instruction retiring before the fast path hands them to the slow one. */
const NO_PROGRESS_FAST = 64;

export class FastPath implements TrapAssist {
  private machine: Machine | undefined;
  /** The guest's and the real CPU's instruction counts when the piece began. */
  private vmBase = 0;
  private machineBase = 0;
  /** Traps handled here that retired nothing, in a row, and the real count at the last one. */
  private stalled = 0;
  private stalledAt = -1;
  /** Traps handled here in the current piece that retired nothing (runVm's no-progress count). */
  unretired = 0;
  /**
   * A fault fault() walked the guest's tables for and left to be raised (the
   * guest's own, a device page, a page not here yet): trap() takes that answer
   * for the same cause and address instead of walking again. -1: none.
   */
  private walkedCause = -1;
  private walkedVa = 0;
  private walked: GuestWalk = GuestWalk.GUEST_FAULT;

  constructor(private readonly vm: VirtualMachine) {}

  /** The VM is about to run a piece on `machine`. */
  begin(machine: Machine): void {
    this.machine = machine;
    this.vmBase = this.vm.cpu.instret;
    this.machineBase = machine.cpu.instret;
    this.unretired = 0;
    this.walkedCause = -1;
  }

  privileged(word: number, pc: number): boolean {
    const stats = this.vm.stats;
    if (--stats.untilTimed > 0) return this.emulate(word, pc);
    const t0 = performance.now();
    const done = this.emulate(word, pc);
    stats.monitorMs += TIME_SAMPLE * (performance.now() - t0);
    stats.untilTimed = TIME_SAMPLE;
    return done;
  }

  trap(cause: number, badaddr: number, pc: number): boolean {
    const stats = this.vm.stats;
    if (--stats.untilTimed > 0) return this.handle(cause, badaddr, pc);
    const t0 = performance.now();
    const done = this.handle(cause, badaddr, pc);
    stats.monitorMs += TIME_SAMPLE * (performance.now() - t0);
    stats.untilTimed = TIME_SAMPLE;
    return done;
  }

  fault(cause: number, va: number): boolean {
    const stats = this.vm.stats;
    if (--stats.untilTimed > 0) return this.fill(cause, va);
    const t0 = performance.now();
    const done = this.fill(cause, va);
    stats.monitorMs += TIME_SAMPLE * (performance.now() - t0);
    stats.untilTimed = TIME_SAMPLE;
    return done;
  }

  /**
   * A real page fault before it is raised: if the shadow tables only hid the
   * page (the guest maps it), fill the entry and let the access go on. The
   * same walk and counts as a hidden fault taken through trap(), but the
   * instruction is not abandoned and retried: it completes, as on the bare
   * machine, so the interpreter goes on after it rather than re-entering the
   * translation tier at the faulting instruction (see the head of this file).
   */
  private fill(cause: number, va: number): boolean {
    const vm = this.vm;
    const m = this.machine!;
    this.walkedCause = -1;
    if (vm.onEvent !== undefined || vm.stopOnTrap || m.onTrap !== undefined) return false;
    const need = cause === Cause.FETCH_FAULT ? PTE_X : cause === Cause.LOAD_FAULT ? PTE_R : PTE_W;
    const result = vm.shadow.resolve(va, vm.cpu.csr[Csr.PTBASE]!, need, vm.cpu.mode, cause === Cause.STORE_FAULT);
    if (result !== GuestWalk.HIDDEN) {
      this.walkedCause = cause;
      this.walkedVa = va;
      this.walked = result;
      return false;
    }
    m.trapCounts[cause]!++;
    vm.stats.trapsByCause[cause]!++;
    vm.stats.hiddenFaults++;
    m.mmu.flushPage(va);
    return true;
  }

  private emulate(word: number, pc: number): boolean {
    const vm = this.vm;
    const cpu = vm.cpu;
    const m = this.machine!;
    if (cpu.mode !== Mode.SUPERVISOR || vm.onEvent !== undefined || vm.stopOnTrap) return false;
    // The virtual CPU as of this instruction: its count (time reads it), pc, and
    // the registers a privileged instruction reads (rs1; a0 for halt) — the
    // rest stay on the real CPU, as while the guest runs (vcpu.ts).
    cpu.instret = this.vmBase + (m.cpu.instret - this.machineBase);
    const rs1 = (word >>> 12) & 15;
    cpu.regs[rs1] = m.cpu.regs[rs1]!;
    cpu.regs[Reg.A0] = m.cpu.regs[Reg.A0]!;
    cpu.pc = pc >>> 0;
    const deadline = cpu.timerDeadline;
    // An illegal one is the slow path's (it reflects it, with its event): nothing was changed.
    if (!executePrivileged(vm, word)) return false;
    const rd = (word >>> 8) & 15;
    if (rd !== 0) m.cpu.regs[rd] = cpu.regs[rd]!;
    m.cpu.pc = cpu.pc;
    vm.stats.trapsByCause[Cause.PRIVILEGED_INSTRUCTION]!++;
    vm.stats.emulatedByOp[word & 0xff]!++;
    // sret changes the mode, ptbase writes and tlbflush the address space (vm.ts).
    if (cpu.mode !== Mode.SUPERVISOR) vm.modeChanged = true;
    if (vm.addressSpaceChanged || vm.modeChanged) loadShadow(vm, m);
    if (vm.halted || vm.waiting || cpu.timerDeadline !== deadline || ((cpu.csr[Csr.STATUS]! & STATUS_IE) !== 0 && vm.deliverableIrq() >= 0)) m.pendingExit = Exit.BUDGET;
    this.stalled = 0;
    return true;
  }

  private handle(cause: number, badaddr: number, pc: number): boolean {
    const vm = this.vm;
    const m = this.machine!;
    const walked = this.walkedCause === cause && this.walkedVa === badaddr ? this.walked : -1;
    this.walkedCause = -1;
    if (vm.onEvent !== undefined || vm.stopOnTrap) return false;
    if (m.cpu.instret !== this.stalledAt) this.stalled = 0;
    if (++this.stalled > NO_PROGRESS_FAST) return false;
    this.stalledAt = m.cpu.instret;
    switch (cause) {
      case Cause.PRIVILEGED_INSTRUCTION:
        // From guest supervisor mode it is an illegal one (privileged() declined it): the slow path's.
        if (vm.cpu.mode === Mode.SUPERVISOR) return false;
        break;
      case Cause.FETCH_FAULT:
      case Cause.LOAD_FAULT:
      case Cause.STORE_FAULT: {
        const need = cause === Cause.FETCH_FAULT ? PTE_X : cause === Cause.LOAD_FAULT ? PTE_R : PTE_W;
        const result = walked >= 0 ? (walked as GuestWalk) : vm.shadow.resolve(badaddr, vm.cpu.csr[Csr.PTBASE]!, need, vm.cpu.mode, cause === Cause.STORE_FAULT);
        if (result === GuestWalk.HIDDEN) {
          vm.stats.trapsByCause[cause]!++;
          vm.stats.hiddenFaults++;
          m.mmu.flushPage(badaddr);
          this.unretired++;
          return true;
        }
        // A device register or a page not here yet: the slow path walks again and decides.
        if (result !== GuestWalk.GUEST_FAULT) return false;
        vm.stats.reflectedFaults++;
        break;
      }
      default:
        break;
    }
    // The guest's own trap: into its kernel, as the hardware would deliver it.
    vm.stats.trapsByCause[cause]!++;
    vm.stats.reflect(cause);
    reflect(vm, m, cause, badaddr, pc);
    if (vm.addressSpaceChanged || vm.modeChanged) loadShadow(vm, m);
    this.unretired++;
    return true;
  }
}
