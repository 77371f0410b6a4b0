/**
 * The vCPU thread's work: one VM on the same trap-and-emulate core as the
 * native monitor (VirtualMachine, runVm, ShadowPager), run in short slices
 * between which the main thread's messages are taken in.
 *
 * Each round of the loop:
 *   1. read the doorbell, then drain the port: console input, disk
 *      completions, network events, a stop request — the devices raise
 *      their interrupts as if the hardware had finished just now;
 *   2. bring virtual time up to the host clock (host-clock.ts);
 *   3. run a slice of guest instructions (runVm), short enough that a timer
 *      deadline is met within a fraction of a millisecond;
 *   4. post what the slice produced (console bytes, network bytes, trace);
 *   5. if the guest waits for an interrupt, sleep in Atomics.wait on the
 *      doorbell until the main thread posts something or the host clock
 *      reaches the guest's timer deadline.
 *
 * Memory layout (one VM, so no partitioning beyond the native monitor's):
 * shadow-table frames first, then the guest's RAM, in one SharedArrayBuffer.
 */
import { Machine } from '../../vm/machine.js';
import { PAGE_SIZE } from '../../vm/memmap.js';
import { ConsoleFeeder } from '../../vm/devices/console-feeder.js';
import { placeVm } from '../core/layout.js';
import { loadVm, runVm, SliceEnd, unloadVm } from '../core/vcpu.js';
import type { VmEvent } from '../core/vm.js';
import type { Doorbell, FromVcpu, ToVcpu, VcpuConfig, VcpuExit } from './channel.js';
import { DiskProxy } from './disk-proxy.js';
import { HostClock } from './host-clock.js';
import { HostedVm } from './hosted-vm.js';
import { NetFeeder } from './net-feeder.js';

/** How the vCPU reaches the main thread. */
export interface VcpuLink {
  /** The next message waiting from the main thread, if any (never blocks). */
  receive(): ToVcpu | undefined;
  send(message: FromVcpu, transfer?: ArrayBuffer[]): void;
  readonly bell: Pick<Doorbell, 'read' | 'wait'>;
}

/** Longest single sleep: a bound, so a lost wake-up would cost a second, not the run. */
const MAX_SLEEP_MS = 1000;

export class HostedVcpu {
  readonly machine: Machine;
  readonly vm: HostedVm;
  private readonly clock: HostClock;
  private readonly consoleFeeder: ConsoleFeeder;
  private readonly netFeeder: NetFeeder;
  private readonly disk: DiskProxy | undefined;
  private consoleOut: number[] = [];
  private netOut: number[] = [];
  private events: VmEvent[] = [];
  /** Connections may still come (a listener, or a connect not yet hung up). */
  private netLive: boolean;
  private stopReason: string | undefined;
  private slices = 0;
  private waits = 0;
  private sleptMs = 0;
  private messages = 0;

  constructor(private readonly config: VcpuConfig, private readonly link: VcpuLink, clock: HostClock = new HostClock()) {
    this.clock = clock;
    const shadowBytes = config.shadowPages * PAGE_SIZE;
    this.machine = new Machine({ memSize: shadowBytes + config.memSize, buffer: config.ram, trapToHost: true, ...(config.tier ? { tier: config.tier } : {}) });
    const { window, shadow } = placeVm(this.machine.memory, 0, shadowBytes, config.memSize, config.shadowPages);
    this.disk = config.diskSectors > 0 ? new DiskProxy(config.diskSectors, (m, t) => link.send(m, t)) : undefined;
    this.vm = new HostedVm(config.name, window, shadow, clock, {
      console: (b) => void this.consoleOut.push(b),
      ...(this.disk ? { disk: this.disk } : {}),
      ...(config.net ? { net: { transmit: (b: number) => void this.netOut.push(b) } } : {}),
    });
    if (config.trace) this.vm.onEvent = (e) => void this.events.push(e);
    this.vm.boot(config.image);
    this.consoleFeeder = new ConsoleFeeder(this.vm.console);
    this.consoleFeeder.closed = !config.consoleOpen;
    this.netFeeder = new NetFeeder(this.vm.net);
    this.netLive = config.net;
  }

  /** Run the guest until it powers off, fails, waits for what can never come, or is stopped. */
  run(): VcpuExit {
    const vm = this.vm;
    const limit = this.config.maxInstructions ?? Infinity;
    // Input that is already over ends at time 0, as on every other platform.
    this.consoleFeeder.pump();
    loadVm(vm, this.machine);
    try {
      for (;;) {
        const seen = this.link.bell.read();
        this.drain();
        if (this.stopReason !== undefined) return this.exit({ kind: 'stopped', reason: this.stopReason });
        if (vm.cpu.instret >= limit) return this.exit({ kind: 'budget' });
        this.clock.sync(vm.cpu);
        const end = runVm(vm, this.machine, Math.min(this.config.slice, limit - vm.cpu.instret));
        this.slices++;
        this.flush();
        if (end === SliceEnd.HALTED) return this.exit({ kind: 'poweroff', status: vm.exitStatus });
        if (end === SliceEnd.FAILED) return this.exit({ kind: 'failed', reason: vm.failure ?? 'failed' });
        if (end === SliceEnd.WAITING && !vm.wakeable()) {
          const timer = vm.canTimerWake();
          if (!timer && !this.anythingToCome()) {
            return this.exit({ kind: 'stuck', reason: 'waits for an interrupt, but no timer is set, console input has ended and no disk or network event can come' });
          }
          const ms = timer ? Math.min(MAX_SLEEP_MS, this.clock.msUntil(vm.cpu.timerDeadline)) : MAX_SLEEP_MS;
          if (ms > 0) this.sleep(seen, ms);
        }
      }
    } finally {
      unloadVm(vm, this.machine);
    }
  }

  private sleep(seen: number, ms: number): void {
    const t0 = performance.now();
    this.link.bell.wait(seen, ms);
    this.waits++;
    this.sleptMs += performance.now() - t0;
  }

  /** Could anything outside the guest still raise an interrupt? */
  private anythingToCome(): boolean {
    return this.consoleFeeder.live || (this.disk?.inFlight ?? 0) > 0 || this.netLive || this.netFeeder.pending;
  }

  /** Take in every message waiting from the main thread. */
  private drain(): void {
    for (let m = this.link.receive(); m !== undefined; m = this.link.receive()) {
      this.messages++;
      switch (m.kind) {
        case 'console-input': this.consoleFeeder.push(m.bytes); break;
        case 'console-end': this.consoleFeeder.push(null); break;
        case 'disk-done': this.disk?.complete(m.id, m.error, m.data); break;
        case 'net-connected': this.netFeeder.push({ kind: 'connected' }); break;
        case 'net-data': this.netFeeder.push({ kind: 'data', bytes: m.bytes }); break;
        case 'net-closed':
          this.netFeeder.push({ kind: 'closed' });
          if (m.final) this.netLive = false;
          break;
        case 'stop': this.stopReason = m.reason; break;
      }
    }
    // The guest may have made room since the last round.
    this.consoleFeeder.pump();
    this.netFeeder.pump();
  }

  /** Post what the last slice produced, in one message. */
  private flush(): void {
    if (this.consoleOut.length === 0 && this.netOut.length === 0 && this.events.length === 0) return;
    const console = this.consoleOut.length > 0 ? Uint8Array.from(this.consoleOut) : null;
    const net = this.netOut.length > 0 ? Uint8Array.from(this.netOut) : null;
    const events = this.events.length > 0 ? this.events : null;
    this.consoleOut = [];
    this.netOut = [];
    this.events = [];
    const transfer: ArrayBuffer[] = [];
    if (console) transfer.push(console.buffer as ArrayBuffer);
    if (net) transfer.push(net.buffer as ArrayBuffer);
    this.link.send({ kind: 'output', console, net, events }, transfer);
  }

  private exit(outcome: VcpuExit['outcome']): VcpuExit {
    this.flush();
    const vm = this.vm;
    return {
      outcome,
      instructions: vm.cpu.instret,
      virtualTime: vm.cpu.time,
      stats: vm.stats.toJSON(),
      vcpu: { slices: this.slices, waits: this.waits, sleptMs: Math.round(this.sleptMs * 100) / 100, messages: this.messages },
    };
  }
}
