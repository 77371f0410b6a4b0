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
 */
import type { Image } from '../../isa/image.js';
import { Machine, type Tier } from '../../vm/machine.js';
import { PAGE_SIZE, RAM_BASE, RAM_MAX } from '../../vm/memmap.js';
import { FrameAllocator } from '../../vm/pagetable.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { ConsoleFeeder } from '../../vm/devices/console-feeder.js';
import type { Monitor, MonitorResult, VmOutcome } from '../core/monitor.js';
import { ShadowPager } from '../core/shadow.js';
import { loadVm, runVm, SliceEnd, unloadVm } from '../core/vcpu.js';
import { VirtualMachine, type VmEvent } from '../core/vm.js';

export class MonitorConfigError extends Error {
  override readonly name = 'MonitorConfigError';
}

export interface NativeVmConfig {
  readonly name: string;
  readonly image: Image;
  /** Guest RAM in bytes (multiple of 4 KiB). */
  readonly memSize: number;
  /** Relative CPU share (default 1). */
  readonly share?: number;
  readonly disk?: DiskBackend;
}

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
  readonly tier?: Tier;
}

export const DEFAULT_SLICE = 100_000;
export const DEFAULT_SHADOW_PAGES = 512;

export class NativeMonitor implements Monitor {
  readonly machine: Machine;
  readonly vms: VirtualMachine[] = [];
  private readonly shares: number[] = [];
  private readonly outcomes: (VmOutcome | undefined)[] = [];
  /** Console input per VM: the first VM's follows stdin; the others have none (ended at time 0). */
  private readonly feeders: ConsoleFeeder[];
  private readonly options: NativeMonitorOptions;
  private wake: (() => void) | undefined;

  constructor(configs: readonly NativeVmConfig[], options: NativeMonitorOptions = {}) {
    if (configs.length === 0) throw new MonitorConfigError('no VMs to run');
    this.options = options;
    const shadowBytes = (options.shadowPages ?? DEFAULT_SHADOW_PAGES) * PAGE_SIZE;
    let total = configs.length * shadowBytes;
    for (const c of configs) {
      if (c.memSize <= 0 || c.memSize % PAGE_SIZE !== 0) throw new MonitorConfigError(`${c.name}: memory must be a positive multiple of 4 KiB`);
      total += c.memSize;
    }
    if (total > RAM_MAX) throw new MonitorConfigError(`the VMs need ${total / 1024 / 1024} MiB of machine RAM with their shadow tables; the machine has at most ${RAM_MAX / 1024 / 1024} MiB`);
    this.machine = new Machine({ memSize: total, trapToHost: true, ...(options.tier ? { tier: options.tier } : {}) });

    let offset = configs.length * shadowBytes;
    configs.forEach((c, i) => {
      const pool = new FrameAllocator(this.machine.memory, RAM_BASE + i * shadowBytes, RAM_BASE + (i + 1) * shadowBytes);
      const window = this.machine.memory.window(offset, c.memSize);
      const shadow = new ShadowPager(this.machine.memory, pool, window, RAM_BASE + offset);
      const vm = new VirtualMachine(c.name, window, shadow, {
        console: (b) => this.options.output?.(i, Uint8Array.of(b)),
        ...(c.disk ? { disk: c.disk } : {}),
      });
      if (options.onEvent) vm.onEvent = options.onEvent;
      vm.onWake = () => this.wake?.();
      vm.boot(c.image);
      this.vms.push(vm);
      this.shares.push(Math.max(1, Math.floor(c.share ?? 1)));
      this.outcomes.push(undefined);
      offset += c.memSize;
    });
    this.feeders = this.vms.map((vm) => new ConsoleFeeder(vm.console));
  }

  input(bytes: Uint8Array | null): void {
    this.feeders[0]!.push(bytes);
    this.wake?.();
  }

  expectInput(): void {
    this.feeders[0]!.closed = false;
  }

  async run(): Promise<MonitorResult> {
    const t0 = performance.now();
    const slice = this.options.slice ?? DEFAULT_SLICE;
    const limit = this.options.maxInstructions ?? Infinity;
    let rounds = 0;
    for (const f of this.feeders) f.pump(); // input already over ends at time 0, as on the bare machine
    for (;;) {
      let progressed = false;
      let live = 0;
      for (let i = 0; i < this.vms.length; i++) {
        if (this.outcomes[i]) continue;
        live++;
        const vm = this.vms[i]!;
        this.feeders[i]!.pump();
        if (vm.waiting && !vm.wakeable() && !vm.canTimerWake()) continue;
        const budget = Math.min(slice * this.shares[i]!, limit - vm.cpu.instret);
        const before = vm.cpu.instret + vm.cpu.idle;
        loadVm(vm, this.machine);
        const end = runVm(vm, this.machine, budget);
        unloadVm(vm, this.machine);
        if (vm.cpu.instret + vm.cpu.idle !== before) progressed = true;
        if (end === SliceEnd.HALTED) this.outcomes[i] = { kind: 'poweroff', status: vm.exitStatus };
        else if (end === SliceEnd.FAILED) this.outcomes[i] = { kind: 'failed', reason: vm.failure ?? 'failed' };
        else if (vm.cpu.instret >= limit) this.outcomes[i] = { kind: 'budget' };
      }
      if (live === 0) break;
      if (!progressed) {
        // Every live VM waits for an interrupt that no timer will raise.
        if (!this.feeders[0]!.live) {
          this.vms.forEach((_, i) => {
            this.outcomes[i] ??= { kind: 'stuck', reason: 'waits for an interrupt, but no timer is set and console input has ended' };
          });
          break;
        }
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      if (++rounds % 4 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    const wallMs = performance.now() - t0;
    return {
      wallMs,
      vms: this.vms.map((vm, i) => ({
        name: vm.name,
        outcome: this.outcomes[i]!,
        instructions: vm.cpu.instret,
        virtualTime: vm.cpu.time,
        stats: vm.stats,
      })),
    };
  }
}
