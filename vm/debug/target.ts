/**
 * What the kernel debugger drives: one guest's virtual CPU and its
 * guest-physical memory, as the guest kernel believes they are. On the bare
 * machine that is the machine itself; under a monitor it is the VM's virtual
 * CPU (its mode is the mode the guest thinks it is in, its CSRs the emulated
 * ones) and the VM's window of RAM.
 *
 * The unit of execution is a *tick*: one instruction retired, or one trap or
 * interrupt entered (the CPU jumps to tvec and nothing retires). Stopping at
 * trap entries is what lets `break trap_vector` and `break trap syscall` stop
 * on the first instruction of the handler with epc/cause fresh. The debugger
 * counts ticks; the same ticks from the same state give the same states,
 * which is all reverse execution needs (time is virtual: instructions
 * retired plus idle time skipped in wfi).
 */
import type { CpuState, Mode } from '../cpu.js';
import type { PhysicalMemory } from '../memory.js';

/** `process`: a user program in the process VM (`typevisor debug`, vm/process/debug-target.ts). */
export type TargetKind = 'bare' | 'native' | 'hosted' | 'process';

export type TickEnd =
  /** One instruction retired or one trap entered (`trapped`). */
  | { readonly kind: 'ticked'; readonly trapped: boolean }
  | { readonly kind: 'halted'; readonly status: number }
  /** Waiting for an interrupt nothing can raise (no timer, input over). */
  | { readonly kind: 'stuck'; readonly reason: string }
  /** The monitor had to stop the guest. */
  | { readonly kind: 'failed'; readonly reason: string };

/** The target's own state besides RAM, taken while stopped; opaque to the debugger. */
export type TargetState = unknown;

export interface DebugTarget {
  readonly kind: TargetKind;
  /** The guest's virtual CPU: registers, pc, mode, CSRs, instret. Valid (and writable) while stopped. */
  readonly cpu: CpuState;
  /** Guest-physical RAM (from RAM_BASE). */
  readonly memory: PhysicalMemory;
  /** Why reverse execution is not available here, or undefined when it is. */
  readonly irreversible: string | undefined;
  /** Run one tick. */
  tick(): TickEnd;
  /** The target's CPU, vCPU and device state (not RAM). */
  saveState(): TargetState;
  /** Go back to a saved state; the debugger has put RAM back first. Drops cached translations. */
  restoreState(state: TargetState): void;
  /** The CPU or RAM changed from outside (set, a restored checkpoint): forget cached translations. */
  invalidate(): void;
  /** Console output is being re-produced by a replay: drop it (true) or show it (false). */
  muteOutput(mute: boolean): void;
  /** Monitor counters for `info vm` (none on the bare machine). */
  vmInfo(): readonly string[] | undefined;
  /** The real TLB's entries that map this guest, for `info tlb`. */
  tlbLines(): readonly string[];
  /**
   * For a target where each tick is costly (a vCPU on another thread): up to
   * `limit` ticks in one go, ending after a tick that entered a trap, changed
   * the mode, or left pc in `stopAt` — every place a breakpoint could hit.
   */
  run?(limit: number, stopAt: ReadonlySet<number>): BatchEnd;
  /** Ticks run() takes at most between the host's chances to interrupt (default: run-control's TICKS_PER_PAUSE). */
  readonly batchTicks?: number;
}

export interface BatchEnd {
  readonly ticks: number;
  /** The mode before the last tick. */
  readonly modeBefore: Mode;
  /** How the last tick went. */
  readonly end: TickEnd;
}
