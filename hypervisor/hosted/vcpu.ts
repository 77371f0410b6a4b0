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
 * A VM on a host (config.host, see HostedGuest and README.md) also answers
 * requests in step 1 — pause, resume, the dirty log, save, restore — so each
 * is handled between two slices, that is between two guest instructions; a
 * paused vCPU sleeps on the doorbell and still answers them. It publishes its
 * counts in a shared status block after every slice, stalls on pages marked
 * missing in a shared bitmap (sleeping until the main thread clears the mark),
 * and after its guest has ended goes on answering until it is stopped.
 *
 * Memory layout (one VM, so no partitioning beyond the native monitor's):
 * shadow-table frames first, then the guest's RAM, in one SharedArrayBuffer.
 */
import { Machine } from '../../vm/machine.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';
import { ConsoleFeeder } from '../../vm/devices/console-feeder.js';
import { jitDumpToDirectory } from '../core/jit-dump.js';
import { placeVm } from '../core/layout.js';
import { loadVm, runVm, SliceEnd, unloadVm } from '../core/vcpu.js';
import type { VmEvent } from '../core/vm.js';
import { VcpuRun, VmStatus, type Doorbell, type FromVcpu, type StepOutcome, type ToVcpu, type VcpuConfig, type VcpuExit } from './channel.js';
import type { VmState } from '../core/state.js';
import { DiskProxy } from './disk-proxy.js';
import { HostClock } from './host-clock.js';
import { HostedVm } from './hosted-vm.js';
import { NetFeeder } from '../../vm/devices/net-feeder.js';

/** How the vCPU reaches the main thread. */
export interface VcpuLink {
  /** The next message waiting from the main thread, if any (never blocks). */
  receive(): ToVcpu | undefined;
  send(message: FromVcpu, transfer?: ArrayBuffer[]): void;
  readonly bell: Pick<Doorbell, 'read' | 'wait'>;
}

/** Longest single sleep: a bound, so a lost wake-up would cost a second, not the run. */
const MAX_SLEEP_MS = 1000;
/** How often a VM on a host posts its stats while it runs. */
const STATS_MS = 100;

type Outcome = VcpuExit['outcome'];

export class HostedVcpu {
  readonly machine: Machine;
  readonly vm: HostedVm;
  private readonly clock: HostClock;
  private readonly consoleFeeder: ConsoleFeeder;
  private readonly netFeeder: NetFeeder;
  private disk: DiskProxy | undefined;
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
  // ---- a VM on a host ----
  private readonly status: VmStatus | undefined;
  /** One byte per page, shared with the main thread: 1 while the page is not here. */
  private readonly missing: Uint8Array | undefined;
  private paused: boolean;
  /** Pause requests to answer once stopped. */
  private pauseAcks: number[] = [];
  /** The VM's registers are on the real CPU (loadVm) rather than in vm.cpu. */
  private loaded = false;
  /** The missing page we last told the main thread about (it is asked for once per stall). */
  private asked = -1;
  private lastStats = 0;

  constructor(private readonly config: VcpuConfig, private readonly link: VcpuLink, clock: HostClock = new HostClock()) {
    this.clock = clock;
    const shadowBytes = config.shadowPages * PAGE_SIZE;
    this.machine = new Machine({ memSize: shadowBytes + config.memSize, buffer: config.ram, trapToHost: true, ...(config.tier ? { tier: config.tier } : {}), ...(config.jitDumpDir ? { jitDump: jitDumpToDirectory(config.jitDumpDir) } : {}) });
    const { window, shadow } = placeVm(this.machine.memory, 0, shadowBytes, config.memSize, config.shadowPages);
    this.disk = config.diskSectors > 0 ? new DiskProxy(config.diskSectors, (m, t) => link.send(m, t)) : undefined;
    this.vm = new HostedVm(config.name, window, shadow, clock, {
      console: (b) => void this.consoleOut.push(b),
      ...(this.disk ? { disk: this.disk } : {}),
      ...(config.net ? { net: { transmit: (b: number) => void this.netOut.push(b) } } : {}),
    });
    if (config.trace) this.vm.onEvent = (e) => void this.events.push(e);
    if (config.image) this.vm.boot(config.image);
    this.consoleFeeder = new ConsoleFeeder(this.vm.console);
    this.consoleFeeder.closed = !config.consoleOpen;
    this.netFeeder = new NetFeeder(this.vm.net);
    this.netLive = config.net;
    const host = config.host;
    this.paused = host?.paused === true || !config.image;
    if (host) {
      this.status = new VmStatus(host.status);
      this.missing = new Uint8Array(host.missing);
      if (this.status.missing > 0) shadow.missing = this.missing;
      this.publish(this.paused ? VcpuRun.PAUSED : VcpuRun.RUNNING);
    }
  }

  /**
   * Run the guest until it powers off, fails, waits for what can never come,
   * or is stopped. A VM on a host then goes on answering requests (its state,
   * its pages' log) until it is stopped.
   */
  run(): VcpuExit {
    const outcome = this.loop();
    const exit = this.exit(outcome);
    if (!this.status || outcome.kind === 'stopped') return exit;
    this.status.run = VcpuRun.ENDED;
    this.postStats();
    this.link.send({ kind: 'ended', exit });
    const reason = this.linger();
    return { ...exit, outcome: { kind: 'stopped', reason } };
  }

  private loop(): Outcome {
    const vm = this.vm;
    const limit = this.config.maxInstructions ?? Infinity;
    // Input that is already over ends at time 0, as on every other platform.
    this.consoleFeeder.pump();
    try {
      for (;;) {
        const seen = this.link.bell.read();
        this.drain();
        if (this.stopReason !== undefined) return { kind: 'stopped', reason: this.stopReason };
        if (this.paused) {
          this.sleep(seen, MAX_SLEEP_MS);
          continue;
        }
        if (!this.loaded) {
          loadVm(vm, this.machine);
          this.loaded = true;
        }
        if (vm.cpu.instret >= limit) return { kind: 'budget' };
        this.clock.sync(vm.cpu);
        const end = runVm(vm, this.machine, Math.min(this.config.slice, limit - vm.cpu.instret));
        this.slices++;
        this.flush();
        if (end === SliceEnd.HALTED) return { kind: 'poweroff', status: vm.exitStatus };
        if (end === SliceEnd.FAILED) return { kind: 'failed', reason: vm.failure ?? 'failed' };
        if (end === SliceEnd.MISSING) {
          this.stalled(seen);
          continue;
        }
        this.asked = -1;
        if (end === SliceEnd.WAITING && !vm.wakeable()) {
          const timer = vm.canTimerWake();
          this.publish(timer ? VcpuRun.RUNNING : VcpuRun.WAITING);
          if (!timer && !this.anythingToCome()) {
            return { kind: 'stuck', reason: 'waits for an interrupt, but no timer is set, console input has ended and no disk or network event can come' };
          }
          const ms = timer ? Math.min(MAX_SLEEP_MS, this.clock.msUntil(vm.cpu.timerDeadline)) : MAX_SLEEP_MS;
          if (ms > 0) this.sleep(seen, ms);
        } else this.publish(VcpuRun.RUNNING);
      }
    } finally {
      this.unload();
    }
  }

  /**
   * Post-copy: the guest needs a page that is not here. Ask for it once, then
   * sleep until the main thread has written it and cleared its mark (it rings
   * the doorbell after), or some other message comes.
   */
  private stalled(seen: number): void {
    const page = this.vm.shadow.waitingFor;
    this.publish(VcpuRun.STALLED);
    if (page !== this.asked) {
      this.asked = page;
      this.link.send({ kind: 'missing-page', page });
    }
    if (this.missing !== undefined && Atomics.load(this.missing, page) === 1) this.sleep(seen, MAX_SLEEP_MS);
  }

  /** After the guest's end: answer requests until stopped. */
  private linger(): string {
    for (;;) {
      const seen = this.link.bell.read();
      this.drain();
      if (this.stopReason !== undefined) return this.stopReason;
      this.sleep(seen, MAX_SLEEP_MS);
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
        case 'disk-attach':
          // One proxy for every disk plugged in: a completion still due for the old one finds its request.
          if (this.disk) this.disk.sectors = m.sectors;
          else this.disk = new DiskProxy(m.sectors, (msg, t) => this.link.send(msg, t));
          this.vm.disk.setBackend(m.sectors > 0 ? this.disk : undefined);
          break;
        case 'net-connected': this.netFeeder.push({ kind: 'connected' }); break;
        case 'net-data': this.netFeeder.push({ kind: 'data', bytes: m.bytes }); break;
        case 'net-closed':
          this.netFeeder.push({ kind: 'closed' });
          if (m.final) this.netLive = false;
          break;
        case 'stop': this.stopReason = m.reason; break;
        default: this.request(m);
      }
    }
    // The guest may have made room since the last round. A paused VM's network
    // events stay in the feeder: if it leaves, they are taken back (net-take).
    this.consoleFeeder.pump();
    this.netFeeder.frozen = this.paused;
    this.netFeeder.pump();
    if (this.status) this.settle();
  }

  /** A host's request, between two slices. */
  private request(m: Extract<ToVcpu, { kind: 'pause' | 'resume' | 'dirty-start' | 'dirty-take' | 'save' | 'restore' | 'net-take' | 'written' | 'marked' | 'step' }>): void {
    const vm = this.vm;
    switch (m.kind) {
      case 'pause':
        this.paused = true;
        this.pauseAcks.push(m.id);
        break;
      case 'resume':
        if (!this.paused) break;
        this.paused = false;
        this.clock.rebase(vm.cpu.time); // time goes on from where it stopped, not by the pause
        break;
      case 'dirty-start':
        vm.memory.takeDirtyPages();
        if (this.status) this.status.dirty = 0;
        this.reply(m.id);
        break;
      case 'dirty-take':
        // Here, between two slices: a store after this is in the next log.
        if (this.status) this.status.dirty = 0; // before the reply: the main thread reads it once answered
        this.link.send({ kind: 'reply', id: m.id, pages: vm.memory.takeDirtyPages() });
        break;
      case 'save':
        this.unload();
        this.link.send({ kind: 'reply', id: m.id, state: vm.save('hosted', m.lifecycle) });
        break;
      case 'restore':
        this.unload();
        vm.restore({ ...m.state, name: vm.name });
        // restore() resets the shadow pager; the pages still missing stay so.
        vm.shadow.missing = this.status !== undefined && this.status.missing > 0 ? this.missing : undefined;
        this.clock.rebase(vm.cpu.time);
        this.asked = -1;
        this.publish(this.paused ? VcpuRun.PAUSED : VcpuRun.RUNNING);
        this.reply(m.id);
        break;
      case 'net-take':
        this.link.send({ kind: 'reply', id: m.id, netEvents: this.netFeeder.take() });
        break;
      case 'written':
        // Drops translated code for the page; the dirty log sees it.
        for (const p of m.pages) vm.memory.markDirty(p << PAGE_SHIFT, PAGE_SIZE);
        break;
      case 'marked':
        vm.shadow.reset();
        vm.addressSpaceChanged = true;
        vm.shadow.missing = this.missing;
        break;
      case 'step':
        this.step(m.id, m.ticks, m.cpu, m.stopAt);
        break;
    }
  }

  /**
   * The debugger's ticks (only while paused): one guest instruction each, or
   * one trap entered (stopOnTrap). The host clock is not consulted: while a
   * debugger steps, time is what the guest retires.
   */
  private step(id: number, ticks: number, cpu: VmState['cpu'] | undefined, stopAt: readonly number[] | undefined): void {
    const vm = this.vm;
    let outcome: StepOutcome = { ticks: 0, trapped: false, modeBefore: vm.cpu.mode, end: 'ticked' };
    if (!this.paused) outcome = { ...outcome, end: 'failed', reason: 'the guest is not paused' };
    else {
      this.unload();
      if (cpu) {
        vm.cpu.restore(cpu);
        vm.addressSpaceChanged = true;
      }
      loadVm(vm, this.machine);
      this.loaded = true;
      vm.stopOnTrap = true;
      const stops = stopAt === undefined ? undefined : new Set(stopAt);
      let trapped = false;
      let modeBefore = vm.cpu.mode;
      let n = 0;
      let end = SliceEnd.BUDGET;
      while (n < ticks) {
        const entered = vm.trapsEntered;
        modeBefore = vm.cpu.mode;
        end = runVm(vm, this.machine, 1);
        trapped = vm.trapsEntered !== entered;
        if (end !== SliceEnd.BUDGET) break;
        n++;
        // runVm leaves the registers on the real CPU: pc is the machine's.
        if (stops !== undefined && (trapped || vm.cpu.mode !== modeBefore || stops.has(this.machine.cpu.pc >>> 0))) break;
      }
      vm.stopOnTrap = false;
      this.unload();
      this.flush();
      const base = { ticks: n, trapped, modeBefore };
      outcome = end === SliceEnd.HALTED ? { ...base, end: 'halted' }
        : end === SliceEnd.FAILED ? { ...base, end: 'failed', reason: vm.failure ?? 'failed' }
        : end === SliceEnd.WAITING ? { ...base, end: 'waiting' }
        : { ...base, end: 'ticked' };
    }
    this.link.send({ kind: 'reply', id, state: vm.save('hosted', 'paused'), stepped: outcome });
  }

  /** After a drain: answer pauses once stopped; drop the missing bitmap once nothing is. */
  private settle(): void {
    const status = this.status!;
    if (this.vm.shadow.missing !== undefined && status.missing === 0) this.vm.shadow.missing = undefined;
    if (this.pauseAcks.length > 0) {
      this.unload();
      this.flush();
      this.postStats();
      for (const id of this.pauseAcks.splice(0)) this.reply(id);
    }
    if (this.paused && status.run !== VcpuRun.ENDED) this.publish(VcpuRun.PAUSED);
    else if (performance.now() - this.lastStats >= STATS_MS) this.postStats();
  }

  private reply(id: number): void {
    this.link.send({ kind: 'reply', id });
  }

  /** The registers back from the real CPU into the virtual one (to save, restore or pause). */
  private unload(): void {
    if (!this.loaded) return;
    unloadVm(this.vm, this.machine);
    this.loaded = false;
  }

  private publish(run: VcpuRun): void {
    if (this.status && this.status.run !== VcpuRun.ENDED) this.status.publish(this.vm.cpu.instret, this.vm.cpu.time, run);
  }

  private postStats(): void {
    if (!this.status) return;
    this.lastStats = performance.now();
    this.status.dirty = this.vm.memory.countDirty();
    this.link.send({ kind: 'stats', stats: this.vm.stats.toRecord() });
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

  private exit(outcome: Outcome): VcpuExit {
    this.flush();
    if (this.status) this.status.publish(this.vm.cpu.instret, this.vm.cpu.time, this.status.run);
    const vm = this.vm;
    return {
      outcome,
      instructions: vm.cpu.instret,
      virtualTime: vm.cpu.time,
      stats: vm.stats.toRecord(),
      vcpu: { slices: this.slices, waits: this.waits, sleptMs: Math.round(this.sleptMs * 100) / 100, messages: this.messages },
    };
  }
}
