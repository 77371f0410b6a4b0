/**
 * A VM under the hosted monitor as a debug target: `typevisor boot KERNEL
 * --monitor hosted --debug`. The guest runs on its vCPU thread; the debugger
 * on the main thread steps it there (HostedGuest.stepSync: a `step` request,
 * answered with the VM's state) and reads its RAM directly from the shared
 * buffer. A round trip between the threads costs far more than a tick, so
 * runs go in batches that end wherever a breakpoint could hit (a code
 * breakpoint's pc, a trap, a mode switch); with a watchpoint set, every
 * tick is a round trip.
 *
 * Reverse execution is not available: the hosted monitor's virtual time
 * follows the host clock, so what the guest did cannot be replayed.
 */
import { CpuState, Mode } from '../../vm/cpu.js';
import { PhysicalMemory } from '../../vm/memory.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';
import type { BatchEnd, DebugTarget, TickEnd } from '../../vm/debug/target.js';
import type { HostedGuest } from './guest.js';

export class HostedDebugTarget implements DebugTarget {
  readonly kind = 'hosted' as const;
  readonly irreversible = 'under the hosted monitor virtual time follows the host clock, so a run cannot be replayed (use --monitor native: the same trap-and-emulate core in virtual time)';
  readonly cpu = new CpuState();
  readonly memory: PhysicalMemory;
  /** The debugger changed registers here: they go to the vCPU with the next step. */
  private cpuChanged = false;

  constructor(private readonly guest: HostedGuest) {
    const ram = guest.ram;
    this.memory = new PhysicalMemory(ram.length, false, ram.buffer, ram.byteOffset, new Uint8Array(ram.length >>> PAGE_SHIFT));
    // The state as it stands: a step of nothing.
    this.cpu.restore(guest.stepSync(0).state.cpu);
  }

  /** The debugger let go (nothing to undo: steps happen only while it holds the guest). */
  release(): void {}

  tick(): TickEnd {
    return this.steps(1, undefined).end;
  }

  /** Many ticks in one request: the vCPU thread stops wherever a breakpoint could hit. */
  run(limit: number, stopAt: ReadonlySet<number>): BatchEnd {
    return this.steps(limit, [...stopAt]);
  }

  private steps(limit: number, stopAt: readonly number[] | undefined): BatchEnd {
    const r = this.guest.stepSync(limit, this.cpuChanged ? this.cpu.save() : undefined, stopAt);
    this.cpuChanged = false;
    this.cpu.restore(r.state.cpu);
    const s = r.stepped;
    const modeBefore = s.modeBefore === 0 ? Mode.USER : Mode.SUPERVISOR;
    const end: TickEnd = s.end === 'halted' ? { kind: 'halted', status: r.state.vcpu.exitStatus }
      : s.end === 'failed' ? { kind: 'failed', reason: s.reason ?? 'failed' }
      : s.end === 'waiting' ? { kind: 'stuck', reason: 'the guest waits for an interrupt that nothing in virtual time will raise (the debugger holds the host clock)' }
      : { kind: 'ticked', trapped: s.trapped };
    return { ticks: s.ticks, modeBefore, end };
  }

  saveState(): never {
    throw new Error(this.irreversible);
  }

  restoreState(): never {
    throw new Error(this.irreversible);
  }

  invalidate(): void {
    this.cpuChanged = true;
    // Pages the debugger wrote: the vCPU drops what it translated from them.
    for (const p of this.memory.takeDirtyPages()) this.guest.writePage(p, this.memory.u8.slice(p << PAGE_SHIFT, (p << PAGE_SHIFT) + PAGE_SIZE));
  }

  muteOutput(): void {
    // Nothing is replayed here.
  }

  vmInfo(): string[] {
    const s = this.guest.stats();
    const list = (c: Readonly<Record<string, number>>): string => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    return [
      `${this.guest.name} under the hosted monitor: its vCPU is a worker thread, its devices the host's`,
      `  guest mode (virtual)   ${this.cpu.mode === 0 ? 'user' : 'supervisor'}`,
      `  emulated               ${list(s.emulated)}`,
      `  reflected              ${list(s.reflected)}`,
      `  injected interrupts    ${list(s.injected)}`,
      `  hidden faults          ${s.hiddenFaults} (shadow entries filled; the guest never saw them)`,
      `  device accesses        ${s.mmio}`,
    ];
  }

  tlbLines(): readonly string[] {
    return ['the TLB is the vCPU thread\'s (hosted monitor): not visible from the debugger'];
  }
}
