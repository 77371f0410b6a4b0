/**
 * The native monitor: several guest kernels on one machine.
 *
 * The monitor owns the real machine — its CPU modes, its RAM, its devices —
 * and the guests own nothing. It partitions RAM:
 *
 *   RAM_BASE ┬────────────────────────────┐
 *            │ shadow-table frames, VM 1  │ monitor memory: never mapped
 *            │ shadow-table frames, VM 2  │ into any guest
 *            │ …                          │
 *            ├────────────────────────────┤
 *            │ guest-physical RAM, VM 1   │ each VM sees its window as RAM
 *            ├────────────────────────────┤ from 0x8000_0000 up
 *            │ guest-physical RAM, VM 2   │
 *            └────────────────────────────┘
 *
 * runs every guest deprivileged (real user mode, trapToHost), and shares the
 * CPU between them in slices of guest instructions, weighted by --share. Each
 * VM's time is its own instruction count, so a run is reproducible bit for bit
 * and a guest's behaviour does not depend on its neighbours.
 *
 * Two ways to drive it. `run()` boots the configured VMs and returns when each
 * has finished (typevisor boot). As a long-lived host (`capacity`, `serve()`)
 * VMs come and go: addVm() takes a free extent of RAM — its shadow frames,
 * then its window — and removeVm() gives it back; a VM can be paused between
 * two instructions, and one created empty and paused is what an incoming
 * migration fills. A migration driver on a simulated link runs VMs itself, a
 * slice at a time, with runSlice().
 */
import type { Image } from '../../isa/image.js';
import { Machine, type JitDump, type Tier } from '../../vm/machine.js';
import { PAGE_SIZE, RAM_BASE, RAM_MAX } from '../../vm/memmap.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { ConsoleFeeder } from '../../vm/devices/console-feeder.js';
import { NetFeeder, type NetEvent } from '../../vm/devices/net-feeder.js';
import type { Monitor, MonitorResult, VmOutcome } from '../core/monitor-run.js';
import type { GuestConfig, RunState, VmHost } from '../core/host.js';
import { checkMemSize, MonitorConfigError } from '../core/host.js';
import { DEFAULT_SHADOW_PAGES, placeVm } from '../core/layout.js';
import { loadVm, runVm, SliceEnd, unloadVm } from '../core/vcpu.js';
import { VirtualMachine, type VmEvent } from '../core/vm.js';
import { NativeGuest } from './guest.js';
import { NativeDebugTarget } from './debug-target.js';
import { RamPartition } from './partition.js';
import { RunTurns } from './run-turns.js';

export { DEFAULT_SHADOW_PAGES, MonitorConfigError };

export interface NativeVmConfig {
  readonly name: string;
  readonly image: Image;
  /** Guest RAM in bytes (multiple of 4 KiB). */
  readonly memSize: number;
  /** Relative CPU share (default 1). */
  readonly share?: number;
  readonly disk?: DiskBackend;
}

/** A VM added to a running host. Without an image it is created empty and paused (an incoming migration). */
export interface HostVmConfig {
  readonly name: string;
  readonly memSize: number;
  readonly image?: Image;
  readonly share?: number;
  readonly disk?: DiskBackend;
  /** Create it paused even though it has an image. */
  readonly paused?: boolean;
  /** Its console output. */
  readonly output?: (bytes: Uint8Array) => void;
  /** What its network device transmits. */
  readonly netOutput?: (bytes: Uint8Array) => void;
}

/** Where a VM is, as `vm list` shows it. */
export type VmRunState = RunState;

export interface NativeMonitorOptions {
  /** Guest instructions per slice for a share of 1. */
  readonly slice?: number;
  /** Shadow-table frames per VM. */
  readonly shadowPages?: number;
  /** Bytes each VM writes to its console. */
  readonly output?: (vm: number, bytes: Uint8Array) => void;
  readonly onEvent?: (e: VmEvent) => void;
  /** Stop each VM after this many of its instructions. */
  readonly maxInstructions?: number;
  /** serve(): wall time spent running guests before the event loop gets a turn (default DEFAULT_TURN_BUDGET_MS). */
  readonly turnBudgetMs?: number;
  readonly tier?: Tier;
  /** Told the source of every translation (MachineOptions.jitDump). */
  readonly jitDump?: JitDump;
  /**
   * Machine RAM in bytes for a long-lived host whose VMs come and go (each
   * needs its memory plus its shadow frames). Default: just what `configs` need.
   */
  readonly capacity?: number;
  /** A VM powered off, failed or ran out of budget (host mode). */
  readonly onVmEnd?: (name: string, outcome: VmOutcome) => void;
}

/** What the host keeps per VM besides the VM itself. */
interface Slot {
  readonly vm: VirtualMachine;
  guest: NativeGuest;
  share: number;
  /** serve(): guest instructions still due to it in the current round (kept across the event loop's turns). */
  owed: number;
  outcome: VmOutcome | undefined;
  readonly feeder: ConsoleFeeder;
  paused: boolean;
  sink: ((bytes: Uint8Array) => void) | undefined;
  /** The network's events on their way to its device (held while paused). */
  readonly netFeeder: NetFeeder;
  /** Bytes its network device sent during the current slice, and where they go after it. */
  netOut: number[];
  netSink: ((bytes: Uint8Array) => void) | undefined;
  /** RAM extent (offset, size) holding its shadow frames and window. */
  readonly extent: readonly [number, number];
}

export const DEFAULT_SLICE = 100_000;
/** Wall time serve() runs guests before it lets the event loop turn. */
export const DEFAULT_TURN_BUDGET_MS = 10;
/** The most guest instructions serve() runs in one go (the budget is looked at between two pieces). */
const MAX_PIECE = DEFAULT_SLICE;

export class NativeMonitor implements Monitor, VmHost {
  readonly kind = 'native' as const;
  readonly machine: Machine;
  readonly vms: VirtualMachine[] = [];
  private readonly slots: Slot[] = [];
  private readonly options: NativeMonitorOptions;
  private readonly shadowBytes: number;
  private readonly ram: RamPartition;
  private wake: (() => void) | undefined;
  private closed = false;
  /** Called when a VM stalls on a page still on a migration source (besides the guest's own onMissingPage). */
  onMissingPage: ((vm: VirtualMachine, page: number) => void) | undefined;
  onVmEnd: ((name: string, outcome: VmOutcome) => void) | undefined;

  constructor(configs: readonly NativeVmConfig[], options: NativeMonitorOptions = {}) {
    if (configs.length === 0 && options.capacity === undefined) throw new MonitorConfigError('no VMs to run');
    this.options = options;
    this.onVmEnd = options.onVmEnd;
    const shadowBytes = (this.shadowBytes = (options.shadowPages ?? DEFAULT_SHADOW_PAGES) * PAGE_SIZE);
    let total = configs.length * shadowBytes;
    for (const c of configs) {
      checkMemSize(c.name, c.memSize);
      total += c.memSize;
    }
    if (total > RAM_MAX) throw new MonitorConfigError(`the VMs need ${total / 1024 / 1024} MiB of machine RAM with their shadow tables; the machine has at most ${RAM_MAX / 1024 / 1024} MiB`);
    const capacity = Math.max(total, options.capacity ?? 0);
    if (capacity > RAM_MAX || capacity % PAGE_SIZE !== 0) throw new MonitorConfigError(`host capacity must be a multiple of 4 KiB up to ${RAM_MAX / 1024 / 1024} MiB`);
    this.machine = new Machine({ memSize: capacity, trapToHost: true, ...(options.tier ? { tier: options.tier } : {}), ...(options.jitDump ? { jitDump: options.jitDump } : {}) });
    this.ram = new RamPartition(capacity);
    this.ram.take(total);

    // The configured VMs keep the layout boot --monitor native has always had:
    // every shadow region first, then the windows.
    let offset = configs.length * shadowBytes;
    configs.forEach((c, i) => {
      const slot = this.place(c.name, c.memSize, i * shadowBytes, offset, [0, 0], c.disk, c.share);
      slot.sink = (b) => this.options.output?.(i, b);
      slot.vm.boot(c.image);
      offset += c.memSize;
    });
  }

  input(bytes: Uint8Array | null): void {
    this.slots[0]?.feeder.push(bytes);
    this.wake?.();
  }

  expectInput(): void {
    if (this.slots[0]) this.slots[0].feeder.closed = false;
  }

  // ---- the host: VMs that come and go ------------------------------------------

  /** Add a VM: booted from its image, or empty and paused (an incoming migration fills it). */
  addVm(c: HostVmConfig): VirtualMachine {
    checkMemSize(c.name, c.memSize);
    if (this.vmNamed(c.name)) throw new MonitorConfigError(`a VM named ${c.name} already runs here`);
    const size = this.shadowBytes + c.memSize;
    const at = this.ram.take(size);
    if (at < 0) throw new MonitorConfigError(`${c.name}: no room for ${c.memSize / 1024 / 1024} MiB (with its shadow tables) in this host's ${this.machine.memory.size / 1024 / 1024} MiB; ${this.ram.free / 1024 / 1024} MiB free, not all in one piece`);
    this.machine.memory.fill(RAM_BASE + at, size, 0); // a reused extent starts as fresh RAM
    const slot = this.place(c.name, c.memSize, at, at + this.shadowBytes, [at, size], c.disk, c.share);
    slot.sink = c.output;
    slot.netSink = c.netOutput;
    slot.feeder.closed = false; // a console can attach later
    if (c.image) slot.vm.boot(c.image);
    else slot.guest = this.guestFor(slot.vm, true);
    slot.paused = slot.netFeeder.frozen = !c.image || c.paused === true;
    this.wake?.();
    return slot.vm;
  }

  /** VmHost: add a VM (booted, or empty, paused and arriving). */
  add(c: GuestConfig): NativeGuest {
    const vm = this.addVm(c);
    return this.slots.find((s) => s.vm === vm)!.guest;
  }

  remove(name: string): void {
    this.removeVm(name);
  }

  find(name: string): NativeGuest | undefined {
    return this.slots.find((s) => s.vm.name === name)?.guest;
  }

  get guests(): readonly NativeGuest[] {
    return this.slots.map((s) => s.guest);
  }

  /** Remove a VM and give its RAM back. */
  removeVm(name: string): void {
    const i = this.index(name);
    const slot = this.slots[i]!;
    if (this.lastRun === this.vms[i]) this.lastRun = undefined;
    this.slots.splice(i, 1);
    this.vms.splice(i, 1);
    slot.vm.shadow.reset();
    const [at, size] = slot.extent;
    if (size > 0) {
      this.machine.memory.fill(RAM_BASE + at, size, 0); // drops translated code there too
      this.ram.give(at, size);
    }
  }

  /** The VM itself (the monitor's own view: its CPU, memory and shadow tables). */
  vmNamed(name: string): VirtualMachine | undefined {
    return this.slots.find((s) => s.vm.name === name)?.vm;
  }

  /** Stop running a VM (between two of its instructions); idempotent. */
  pause(name: string): void {
    const slot = this.slots[this.index(name)]!;
    slot.paused = true;
    slot.netFeeder.frozen = true; // its network events wait: a VM leaving takes them along
  }

  resume(name: string): void {
    const slot = this.slots[this.index(name)]!;
    slot.paused = false;
    slot.netFeeder.frozen = false;
    this.wake?.();
  }

  /** Paused by pause() (whatever else it is: it may have ended too). */
  isPaused(name: string): boolean {
    return this.slots[this.index(name)]!.paused;
  }

  state(name: string): VmRunState {
    const s = this.slots[this.index(name)]!;
    if (s.outcome) return s.outcome.kind;
    if (s.paused) return 'paused';
    if (s.vm.shadow.waitingFor >= 0 && s.vm.shadow.missing?.[s.vm.shadow.waitingFor] === 1) return 'stalled';
    if (s.vm.waiting && !s.vm.wakeable() && !s.vm.canTimerWake()) return 'waiting';
    return 'running';
  }

  outcome(name: string): VmOutcome | undefined {
    return this.slots[this.index(name)]!.outcome;
  }

  /** Console input for a VM; null: its input has ended. */
  inputTo(name: string, bytes: Uint8Array | null): void {
    this.slots[this.index(name)]!.feeder.push(bytes);
    this.wake?.();
  }

  /** Where a VM's console output goes now (a debugger unplugs it while it replays). */
  outputOf(name: string): ((bytes: Uint8Array) => void) | undefined {
    return this.slots[this.index(name)]!.sink;
  }

  /** A network event for a VM's device (queued while it is paused). */
  netEventTo(name: string, e: NetEvent): void {
    this.slots[this.index(name)]!.netFeeder.push(e);
    this.wake?.();
  }

  /** Network events not yet delivered to a VM's device: they are the caller's now. */
  takeNetPending(name: string): NetEvent[] {
    return this.slots[this.index(name)]!.netFeeder.take();
  }

  setNetOutput(name: string, sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.slots[this.index(name)]!.netSink = sink;
  }

  /** Re-bind a VM's console output (a console attaches or detaches). */
  setOutput(name: string, sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.slots[this.index(name)]!.sink = sink;
  }

  /** Something changed that may let a VM run (a page arrived, input, a resume). */
  poke(): void {
    this.wake?.();
  }

  /**
   * Run one slice of a VM (at most `budget` instructions, up to guest time
   * `until`); what serve() and run() do for each VM in turn, and what a driver
   * on a simulated link calls to keep a guest in step with its clock.
   */
  /** The VM whose shadow the real MMU holds now. */
  private lastRun: VirtualMachine | undefined;

  runSlice(vm: VirtualMachine, budget: number, until?: number): SliceEnd {
    const slot = this.slots[this.index(vm.name)]!;
    slot.feeder.pump();
    this.pumpNet(slot);
    loadVm(vm, this.machine, this.lastRun === vm);
    this.lastRun = vm;
    const end = runVm(vm, this.machine, budget, until);
    unloadVm(vm, this.machine);
    if (slot.netOut.length > 0) {
      const bytes = Uint8Array.from(slot.netOut);
      slot.netOut = [];
      slot.netSink?.(bytes);
    }
    const limit = this.options.maxInstructions ?? Infinity;
    if (end === SliceEnd.HALTED) this.finish(slot, { kind: 'poweroff', status: vm.exitStatus });
    else if (end === SliceEnd.FAILED) this.finish(slot, { kind: 'failed', reason: vm.failure ?? 'failed' });
    else if (vm.cpu.instret >= limit) this.finish(slot, { kind: 'budget' });
    else if (end === SliceEnd.MISSING) {
      slot.guest.onMissingPage?.(vm.shadow.waitingFor);
      this.onMissingPage?.(vm, vm.shadow.waitingFor);
    }
    return end;
  }

  /**
   * Run VMs as they come and go, until close(). A round gives each runnable
   * VM `slice × share` guest instructions, run in pieces of at most
   * MAX_PIECE; whenever the pieces have taken the wall-time budget
   * (turnBudgetMs), serve() lets the event loop turn — the daemon answers its
   * clients, other monitors run — and then goes on where it stopped: what a VM
   * is still owed in the round is kept in its slot, so the shares hold over a
   * round however often it is cut. No guest, whatever its share, holds the
   * event loop longer than the budget and one piece.
   */
  async serve(): Promise<void> {
    const slice = this.options.slice ?? DEFAULT_SLICE;
    const limit = this.options.maxInstructions ?? Infinity;
    const budgetMs = this.options.turnBudgetMs ?? DEFAULT_TURN_BUDGET_MS;
    let since = performance.now();
    while (!this.closed) {
      let ran = false;
      let progressed = false;
      const round = [...this.slots];
      for (const slot of round) slot.owed = slice * slot.share;
      for (const slot of round) {
        while (slot.owed > 0 && !this.closed) {
          if (slot.outcome || slot.paused || !this.slots.includes(slot)) break;
          const vm = slot.vm;
          slot.feeder.pump();
          this.pumpNet(slot);
          if (vm.shadow.waitingFor >= 0 && vm.shadow.missing?.[vm.shadow.waitingFor] === 1) break;
          if (vm.waiting && !vm.wakeable() && !vm.canTimerWake()) break;
          const instret = vm.cpu.instret;
          const time = vm.cpu.time;
          const piece = Math.min(slot.owed, MAX_PIECE);
          slot.owed -= piece;
          const end = this.runSlice(vm, Math.min(piece, limit - instret));
          if (vm.cpu.instret !== instret) ran = true;
          if (vm.cpu.time !== time) progressed = true;
          if (performance.now() - since >= budgetMs) {
            // The rest of this round waits for the event loop to have turned.
            await new Promise<void>((r) => setImmediate(r));
            since = performance.now();
          }
          if (end !== SliceEnd.BUDGET) break;
        }
        slot.owed = 0;
      }
      if (this.closed) break;
      if (!progressed) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
      } else if (!ran) {
        // Only idle time went by (guests waiting for their timers): no need to spin.
        await new Promise<void>((r) => setTimeout(r, 1));
      } else {
        await new Promise<void>((r) => setImmediate(r));
      }
      since = performance.now();
    }
  }

  /** End serve(). */
  close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    return Promise.resolve();
  }

  private index(name: string): number {
    const i = this.slots.findIndex((s) => s.vm.name === name);
    if (i < 0) throw new MonitorConfigError(`no VM named ${name} here`);
    return i;
  }

  /** A paused VM's network events wait in its feeder (a VM leaving takes them along). */
  private pumpNet(slot: Slot): void {
    slot.netFeeder.frozen = slot.paused;
    slot.netFeeder.pump();
  }

  private finish(slot: Slot, outcome: VmOutcome): void {
    if (slot.outcome) return;
    slot.outcome = outcome;
    this.onVmEnd?.(slot.vm.name, outcome);
  }

  /** A VM over a window at `windowAt` with shadow frames at `shadowAt` (RAM offsets). */
  private place(name: string, memSize: number, shadowAt: number, windowAt: number, extent: readonly [number, number], disk?: DiskBackend, share?: number): Slot {
    const { window, shadow } = placeVm(this.machine.memory, shadowAt, windowAt, memSize, this.shadowBytes / PAGE_SIZE);
    let slot: Slot | undefined;
    const vm = new VirtualMachine(name, window, shadow, {
      console: (b) => slot?.sink?.(Uint8Array.of(b)),
      ...(disk ? { disk } : {}),
      // Gathered per slice; a VM nobody cabled is never connected, so it sends nothing.
      net: { transmit: (b) => void slot?.netOut.push(b) },
    });
    if (this.options.onEvent) vm.onEvent = this.options.onEvent;
    vm.onWake = () => this.wake?.();
    slot = { vm, guest: this.guestFor(vm, false), share: Math.max(1, Math.floor(share ?? 1)), owed: 0, outcome: undefined, feeder: new ConsoleFeeder(vm.console), paused: false, sink: undefined, netFeeder: new NetFeeder(vm.net), netOut: [], netSink: undefined, extent };
    this.slots.push(slot);
    this.vms.push(vm);
    return slot;
  }

  private guestFor(vm: VirtualMachine, arriving: boolean): NativeGuest {
    const guest = new NativeGuest(vm, this, arriving);
    guest.debugTarget = () => new NativeDebugTarget(this, vm);
    return guest;
  }

  async run(): Promise<MonitorResult> {
    const t0 = performance.now();
    const slice = this.options.slice ?? DEFAULT_SLICE;
    const limit = this.options.maxInstructions ?? Infinity;
    let rounds = 0;
    const turns = new RunTurns(this.options.turnBudgetMs ?? DEFAULT_TURN_BUDGET_MS);
    for (const s of this.slots) s.feeder.pump(); // input already over ends at time 0, as on the bare machine
    for (;;) {
      let progressed = false;
      let idled = false;
      let live = 0;
      for (const slot of this.slots) {
        if (slot.outcome) continue;
        live++;
        const vm = slot.vm;
        slot.feeder.pump();
        if (vm.waiting && !vm.wakeable() && !vm.canTimerWake()) continue;
        const before = vm.cpu.instret + vm.cpu.idle;
        const idle = vm.cpu.idle;
        this.runSlice(vm, Math.min(slice * slot.share, limit - vm.cpu.instret));
        if (vm.cpu.instret + vm.cpu.idle !== before) progressed = true;
        if (vm.cpu.idle !== idle) idled = true;
      }
      if (live === 0) break;
      if (!progressed) {
        // Every live VM waits for an interrupt that no timer will raise.
        if (!this.slots[0]!.feeder.live) {
          for (const s of this.slots) s.outcome ??= { kind: 'stuck', reason: 'waits for an interrupt, but no timer is set and console input has ended' };
          break;
        }
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      if (turns.due(++rounds, idled)) await turns.take();
    }
    const wallMs = performance.now() - t0;
    return {
      wallMs,
      vms: this.slots.map(({ vm, outcome }) => ({
        name: vm.name,
        outcome: outcome!,
        instructions: vm.cpu.instret,
        virtualTime: vm.cpu.time,
        stats: vm.stats,
      })),
    };
  }
}

