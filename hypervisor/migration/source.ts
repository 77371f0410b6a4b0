/**
 * The Migratable boundary on the source: everything the engine may do to the
 * guest it is sending away, and nothing more. Pausable (pause, resume),
 * snapshottable (save), migratable (read a page, start and take the dirty
 * log, let go). The VM lives on any VmHost (core/host.ts): the engine never
 * knows which monitor runs it.
 */
import { isZeroPage, pageView, type Guest, type VmHost } from '../core/host.js';
import type { VmState } from '../core/state.js';
import { MigrationError } from './migration-error.js';

export class MigrationSource {
  readonly guest: Guest;

  constructor(
    readonly host: VmHost,
    readonly name: string,
  ) {
    const guest = host.find(name);
    if (!guest) throw new MigrationError(`no VM named ${name} on this host`);
    if (guest.missingCount > 0) throw new MigrationError(`${name} is still arriving here (post-copy): it cannot leave before all of it is here`);
    this.guest = guest;
  }

  get memSize(): number {
    return this.guest.memSize;
  }

  get pages(): number {
    return this.guest.pages;
  }

  get paused(): boolean {
    return this.guest.paused;
  }

  /** Stop the guest between two instructions. */
  pause(): Promise<void> {
    return this.guest.pause();
  }

  resume(): void {
    this.guest.resume();
  }

  /** The guest's own clock (instructions retired plus idle time). */
  get guestTime(): number {
    return this.guest.time;
  }

  /** The page's bytes now (a view: copy before the guest runs again). */
  page(n: number): Uint8Array {
    return pageView(this.guest.ram, n);
  }

  isZero(n: number): boolean {
    return isZeroPage(this.guest.ram, n);
  }

  /** Start logging writes: forget what was logged so far. */
  startDirtyLog(): Promise<void> {
    return this.guest.startDirtyLog();
  }

  /** The pages written since the last call (ascending); the log starts again. */
  takeDirty(): Promise<number[]> {
    return this.guest.takeDirty();
  }

  /** CPU and device state, as it leaves. Only while paused: a running guest's state is already stale. */
  save(): Promise<VmState> {
    if (!this.paused && this.guest.outcome() === undefined) throw new MigrationError(`${this.name}: state saved while the guest runs`);
    return this.guest.save('migrating-out');
  }

  /** The guest now lives elsewhere: free its RAM here. */
  discard(): void {
    if (this.host.find(this.name) === this.guest) this.host.remove(this.name);
  }
}
