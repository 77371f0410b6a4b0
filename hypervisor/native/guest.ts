/**
 * One VM of the native monitor as the host boundary shows it (core/host.ts).
 * Everything happens on the monitor's one thread, so every operation is
 * immediate: a pause takes effect before the next slice, the dirty log and
 * the state are read in place.
 */
import type { VmOutcome } from '../core/monitor-run.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import type { Guest, NetEvent, RunState } from '../core/host.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { VmState } from '../core/state.js';
import type { VmStats } from '../core/stats.js';
import type { VirtualMachine } from '../core/vm.js';
import type { DebugTarget } from '../../vm/debug/target.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';

/** What the guest needs of its monitor (the monitor's own bookkeeping per VM). */
export interface NativeSlotView {
  isPaused(name: string): boolean;
  pause(name: string): void;
  resume(name: string): void;
  state(name: string): RunState;
  outcome(name: string): VmOutcome | undefined;
  inputTo(name: string, bytes: Uint8Array | null): void;
  setOutput(name: string, sink: ((bytes: Uint8Array) => void) | undefined): void;
  netEventTo(name: string, e: NetEvent): void;
  takeNetPending(name: string): NetEvent[];
  setNetOutput(name: string, sink: ((bytes: Uint8Array) => void) | undefined): void;
  poke(): void;
}

export class NativeGuest implements Guest {
  readonly monitor = 'native' as const;
  readonly name: string;
  readonly memSize: number;
  readonly pages: number;
  readonly ram: Uint8Array;
  missing: Uint8Array | undefined;
  missingCount = 0;
  onMissingPage: ((page: number) => void) | undefined;
  /** Set by the monitor that runs it (core/host.ts). */
  debugTarget: (() => DebugTarget & { release(): void }) | undefined;

  constructor(
    readonly vm: VirtualMachine,
    private readonly host: NativeSlotView,
    arriving: boolean,
  ) {
    this.name = vm.name;
    this.memSize = vm.memory.size;
    this.pages = vm.memory.pages;
    this.ram = vm.memory.u8;
    if (arriving) {
      this.missing = new Uint8Array(this.pages).fill(1);
      this.missingCount = this.pages;
      vm.shadow.missing = this.missing;
    }
  }

  get instructions(): number {
    return this.vm.cpu.instret;
  }

  get time(): number {
    return this.vm.cpu.time;
  }

  get paused(): boolean {
    return this.host.isPaused(this.name);
  }

  state(): RunState {
    return this.host.state(this.name);
  }

  outcome(): VmOutcome | undefined {
    return this.host.outcome(this.name);
  }

  stats(): VmStats {
    return this.vm.stats;
  }

  pause(): Promise<void> {
    this.host.pause(this.name);
    return Promise.resolve();
  }

  resume(): void {
    this.host.resume(this.name);
  }

  input(bytes: Uint8Array | null): void {
    this.host.inputTo(this.name, bytes);
  }

  setOutput(sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.host.setOutput(this.name, sink);
  }

  netEvent(e: NetEvent): void {
    this.host.netEventTo(this.name, e);
  }

  takeNetPending(): Promise<NetEvent[]> {
    return Promise.resolve(this.host.takeNetPending(this.name));
  }

  setNetOutput(sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.host.setNetOutput(this.name, sink);
  }

  setDisk(disk: DiskBackend | undefined): void {
    this.vm.disk.setBackend(disk);
  }

  startDirtyLog(): Promise<void> {
    this.vm.memory.takeDirtyPages();
    return Promise.resolve();
  }

  takeDirty(): Promise<number[]> {
    return Promise.resolve(this.vm.memory.takeDirtyPages());
  }

  countDirty(): number {
    return this.vm.memory.countDirty();
  }

  save(lifecycle: Lifecycle): Promise<VmState> {
    return Promise.resolve(this.vm.save('native', lifecycle));
  }

  restore(state: VmState): Promise<void> {
    this.vm.restore({ ...state, name: this.name });
    // restore() resets the shadow pager; the pages still missing stay so.
    this.vm.shadow.missing = this.missingCount > 0 ? this.missing : undefined;
    return Promise.resolve();
  }

  writePage(n: number, data: Uint8Array | undefined): boolean {
    const mem = this.vm.memory;
    const at = n << PAGE_SHIFT;
    if (data) mem.u8.set(data, at);
    else mem.u8.fill(0, at, at + PAGE_SIZE);
    mem.markDirty(at, PAGE_SIZE); // drops translated code for it, and the dirty log sees it
    const m = this.missing;
    if (m === undefined || m[n] === 0) return false;
    m[n] = 0;
    if (--this.missingCount === 0) this.vm.shadow.missing = undefined;
    this.host.poke();
    return true;
  }

  markMissing(n: number): void {
    const m = (this.missing ??= new Uint8Array(this.pages));
    if (m[n] === 1) return;
    m[n] = 1;
    this.missingCount++;
    this.vm.shadow.missing = m;
  }
}
