/**
 * The VM host boundary: what every monitor that keeps VMs alive offers the
 * layers above it — the daemon (control/) and the migration engine
 * (migration/) — and all they may use. Neither of them knows which monitor
 * a VM runs on:
 *
 *   native   many VMs on one simulated machine, one thread, virtual time
 *   hosted   one VM per worker thread over RAM in a SharedArrayBuffer, host time
 *
 * A `VmHost` adds and removes VMs; each VM is a `Guest`: pause and resume
 * between two instructions, its RAM to read (and to write while it cannot
 * run), its dirty log, its state as a versioned value, pages still missing
 * (post-copy, lazy restore), its console, its counts.
 *
 * Operations that must reach a vCPU on another thread (pause, the dirty log,
 * save, restore) return promises; on the native monitor they are already
 * settled. A pause resolves once the guest has stopped between two
 * instructions, so a state saved after it is exact.
 */
import type { Image } from '../../isa/image.js';
import type { DebugTarget } from '../../vm/debug/target.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';
import type { NetEvent } from '../../vm/devices/net-feeder.js';
import type { VmOutcome } from './monitor-run.js';
import type { VmStats } from './stats.js';
import type { Lifecycle } from './lifecycle.js';
import type { MonitorKind, VmState } from './state.js';

export { MONITORS, type MonitorKind } from './state.js';
export type { NetEvent };

/** A host cannot do what it was asked (no room, a name taken, a bad size). */
export class MonitorConfigError extends Error {
  override readonly name = 'MonitorConfigError';
}

/** Where a VM is, as its host sees it (control/ turns this into the lifecycle). */
export type RunState = 'running' | 'paused' | 'waiting' | 'stalled' | VmOutcome['kind'];

export interface GuestConfig {
  readonly name: string;
  /** Guest RAM in bytes (a positive multiple of 4 KiB). */
  readonly memSize: number;
  /** Booted from this kernel; none: created empty and paused, every page missing (arriving). */
  readonly image?: Image;
  /** Created paused even though it has an image. */
  readonly paused?: boolean;
  /** Relative CPU share where VMs share one CPU (native); ignored by hosted. */
  readonly share?: number;
  /** Its console output. */
  readonly output?: (bytes: Uint8Array) => void;
  /** What its network device transmits (the host end of its connection: control/vm-net.ts). */
  readonly netOutput?: (bytes: Uint8Array) => void;
  /**
   * Its block device's sectors. The caller opened it and closes it after
   * remove(); the host only serves the guest's requests from it (native: on
   * its thread; hosted: the vCPU's requests, on the main thread).
   */
  readonly disk?: DiskBackend;
}

/** One VM on a host. */
export interface Guest {
  readonly name: string;
  readonly monitor: MonitorKind;
  readonly memSize: number;
  readonly pages: number;
  /**
   * Guest-physical RAM as the host sees it. Readable at any time (a page
   * read while the guest runs may be torn: the dirty log then has it);
   * write it only through writePage.
   */
  readonly ram: Uint8Array;

  /** Instructions the guest retired / its clock (retired plus idle), as of its last slice. */
  readonly instructions: number;
  readonly time: number;
  /** Paused from outside (it may have ended too). */
  readonly paused: boolean;
  state(): RunState;
  /** How it ended, once it has. */
  outcome(): VmOutcome | undefined;
  stats(): VmStats;

  /** Stop between two instructions; resolves once it has. Idempotent. */
  pause(): Promise<void>;
  resume(): void;

  /** Console input; null: input has ended. */
  input(bytes: Uint8Array | null): void;
  /** Re-bind the console output (a console attaches or detaches, the VM moves in). */
  setOutput(sink: ((bytes: Uint8Array) => void) | undefined): void;
  /**
   * Plug a disk into its block device, or pull it out (undefined): the
   * device's CAPACITY reads the new size from the guest's next access, and a
   * command then goes to the new disk (none: a device error). Hot-plug as the
   * hardware sees it; whether the guest notices is its driver's business.
   * The caller closes a disk it pulled out.
   */
  setDisk(disk: DiskBackend | undefined): void;

  /**
   * The host end of its network device: a connection event for the device
   * (delivered in order, as the device can take them; held while paused).
   */
  netEvent(e: NetEvent): void;
  /**
   * Events given to netEvent that have not reached the device yet, oldest
   * first; they are the caller's again (a VM leaving: they go where it goes).
   */
  takeNetPending(): Promise<NetEvent[]>;
  /** Re-bind where its network device's bytes go. */
  setNetOutput(sink: ((bytes: Uint8Array) => void) | undefined): void;

  /** Start logging writes: forget what was logged so far. */
  startDirtyLog(): Promise<void>;
  /** The pages written since the last call, ascending; the log starts again. */
  takeDirty(): Promise<number[]>;
  /** Pages in the dirty log now (for `vm stats`). */
  countDirty(): number;

  /**
   * CPU, devices and vCPU state, recorded as in `lifecycle` (what the caller
   * is doing with it: leaving, a snapshot). Only while paused (or ended): a
   * running guest's state is already stale.
   */
  save(lifecycle: Lifecycle): Promise<VmState>;
  /** Replace CPU, devices and vCPU state (while paused). */
  restore(state: VmState): Promise<void>;

  /**
   * 1 for each page not here yet (a guest created without an image starts
   * with every page missing); undefined once every page is. The vCPU stalls
   * on a missing page and onMissingPage is called.
   */
  readonly missing: Uint8Array | undefined;
  /** Pages still missing. */
  readonly missingCount: number;
  /**
   * Write a page from outside (migration, restore): undefined is a zero page.
   * Drops translated code for it; clears its missing mark and lets a vCPU
   * stalled on it go on. False if it was not missing (a resend).
   */
  writePage(n: number, data: Uint8Array | undefined): boolean;
  /** Mark a page missing again (only while paused: it will be sent again). */
  markMissing(n: number): void;
  /** The vCPU stalled on this missing page (post-copy pulls it). */
  onMissingPage: ((page: number) => void) | undefined;
  /**
   * A target for the kernel debugger (`typevisor vm debug`), taken while the
   * guest is paused; release() it to let the guest run whole slices again.
   * Absent where the vCPU cannot be stepped from here.
   */
  readonly debugTarget?: (() => DebugTarget & { release(): void }) | undefined;
}

export interface VmHost {
  readonly kind: MonitorKind;
  /** Add a VM: booted from its image, or empty and paused. Throws MonitorConfigError, or BootError for a bad image. */
  add(config: GuestConfig): Guest;
  find(name: string): Guest | undefined;
  /** Remove a VM (running or not) and give back what it held. */
  remove(name: string): void;
  readonly guests: readonly Guest[];
  /** A VM powered off, failed, got stuck or used its budget. */
  onVmEnd: ((name: string, outcome: VmOutcome) => void) | undefined;
  /** Run VMs as they come and go, until close(). */
  serve(): Promise<void>;
  close(): Promise<void>;
}

/** A page of zeros only (crosses the wire as a flag). */
export function isZeroPage(ram: Uint8Array, n: number): boolean {
  const words = new Int32Array(ram.buffer, ram.byteOffset + (n << PAGE_SHIFT), PAGE_SIZE / 4);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/** The page's bytes now: a view (copy before the guest runs again). */
export function pageView(ram: Uint8Array, n: number): Uint8Array {
  return ram.subarray(n << PAGE_SHIFT, (n + 1) << PAGE_SHIFT);
}

/** A memory size a host can give a VM. */
export function checkMemSize(name: string, memSize: number): void {
  if (!Number.isInteger(memSize) || memSize <= 0 || memSize % PAGE_SIZE !== 0) throw new MonitorConfigError(`${name}: memory must be a positive multiple of 4 KiB`);
}
