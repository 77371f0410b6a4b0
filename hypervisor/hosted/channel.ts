/**
 * The conversation between the hosted monitor's two threads.
 *
 *   main thread (host I/O)                         vCPU worker (the guest)
 *   ──────────────────────                         ───────────────────────
 *   stdin, disk file, socket ──ToVcpu──▶ port ──▶  drained between run slices
 *                 Atomics.add + notify ──▶ bell ──▶  (receiveMessageOnPort), or
 *                                                   Atomics.wait while the guest waits
 *   stdout, disk file, socket ◀── port ◀──FromVcpu── console/net bytes per slice,
 *                                                   disk requests, the final result
 *
 * The main thread owns every host resource and never blocks; the worker never
 * touches one. A completion is a message followed by a ring of the doorbell: a
 * shared counter the worker reads *before* it drains the port, so a message
 * posted after the drain has moved the counter and the worker's Atomics.wait
 * on the old value returns at once — no wake-up is lost between the two.
 */
import type { VmOutcome } from '../core/monitor-run.js';
import type { VmStatsRecord } from '../core/stats.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { VmState } from '../core/state.js';
import type { VmEvent } from '../core/vm.js';
import type { Tier } from '../../vm/machine.js';
import type { Image } from '../../isa/image.js';
import type { NetEvent } from '../../vm/devices/net-feeder.js';

/** Main thread → vCPU. */
export type ToVcpu =
  | { readonly kind: 'console-input'; readonly bytes: Uint8Array }
  | { readonly kind: 'console-end' }
  | { readonly kind: 'disk-done'; readonly id: number; readonly error: string | null; readonly data?: Uint8Array }
  /** A disk of this many sectors was plugged in (0: pulled out); the main thread serves it. */
  | { readonly kind: 'disk-attach'; readonly sectors: number }
  | { readonly kind: 'net-connected' }
  | { readonly kind: 'net-data'; readonly bytes: Uint8Array }
  /** `final`: no connection can ever come again (a --net-connect peer hung up). */
  | { readonly kind: 'net-closed'; readonly final: boolean }
  | { readonly kind: 'stop'; readonly reason: string }
  // ---- a VM on a host (HostedGuest): answered between two slices, paused or not ----
  /** Stop between two instructions; answered (a reply) once stopped. */
  | { readonly kind: 'pause'; readonly id: number }
  | { readonly kind: 'resume' }
  /** Clear the dirty log (reply), or hand it over and clear it (reply with the pages). */
  | { readonly kind: 'dirty-start'; readonly id: number }
  | { readonly kind: 'dirty-take'; readonly id: number }
  /** The VM's state (reply with it); replace it (reply once done). */
  | { readonly kind: 'save'; readonly id: number; readonly lifecycle: Lifecycle }
  | { readonly kind: 'restore'; readonly id: number; readonly state: VmState }
  /** Network events not yet delivered to the device: reply with them (they leave with the VM). */
  | { readonly kind: 'net-take'; readonly id: number }
  /** The main thread wrote these pages (writePage): drop translated code, log them dirty. */
  | { readonly kind: 'written'; readonly pages: readonly number[] }
  /** Pages were marked missing again: forget every shadow entry, consult the bitmap again. */
  | { readonly kind: 'marked' }
  /**
   * The debugger steps the paused guest: `cpu` first replaces its registers
   * (a debugger's set), then `ticks` ticks — an instruction, or a trap
   * entered — in virtual time; the reply carries the state and how it went.
   * With `stopAt`, the ticks also end after one that entered a trap, changed
   * the mode or left pc at one of those addresses (where a breakpoint may hit).
   */
  | { readonly kind: 'step'; readonly id: number; readonly ticks: number; readonly cpu?: VmState['cpu']; readonly stopAt?: readonly number[] };

/** How a debugger's step went: ticks run, a trap entered on the last, how the guest stands. */
export interface StepOutcome {
  readonly ticks: number;
  readonly trapped: boolean;
  /** The guest's mode before the last tick (0 user, 1 supervisor). */
  readonly modeBefore: number;
  readonly end: 'ticked' | 'halted' | 'waiting' | 'failed';
  readonly reason?: string;
}

/** vCPU → main thread. */
export type FromVcpu =
  /** What one run slice produced, batched: console bytes, network bytes, trace events. */
  | { readonly kind: 'output'; readonly console: Uint8Array | null; readonly net: Uint8Array | null; readonly events: readonly VmEvent[] | null }
  | { readonly kind: 'disk-read'; readonly id: number; readonly sector: number; readonly count: number }
  | { readonly kind: 'disk-write'; readonly id: number; readonly sector: number; readonly data: Uint8Array }
  | { readonly kind: 'exit'; readonly exit: VcpuExit }
  // ---- a VM on a host ----
  /** The answer to request `id` (pause, dirty-start, restore: nothing; dirty-take: pages; save: state). */
  | { readonly kind: 'reply'; readonly id: number; readonly pages?: readonly number[]; readonly state?: VmState; readonly netEvents?: readonly NetEvent[]; readonly stepped?: StepOutcome }
  /** The vCPU stalled on a page still missing; it sleeps until the page's mark is cleared. */
  | { readonly kind: 'missing-page'; readonly page: number }
  /** VmStats.toRecord(), now and then while it runs, on a pause, at the end. */
  | { readonly kind: 'stats'; readonly stats: VmStatsRecord }
  /** The guest ended (poweroff, failed, stuck, budget); the vCPU still answers requests until stopped. */
  | { readonly kind: 'ended'; readonly exit: VcpuExit }
  | { readonly kind: 'crash'; readonly message: string };

/** How the vCPU thread ended, with everything it counted (plain data: it crosses threads). */
export interface VcpuExit {
  readonly outcome: VmOutcome | { readonly kind: 'stopped'; readonly reason: string };
  readonly instructions: number;
  readonly virtualTime: number;
  /** VmStats.toRecord() */
  readonly stats: VmStatsRecord;
  readonly vcpu: VcpuCounters;
}

export interface VcpuCounters {
  /** Run slices, and waits in Atomics.wait with the time spent in them. */
  readonly slices: number;
  readonly waits: number;
  readonly sleptMs: number;
  /** Messages drained from the main thread. */
  readonly messages: number;
}

/** What the worker is started with (workerData). */
export interface VcpuConfig {
  readonly name: string;
  /** None: the VM is created empty (an arriving VM: every page missing, paused). */
  readonly image: Image | undefined;
  /** Machine RAM: shadow-table frames, then the guest's RAM. */
  readonly ram: SharedArrayBuffer;
  readonly memSize: number;
  readonly shadowPages: number;
  readonly bell: SharedArrayBuffer;
  readonly tier: Tier | undefined;
  /** Write every translation to this directory (see hypervisor/core/jit-dump.ts). */
  readonly jitDumpDir?: string;
  readonly slice: number;
  readonly maxInstructions: number | undefined;
  readonly trace: boolean;
  /** Console input may still arrive (stdin is open). */
  readonly consoleOpen: boolean;
  /** Sectors of the disk the main thread serves, or 0 for none. */
  readonly diskSectors: number;
  /** A network backend is attached, and connections may (still) come. */
  readonly net: boolean;
  /**
   * A VM on a host (HostedGuest): starts paused if asked, publishes its counts
   * in `status`, stalls on pages marked in `missing`, posts stats, and after
   * its end still answers requests until it is stopped.
   */
  readonly host?: {
    readonly paused: boolean;
    /** VmStatus.buffer */
    readonly status: SharedArrayBuffer;
    /** One byte per page, 1: not here yet (Atomics; the main thread clears it). */
    readonly missing: SharedArrayBuffer;
  };
}

/** Run state codes in VmStatus (the vCPU publishes them after each slice). */
export const enum VcpuRun {
  RUNNING = 0,
  /** Waiting for an interrupt no timer will raise (console input, say). */
  WAITING = 1,
  /** Stalled on a missing page. */
  STALLED = 2,
  PAUSED = 3,
  ENDED = 4,
}

/**
 * A VM's counts where the main thread can read them without asking: the vCPU
 * writes them after every slice, so `instructions`, `time` and `state()` are
 * cheap and at most one slice old. The main thread writes only `missing`
 * (pages still missing), which the vCPU reads to drop its bitmap at zero.
 */
export class VmStatus {
  static readonly BYTES = 64;
  /** [instret, time] (aligned doubles: whole on every host we run on). */
  readonly f64: Float64Array;
  /** [run state, pages still missing, pages in the dirty log (as of the last stats), spare] */
  readonly i32: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(VmStatus.BYTES)) {
    this.f64 = new Float64Array(buffer, 0, 2);
    this.i32 = new Int32Array(buffer, 16, 4);
  }

  get instret(): number {
    return this.f64[0]!;
  }

  get time(): number {
    return this.f64[1]!;
  }

  get run(): VcpuRun {
    return Atomics.load(this.i32, 0) as VcpuRun;
  }

  set run(r: VcpuRun) {
    Atomics.store(this.i32, 0, r);
  }

  get missing(): number {
    return Atomics.load(this.i32, 1);
  }

  set missing(n: number) {
    Atomics.store(this.i32, 1, n);
  }

  get dirty(): number {
    return Atomics.load(this.i32, 2);
  }

  set dirty(n: number) {
    Atomics.store(this.i32, 2, n);
  }

  publish(instret: number, time: number, run: VcpuRun): void {
    this.f64[0] = instret;
    this.f64[1] = time;
    Atomics.store(this.i32, 0, run);
  }
}

/** A shared counter the main thread bumps after each message it posts. */
export class Doorbell {
  private readonly word: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.word = new Int32Array(buffer, 0, 1);
  }

  /** Main thread: a message is waiting. */
  ring(): void {
    Atomics.add(this.word, 0, 1);
    Atomics.notify(this.word, 0);
  }

  /** vCPU: the count to wait on; read before draining the port. */
  read(): number {
    return Atomics.load(this.word, 0);
  }

  /** vCPU: sleep until the count moves from `seen` (at once if it has), or `timeoutMs` passes. */
  wait(seen: number, timeoutMs: number): 'ok' | 'not-equal' | 'timed-out' {
    return Atomics.wait(this.word, 0, seen, timeoutMs);
  }
}
