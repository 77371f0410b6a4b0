/**
 * The Migratable boundary on the destination: a VM created empty and paused
 * in the host, every page marked missing; pages written as they arrive;
 * state restored; resumed at the switchover — with the pages still on the
 * source (post-copy) left marked, so the shadow pager stalls the vCPU on
 * them — or discarded if the migration fails before it.
 */
import type { VmState } from '../core/state.js';
import type { VirtualMachine } from '../core/vm.js';
import type { NativeMonitor } from '../native/monitor.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';

export class MigrationDestination {
  readonly vm: VirtualMachine;
  /** 1 for each page not here yet. */
  readonly missing: Uint8Array;
  private left: number;

  constructor(
    readonly monitor: NativeMonitor,
    readonly name: string,
    memSize: number,
    output?: (bytes: Uint8Array) => void,
  ) {
    this.vm = monitor.addVm({ name, memSize, ...(output ? { output } : {}) });
    this.missing = new Uint8Array(this.vm.memory.pages).fill(1);
    this.left = this.missing.length;
  }

  get pages(): number {
    return this.missing.length;
  }

  /** Pages not here yet. */
  get missingCount(): number {
    return this.left;
  }

  /**
   * Write a page that arrived (undefined: a zero page). Returns false if it
   * was already here (a resend). Written through the VM's memory, so any
   * translated code the host held for it is dropped.
   */
  writePage(n: number, data: Uint8Array | undefined): boolean {
    const mem = this.vm.memory;
    const at = n << PAGE_SHIFT;
    if (data) mem.u8.set(data, at);
    else mem.u8.fill(0, at, at + PAGE_SIZE);
    mem.markDirty(at, PAGE_SIZE);
    if (this.missing[n] === 0) return false;
    this.missing[n] = 0;
    if (--this.left === 0) this.vm.shadow.missing = undefined;
    return true;
  }

  /**
   * Restore CPU and device state. `onSource` marks the pages that stay on the
   * source (post-copy); every other page must be here.
   */
  restore(state: VmState, onSource?: Uint8Array): void {
    this.vm.restore(state);
    if (onSource) {
      for (let p = 0; p < this.missing.length; p++) {
        if (onSource[p] === 1 && this.missing[p] === 0) {
          // The source sends it again (dirtied after its last copy): stale here until then.
          this.missing[p] = 1;
          this.left++;
        }
      }
    }
    this.vm.shadow.missing = this.left > 0 ? this.missing : undefined;
  }

  resume(): void {
    this.monitor.resume(this.name);
  }

  pause(): void {
    this.monitor.pause(this.name);
  }

  get running(): boolean {
    return this.monitor.find(this.name) === this.vm && this.monitor.state(this.name) !== 'paused';
  }

  /** The migration failed before the switchover: the copy here goes. */
  discard(): void {
    if (this.monitor.find(this.name) === this.vm) this.monitor.removeVm(this.name);
  }
}
