/**
 * The hosted monitor: one guest kernel as an ordinary host process, on the
 * same trap-and-emulate core as the native monitor, borrowing the host's
 * facilities for its devices:
 *
 *   vCPU     a worker thread (vcpu-worker.ts) running the guest over machine
 *            RAM in a SharedArrayBuffer
 *   console  stdin and stdout (the CLI attaches them: input() / output)
 *   disk     a host file, async I/O with fdatasync before completion (disk-backend.ts)
 *   network  a TCP socket, listening or connecting (net-backend.ts)
 *   timer    the host clock: one tick of virtual time is 10 ns (host-clock.ts)
 *
 * This object is the main thread's half: it owns every host resource, turns
 * the vCPU's requests into host I/O and host events into messages for the
 * vCPU (channel.ts), and never blocks — so a slow disk never freezes the guest
 * and a busy guest never freezes the terminal or the socket.
 *
 * One VM run to its end: a host whose VMs come and go, pause, save and
 * migrate is HostedHost (host.ts), on the same vCPU (vcpu.ts). The VM lives in
 * the worker, so unlike the native monitor this one has no VirtualMachine
 * objects to show; its result carries the VM's counts as data. See README.md.
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Image } from '../../isa/image.js';
import type { Tier } from '../../vm/machine.js';
import { PAGE_SIZE, RAM_MAX } from '../../vm/memmap.js';
import type { Monitor, MonitorResult, VmOutcome } from '../core/monitor-run.js';
import type { VmEvent } from '../core/vm.js';
import { MonitorConfigError } from '../core/host.js';
import { DEFAULT_SHADOW_PAGES } from '../core/layout.js';
import { VmStats } from '../core/stats.js';
import { Doorbell, type FromVcpu, type ToVcpu, type VcpuConfig, type VcpuCounters, type VcpuExit } from './channel.js';
import type { HostDisk, HostDiskCounters } from './disk-backend.js';
import type { HostNet, NetCounters } from './net-backend.js';
import { VcpuThread } from './vcpu-thread.js';

export interface HostedVmConfig {
  readonly name: string;
  readonly image: Image;
  /** Guest RAM in bytes (multiple of 4 KiB). */
  readonly memSize: number;
}

export interface HostedMonitorOptions {
  /** Guest instructions per run slice: short, so the host clock's timer deadlines are met closely. */
  readonly slice?: number;
  readonly shadowPages?: number;
  /** Bytes the guest writes to its console. */
  readonly output?: (bytes: Uint8Array) => void;
  readonly onEvent?: (e: VmEvent) => void;
  readonly maxInstructions?: number;
  readonly tier?: Tier;
  /** Write every translation to this directory (see hypervisor/core/jit-dump.ts). */
  readonly jitDumpDir?: string;
  readonly disk?: HostDisk;
  readonly net?: HostNet;
  /** The compiled vCPU thread (default: vcpu-worker.js beside this module). */
  readonly workerUrl?: URL;
  /** Run on this vCPU thread, and leave it running after (default: a thread of its own). */
  readonly thread?: VcpuThread;
}

export interface HostedResult extends MonitorResult {
  /** Why the run was stopped from outside (a signal, Ctrl-]), if it was. */
  readonly stopped: string | undefined;
  readonly vcpu: VcpuCounters | undefined;
  readonly disk: HostDiskCounters | undefined;
  readonly net: NetCounters | undefined;
}

export const HOSTED_SLICE = 20_000;
/** How long a stop waits for the vCPU to answer before the thread is ended from outside. */
const STOP_GRACE_MS = 5000;

export class HostedMonitor implements Monitor {
  private readonly options: HostedMonitorOptions;
  private readonly bell = new Doorbell();
  private readonly channel = new MessageChannel();
  private consoleOpen = false;
  private started = false;
  private finished = false;
  private stopReason: string | undefined;
  /** Messages from before the worker started (input that came early, a stop). */
  private readonly early: ToVcpu[] = [];
  private thread: VcpuThread | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly config: HostedVmConfig, options: HostedMonitorOptions = {}) {
    this.options = options;
    const c = config;
    if (c.memSize <= 0 || c.memSize % PAGE_SIZE !== 0) throw new MonitorConfigError(`${c.name}: memory must be a positive multiple of 4 KiB`);
    const total = this.shadowBytes() + c.memSize;
    if (total > RAM_MAX) throw new MonitorConfigError(`the VM needs ${total / 1024 / 1024} MiB of machine RAM with its shadow tables; the machine has at most ${RAM_MAX / 1024 / 1024} MiB`);
  }

  /** Console input (null: it has ended). */
  input(bytes: Uint8Array | null): void {
    this.post(bytes === null ? { kind: 'console-end' } : { kind: 'console-input', bytes: bytes.slice() });
  }

  /** Console input may still come (stdin is open). */
  expectInput(): void {
    this.consoleOpen = true;
  }

  /** Stop the guest where it is (SIGTERM, Ctrl-C, Ctrl-]); run() then resolves, disk requests finished. */
  stop(reason: string): void {
    if (this.stopReason !== undefined || this.finished) return;
    this.stopReason = reason;
    this.post({ kind: 'stop', reason });
    // A slice is short; a vCPU that does not answer is stuck in the monitor itself.
    this.watchdog = setTimeout(() => void this.thread?.close(), STOP_GRACE_MS).unref();
  }

  async run(): Promise<HostedResult> {
    if (this.started) throw new MonitorConfigError('a hosted monitor runs once');
    this.started = true;
    const o = this.options;
    const t0 = performance.now();
    const vcpuConfig: VcpuConfig = {
      name: this.config.name,
      image: this.config.image,
      ram: new SharedArrayBuffer(this.shadowBytes() + this.config.memSize),
      memSize: this.config.memSize,
      shadowPages: o.shadowPages ?? DEFAULT_SHADOW_PAGES,
      bell: this.bell.buffer,
      tier: o.tier,
      ...(o.jitDumpDir ? { jitDumpDir: o.jitDumpDir } : {}),
      slice: o.slice ?? HOSTED_SLICE,
      maxInstructions: o.maxInstructions,
      trace: o.onEvent !== undefined,
      consoleOpen: this.consoleOpen,
      diskSectors: o.disk?.sectors ?? 0,
      net: o.net !== undefined,
    };
    const port = this.channel.port1;
    const thread = o.thread ?? new VcpuThread(o.workerUrl);
    const worker = thread.worker;
    this.thread = thread;
    thread.start(vcpuConfig, this.channel.port2);
    for (const m of this.early.splice(0)) this.post(m);
    o.net?.attach({
      connected: () => this.post({ kind: 'net-connected' }),
      data: (bytes) => this.post({ kind: 'net-data', bytes }),
      closed: (final) => this.post({ kind: 'net-closed', final }),
    });

    let onError: (e: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const ended = await new Promise<VcpuExit | string>((resolve) => {
      const onMessage = (m: FromVcpu): void => {
        if (m.kind === 'exit') resolve(m.exit);
        else if (m.kind === 'crash') resolve(`the vCPU thread failed: ${m.message}`);
        else this.serve(m);
      };
      port.on('message', onMessage);
      onError = (e) => resolve(`the vCPU thread failed: ${e.message}`);
      onExit = (code) => {
        // Anything it posted before it ended is still in the port: take it first.
        for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) onMessage(r.message as FromVcpu);
        resolve(`the vCPU thread ended (code ${code}) without a result`);
      };
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    const wallMs = performance.now() - t0;
    this.finished = true;
    clearTimeout(this.watchdog);
    worker.off('error', onError);
    worker.off('exit', onExit);
    port.close();
    if (!o.thread) await thread.close();
    await o.disk?.drain(); // a write in flight when the guest stopped still lands whole

    const exit = typeof ended === 'string' ? undefined : ended;
    const outcome: VmOutcome =
      exit === undefined ? { kind: 'failed', reason: ended as string }
      : exit.outcome.kind === 'stopped' ? { kind: 'failed', reason: `the host asked it to stop (${exit.outcome.reason})` }
      : exit.outcome;
    return {
      wallMs,
      vms: [{ name: this.config.name, outcome, instructions: exit?.instructions ?? 0, virtualTime: exit?.virtualTime ?? 0, stats: VmStats.fromRecord(exit?.stats) }],
      stopped: exit?.outcome.kind === 'stopped' ? exit.outcome.reason : undefined,
      vcpu: exit?.vcpu,
      disk: o.disk?.counters(),
      net: o.net?.counters(),
    };
  }

  private shadowBytes(): number {
    return (this.options.shadowPages ?? DEFAULT_SHADOW_PAGES) * PAGE_SIZE;
  }

  /** A message for the vCPU, and the doorbell so a waiting vCPU wakes for it. */
  private post(m: ToVcpu, transfer: ArrayBuffer[] = []): void {
    if (this.finished) return;
    if (!this.started) {
      this.early.push(m);
      return;
    }
    this.channel.port1.postMessage(m, transfer);
    this.bell.ring();
  }

  /** A request or the output of a slice, from the vCPU. */
  private serve(m: Exclude<FromVcpu, { kind: 'exit' } | { kind: 'crash' }>): void {
    const o = this.options;
    switch (m.kind) {
      case 'output':
        if (m.console) o.output?.(m.console);
        if (m.net) o.net?.send(m.net);
        if (m.events && o.onEvent) for (const e of m.events) o.onEvent(e);
        break;
      case 'disk-read': {
        const disk = o.disk;
        if (!disk) return this.post({ kind: 'disk-done', id: m.id, error: 'no disk' });
        disk.read(m.sector, m.count).then(
          (data) => this.post({ kind: 'disk-done', id: m.id, error: null, data }, [data.buffer as ArrayBuffer]),
          (e: Error) => this.post({ kind: 'disk-done', id: m.id, error: e.message }),
        );
        break;
      }
      case 'disk-write': {
        const disk = o.disk;
        if (!disk) return this.post({ kind: 'disk-done', id: m.id, error: 'no disk' });
        disk.write(m.sector, m.data).then(
          () => this.post({ kind: 'disk-done', id: m.id, error: null }),
          (e: Error) => this.post({ kind: 'disk-done', id: m.id, error: e.message }),
        );
        break;
      }
    }
  }
}
