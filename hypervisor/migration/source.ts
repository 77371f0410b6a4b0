/**
 * The Migratable boundary on the source: everything the engine may do to the
 * guest it is sending away, and nothing more. Pausable (pause, resume),
 * snapshottable (save), migratable (read a page, start and take the dirty
 * log, let go). The VM lives in a NativeMonitor; the engine never reaches
 * into the VM past this file.
 */
import type { VmState } from '../core/state.js';
import type { VirtualMachine } from '../core/vm.js';
import type { NativeMonitor } from '../native/monitor.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';
import { MigrationError } from './error.js';

export class MigrationSource {
  readonly vm: VirtualMachine;

  constructor(
    readonly monitor: NativeMonitor,
    readonly name: string,
  ) {
    const vm = monitor.find(name);
    if (!vm) throw new MigrationError(`no VM named ${name} on this host`);
    if (vm.shadow.missing !== undefined) throw new MigrationError(`${name} is still arriving here (post-copy): it cannot leave before all of it is here`);
    this.vm = vm;
  }

  get memSize(): number {
    return this.vm.memory.size;
  }

  get pages(): number {
    return this.vm.memory.pages;
  }

  get paused(): boolean {
    return this.monitor.isPaused(this.name);
  }

  /** Stop the guest between two instructions. */
  pause(): void {
    this.monitor.pause(this.name);
  }

  resume(): void {
    this.monitor.resume(this.name);
  }

  /** The guest's own clock (instructions retired plus idle time). */
  get guestTime(): number {
    return this.vm.cpu.time;
  }

  /** The page's bytes now (a view: copy before the guest runs again). */
  page(n: number): Uint8Array {
    return this.vm.memory.u8.subarray(n << PAGE_SHIFT, (n + 1) << PAGE_SHIFT);
  }

  isZero(n: number): boolean {
    const words = this.vm.memory.i32;
    for (let i = n << (PAGE_SHIFT - 2), end = i + PAGE_SIZE / 4; i < end; i++) if (words[i] !== 0) return false;
    return true;
  }

  /** Start logging writes: forget what was logged so far. */
  startDirtyLog(): void {
    this.vm.memory.takeDirtyPages();
  }

  /** The pages written since the last call (ascending); the log starts again. */
  takeDirty(): number[] {
    return this.vm.memory.takeDirtyPages();
  }

  /**
   * CPU and device state. Only while paused: a running guest's state is
   * already stale. The guest runs under the native monitor and is leaving.
   */
  save(): VmState {
    if (!this.paused && this.monitor.outcome(this.name) === undefined) throw new MigrationError(`${this.name}: state saved while the guest runs`);
    return this.vm.save('native', 'migrating-out');
  }

  /** The guest now lives elsewhere: free its RAM here. */
  discard(): void {
    if (this.monitor.find(this.name) === this.vm) this.monitor.removeVm(this.name);
  }
}
