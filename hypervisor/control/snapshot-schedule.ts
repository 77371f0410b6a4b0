/**
 * Periodic snapshots into a snapshot store (`serve --snapshot-every D
 * --snapshot-dir DIR`): every D the daemon saves each of its VMs, live
 * (pre-copy rounds, then a short pause: snapshots.ts), to DIR/NAME.tvsn,
 * replacing the last one atomically. The store is the fleet's image store:
 * when a host dies, its VMs are restarted elsewhere from their latest file
 * there (`vm restore FILE --restart`), losing only what they did since.
 *
 * The rules, and why:
 *  - one snapshot at a time per daemon: each copies the VM's whole memory
 *    and writes it out; two at once would double the memory and the disk
 *    traffic for nothing;
 *  - a VM whose last snapshot is still being written (or waits its turn) is
 *    skipped, not queued twice: a slow disk makes the period longer, never
 *    the queue;
 *  - a VM that has not run since its last snapshot (paused, off) is not saved
 *    again: the file already holds it; a migrating or lost VM is left alone;
 *  - a failure (full disk, unwritable dir, a VM on a --disk file) is logged
 *    for that VM — once, until it changes — and kept for `vm stats`; the VM
 *    and the daemon go on.
 *
 * `latestSnapshot(dir, name)` is what the fleet asks of the store: the file
 * and the instruction count it was taken at, read from its info and state
 * sections (not its pages), and when it was written.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openSnapshotFile } from '../snapshot/snapshot-file.js';
import type { PeriodicSnapshotInfo, VmInfo } from './protocol.js';
import type { VmRegistry } from './registry.js';
import type { SnapshotDriver } from './snapshots.js';

/** The extension of a store's files: DIR/NAME.tvsn. */
export const STORE_EXT = '.tvsn';

/** Where a VM's snapshots go in a store. */
export function storeFile(dir: string, name: string): string {
  return join(dir, `${name}${STORE_EXT}`);
}

/** A VM's latest snapshot in a store. */
export interface StoredSnapshot {
  readonly file: string;
  /** The instruction count it was taken at (where a restore resumes). */
  readonly instructions: number;
  /** When it was written (the file's modification time, ISO 8601). */
  readonly takenAt: string;
}

/**
 * The latest snapshot of VM `name` in store `dir`, or undefined when it has
 * none. Reads the file's sections but not its pages (their checksums are
 * checked by the restore). A file that is not a good snapshot throws the
 * SnapshotError naming its field and offset; one that cannot be read, the
 * file system's error.
 */
export function latestSnapshot(dir: string, name: string): StoredSnapshot | undefined {
  const file = storeFile(dir, name);
  // The time first: if the file is replaced in between, the time is the older one's (never later than what is read).
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  let f;
  try {
    f = openSnapshotFile(file, { pages: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  f.close();
  return { file, instructions: f.contents.state.cpu.instret, takenAt: st.mtime.toISOString() };
}

/** The shortest period: below it a VM would spend more time being saved than not. */
export const MIN_SNAPSHOT_EVERY_MS = 50;

export interface ScheduleOptions {
  /** The period, ms. */
  readonly everyMs: number;
  /** The store: an existing directory. */
  readonly dir: string;
}

type Last = NonNullable<PeriodicSnapshotInfo['last']>;

export class SnapshotSchedule {
  private timer: NodeJS.Timeout | undefined;
  /** VMs due, in order; each at most once. */
  private readonly queue: string[] = [];
  private draining: Promise<void> | undefined;
  private readonly last = new Map<string, Last>();
  private readonly errors = new Map<string, string>();
  private closed = false;

  constructor(
    private readonly registry: VmRegistry,
    private readonly driver: SnapshotDriver,
    readonly options: ScheduleOptions,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.everyMs);
  }

  /** Stop taking snapshots; resolves once the one being written (if any) is complete. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.queue.length = 0;
    await this.draining;
  }

  /** What `vm stats` shows of a VM's periodic snapshots. */
  info(name: string): PeriodicSnapshotInfo {
    const last = this.last.get(name);
    const error = this.errors.get(name);
    return { everyMs: this.options.everyMs, file: storeFile(this.options.dir, name), ...(last ? { last } : {}), ...(error !== undefined ? { error } : {}) };
  }

  /** Queue every VM that is due, and work through the queue. */
  tick(): void {
    if (this.closed) return;
    const vms = this.registry.list();
    const here = new Set(vms.map((v) => v.name));
    // A VM that left (stopped, migrated away) is forgotten: one of the same name later starts afresh.
    for (const name of [...this.last.keys(), ...this.errors.keys()]) {
      if (!here.has(name)) {
        this.last.delete(name);
        this.errors.delete(name);
      }
    }
    for (const v of vms) if (this.due(v)) this.queue.push(v.name);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private due(v: VmInfo): boolean {
    if (this.queue.includes(v.name) || this.driver.busy(v.name)) return false;
    if (v.migration || (v.state !== 'running' && v.state !== 'paused')) return false;
    // Not run since its last snapshot: the file holds it already.
    if (v.state === 'paused' && this.last.get(v.name)?.instructions === v.instructions) return false;
    return true;
  }

  private async drain(): Promise<void> {
    for (let name = this.queue.shift(); name !== undefined && !this.closed; name = this.queue.shift()) await this.take(name);
  }

  private async take(name: string): Promise<void> {
    // It may have gone, or started migrating, while it waited in the queue.
    if (!this.registry.has(name)) return;
    const v = this.registry.info(name);
    if (v.migration || (v.state !== 'running' && v.state !== 'paused')) return;
    const file = storeFile(this.options.dir, name);
    try {
      const r = await this.driver.snapshot({ name, path: file, live: true, stop: false }, { log: false });
      const first = !this.last.has(name) && !this.errors.has(name);
      const failed = this.errors.get(name);
      this.last.set(name, { takenAt: new Date().toISOString(), instructions: r.instructions, bytes: r.bytes, pausedMs: r.pausedMs, totalMs: r.totalMs });
      this.errors.delete(name);
      if (first) this.log(`${name}: periodic snapshots to ${file} every ${this.options.everyMs} ms (first: ${r.bytes} bytes, paused ${r.pausedMs} ms)`);
      else if (failed !== undefined) this.log(`${name}: periodic snapshot written again to ${file}`);
    } catch (e) {
      const why = (e as Error).message;
      // Once per distinct reason: a full disk every 300 ms would drown the log.
      if (this.errors.get(name) !== why && this.registry.has(name)) this.log(`${name}: periodic snapshot failed (the VM runs on): ${why}`);
      this.errors.set(name, why);
    }
  }
}
