/**
 * The hosted monitor as a long-lived VM host (core/host.ts): VMs come and go,
 * each on a vCPU thread of its own (HostedGuest), each over RAM of its own in a
 * SharedArrayBuffer. The host's capacity bounds the bytes of guest RAM plus
 * shadow frames over all its VMs; nothing is shared between VMs, so there is
 * no partition to fragment and nothing to schedule: the host's threads do that.
 */
import type { Tier } from '../../vm/machine.js';
import { PAGE_SIZE, RAM_MAX } from '../../vm/memmap.js';
import { checkMemSize, MonitorConfigError, type GuestConfig, type VmHost } from '../core/host.js';
import { DEFAULT_SHADOW_PAGES, vmFootprint } from '../core/layout.js';
import type { VmOutcome } from '../core/monitor-run.js';
import { HostedGuest } from './guest.js';
import { HOSTED_SLICE } from './hosted-monitor.js';
import { VcpuThread } from './vcpu-thread.js';

export interface HostedHostOptions {
  /** Bytes of guest RAM plus shadow frames the host's VMs may hold in all. */
  readonly capacity: number;
  readonly shadowPages?: number;
  /** Guest instructions per slice: the longest a pause or a request waits. */
  readonly slice?: number;
  readonly tier?: Tier;
  /** Write every translation to this directory (see hypervisor/core/jit-dump.ts). */
  readonly jitDumpDir?: string;
  /** Stop each VM after this many of its instructions. */
  readonly maxInstructions?: number;
  /** The compiled vCPU thread (default: vcpu-worker.js beside this module). */
  readonly workerUrl?: URL;
  readonly onVmEnd?: (name: string, outcome: VmOutcome) => void;
  /**
   * Keep one vCPU thread started ahead of need. Starting a thread (a V8
   * isolate loading the interpreter) takes tens of milliseconds; a VM that
   * arrives by post-copy would spend them inside its downtime. A daemon
   * keeps a spare; a one-off host need not.
   */
  readonly spareThread?: boolean;
}

export class HostedHost implements VmHost {
  readonly kind = 'hosted' as const;
  onVmEnd: ((name: string, outcome: VmOutcome) => void) | undefined;
  private readonly vms = new Map<string, HostedGuest>();
  private readonly shadowPages: number;
  private used = 0;
  private closed = false;
  private readonly removals = new Set<Promise<void>>();
  private served: (() => void) | undefined;
  private spare: VcpuThread | undefined;

  constructor(private readonly options: HostedHostOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 0 || options.capacity % PAGE_SIZE !== 0) throw new MonitorConfigError('host capacity must be a multiple of 4 KiB');
    this.shadowPages = options.shadowPages ?? DEFAULT_SHADOW_PAGES;
    this.onVmEnd = options.onVmEnd;
    if (options.spareThread) this.spare = this.startSpare();
  }

  /** A thread started ahead; one that fails before it is needed is dropped (the next add starts its own and says why). */
  private startSpare(): VcpuThread {
    const t = new VcpuThread(this.options.workerUrl).warm().unref();
    const drop = (): void => {
      if (this.spare === t) this.spare = undefined;
    };
    t.worker.once('error', drop);
    t.worker.once('exit', drop);
    return t;
  }

  /** A thread for a new VM: the spare (then another is started), or a new one. */
  private takeThread(): VcpuThread {
    const t = this.spare;
    if (!t) return new VcpuThread(this.options.workerUrl);
    this.spare = this.startSpare();
    t.worker.removeAllListeners('error').removeAllListeners('exit');
    t.worker.ref();
    return t;
  }

  /** Bytes of the capacity not held by a VM. */
  get free(): number {
    return this.options.capacity - this.used;
  }

  /** Throws MonitorConfigError (no room, a name taken), or BootError for an image that does not fit. */
  add(c: GuestConfig): HostedGuest {
    if (this.closed) throw new MonitorConfigError('this host is closed');
    checkMemSize(c.name, c.memSize);
    if (this.vms.has(c.name)) throw new MonitorConfigError(`a VM named ${c.name} already runs here`);
    const size = vmFootprint(c.memSize, this.shadowPages);
    if (size > RAM_MAX) throw new MonitorConfigError(`${c.name}: ${size / 1024 / 1024} MiB with its shadow tables is more than a machine's ${RAM_MAX / 1024 / 1024} MiB`);
    if (size > this.free) throw new MonitorConfigError(`${c.name}: no room for ${c.memSize / 1024 / 1024} MiB (with its shadow tables) in this host's ${this.options.capacity / 1024 / 1024} MiB; ${this.free / 1024 / 1024} MiB free`);
    const o = this.options;
    const guest = new HostedGuest({
      name: c.name,
      memSize: c.memSize,
      ...(c.image ? { image: c.image } : {}),
      ...(c.paused !== undefined ? { paused: c.paused } : {}),
      ...(c.output ? { output: c.output } : {}),
      ...(c.netOutput ? { netOutput: c.netOutput } : {}),
      ...(c.disk ? { disk: c.disk } : {}),
      shadowPages: this.shadowPages,
      slice: o.slice ?? HOSTED_SLICE,
      tier: o.tier,
      ...(o.jitDumpDir ? { jitDumpDir: o.jitDumpDir } : {}),
      maxInstructions: o.maxInstructions,
      thread: this.takeThread(),
      onEnd: (outcome) => this.onVmEnd?.(c.name, outcome),
    });
    this.vms.set(c.name, guest);
    this.used += size;
    return guest;
  }

  find(name: string): HostedGuest | undefined {
    return this.vms.get(name);
  }

  get guests(): readonly HostedGuest[] {
    return [...this.vms.values()];
  }

  /** Remove a VM: its run ends, its thread is terminated, its bytes are free again. */
  remove(name: string): void {
    const guest = this.vms.get(name);
    if (!guest) throw new MonitorConfigError(`no VM named ${name} here`);
    this.vms.delete(name);
    this.used -= vmFootprint(guest.memSize, this.shadowPages);
    const done: Promise<void> = guest.remove().catch(() => undefined).finally(() => this.removals.delete(done));
    this.removals.add(done);
  }

  /** Every VM runs on its own thread: serving is waiting until close(). */
  serve(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (this.served = resolve));
  }

  /** Remove every VM, wait for their threads to end, and end serve(). */
  async close(): Promise<void> {
    this.closed = true;
    for (const name of [...this.vms.keys()]) this.remove(name);
    const spare = this.spare;
    this.spare = undefined;
    await Promise.all([...this.removals, spare?.close()]);
    this.served?.();
  }
}
