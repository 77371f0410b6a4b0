/**
 * The Migratable boundary on the destination: a VM created empty and paused
 * on a VmHost, every page marked missing; pages written as they arrive;
 * state restored; resumed at the switchover — with the pages still on the
 * source (post-copy) left marked, so the vCPU stalls on them — or discarded
 * if the migration fails before it.
 */
import type { Guest, VmHost } from '../core/host.js';
import type { VmState } from '../core/state.js';

export class MigrationDestination {
  readonly guest: Guest;

  constructor(
    readonly host: VmHost,
    readonly name: string,
    memSize: number,
    output?: (bytes: Uint8Array) => void,
    netOutput?: (bytes: Uint8Array) => void,
  ) {
    this.guest = host.add({ name, memSize, ...(output ? { output } : {}), ...(netOutput ? { netOutput } : {}) });
  }

  get pages(): number {
    return this.guest.pages;
  }

  /** 1 for each page not here yet. */
  get missing(): Uint8Array {
    return this.guest.missing ?? new Uint8Array(this.guest.pages);
  }

  /** Pages not here yet. */
  get missingCount(): number {
    return this.guest.missingCount;
  }

  /** Write a page that arrived (undefined: a zero page). False if it was already here (a resend). */
  writePage(n: number, data: Uint8Array | undefined): boolean {
    return this.guest.writePage(n, data);
  }

  /**
   * Restore CPU and device state. `onSource` marks the pages that stay on the
   * source (post-copy); every other page must be here.
   */
  async restore(state: VmState, onSource?: Uint8Array): Promise<void> {
    if (onSource) {
      const missing = this.guest.missing;
      for (let p = 0; p < this.guest.pages; p++) {
        // The source sends it again (dirtied after its last copy): stale here until then.
        if (onSource[p] === 1 && missing?.[p] !== 1) this.guest.markMissing(p);
      }
    }
    await this.guest.restore(state);
  }

  resume(): void {
    this.guest.resume();
  }

  pause(): Promise<void> {
    return this.guest.pause();
  }

  get running(): boolean {
    return this.host.find(this.name) === this.guest && this.guest.state() !== 'paused';
  }

  /** The migration failed before the switchover: the copy here goes. */
  discard(): void {
    if (this.host.find(this.name) === this.guest) this.host.remove(this.name);
  }
}
