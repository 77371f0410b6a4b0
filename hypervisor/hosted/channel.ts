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
import type { VmOutcome } from '../core/monitor.js';
import type { VmEvent } from '../core/vm.js';
import type { Tier } from '../../vm/machine.js';
import type { Image } from '../../isa/image.js';

/** Main thread → vCPU. */
export type ToVcpu =
  | { readonly kind: 'console-input'; readonly bytes: Uint8Array }
  | { readonly kind: 'console-end' }
  | { readonly kind: 'disk-done'; readonly id: number; readonly error: string | null; readonly data?: Uint8Array }
  | { readonly kind: 'net-connected' }
  | { readonly kind: 'net-data'; readonly bytes: Uint8Array }
  /** `final`: no connection can ever come again (a --net-connect peer hung up). */
  | { readonly kind: 'net-closed'; readonly final: boolean }
  | { readonly kind: 'stop'; readonly reason: string };

/** vCPU → main thread. */
export type FromVcpu =
  /** What one run slice produced, batched: console bytes, network bytes, trace events. */
  | { readonly kind: 'output'; readonly console: Uint8Array | null; readonly net: Uint8Array | null; readonly events: readonly VmEvent[] | null }
  | { readonly kind: 'disk-read'; readonly id: number; readonly sector: number; readonly count: number }
  | { readonly kind: 'disk-write'; readonly id: number; readonly sector: number; readonly data: Uint8Array }
  | { readonly kind: 'exit'; readonly exit: VcpuExit }
  | { readonly kind: 'crash'; readonly message: string };

/** How the vCPU thread ended, with everything it counted (plain data: it crosses threads). */
export interface VcpuExit {
  readonly outcome: VmOutcome | { readonly kind: 'stopped'; readonly reason: string };
  readonly instructions: number;
  readonly virtualTime: number;
  /** VmStats.toJSON() */
  readonly stats: Record<string, unknown>;
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
  readonly image: Image;
  /** Machine RAM: shadow-table frames, then the guest's RAM. */
  readonly ram: SharedArrayBuffer;
  readonly memSize: number;
  readonly shadowPages: number;
  readonly bell: SharedArrayBuffer;
  readonly tier: Tier | undefined;
  readonly slice: number;
  readonly maxInstructions: number | undefined;
  readonly trace: boolean;
  /** Console input may still arrive (stdin is open). */
  readonly consoleOpen: boolean;
  /** Sectors of the disk the main thread serves, or 0 for none. */
  readonly diskSectors: number;
  /** A network backend is attached, and connections may (still) come. */
  readonly net: boolean;
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
