/**
 * Virtual time that follows the host clock.
 *
 * On the native monitor virtual time is the guest's instruction count, and a
 * waiting guest skips straight to its timer deadline. Here one tick of
 * virtual time is 10 ns of host time since boot: before every run slice the
 * VM's idle time is raised so that time = max(time, host ticks), and a guest
 * waiting in wfi sleeps on the host until its deadline comes round. So the
 * guest kernel's quantum of 50,000 ticks is half a millisecond of wall time,
 * and `time` never runs behind the wall clock (it may run ahead, counting one
 * tick per instruction, when the guest runs faster than 100 MIPS).
 *
 * A guest that measures user time in `time` (the guest kernel's process
 * table) therefore counts host time, not instructions, under this monitor.
 */
import type { CpuState } from '../../vm/cpu.js';

/** Ticks of virtual time per millisecond of host time (one tick = 10 ns). */
export const TICKS_PER_MS = 100_000;

export class HostClock {
  private start: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.start = now();
  }

  /** Host time since boot, in ticks. */
  ticks(): number {
    return Math.floor((this.now() - this.start) * TICKS_PER_MS);
  }

  /** Host milliseconds from now until virtual time `tick` (≤ 0: it has come). */
  msUntil(tick: number): number {
    return (tick - this.ticks()) / TICKS_PER_MS;
  }

  /**
   * Make the host clock read `tick` now: virtual time continues from there (a
   * restored state, a resume) instead of jumping by the time it was away.
   */
  rebase(tick: number): void {
    this.start = this.now() - tick / TICKS_PER_MS;
  }

  /** Bring a virtual CPU's time up to the host clock: time = max(time, host ticks). */
  sync(cpu: CpuState): void {
    const behind = this.ticks() - cpu.time;
    if (behind > 0) cpu.idle += behind;
  }
}
