/**
 * A disk backend that remembers which sectors the guest wrote: the
 * dirty-sector log a migration's disk rounds are taken from (source-disk.ts
 * gives it to the engine), as pre-copy's dirty-page log is for memory. Every
 * VM's disk goes through one (vm-disks.ts), so a migration can start at any
 * time; a write costs one byte store per sector.
 *
 * `takeRuns` clears sectors before the engine reads them: a write that lands
 * after the read marks them again, so the next round sends them again —
 * nothing written is ever missed, at worst sent twice.
 */
import type { DiskBackend, DiskDone } from '../../vm/devices/disk.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';

export class DirtySectorLog implements DiskBackend {
  private readonly dirty: Uint8Array;
  private count = 0;

  constructor(private readonly inner: DiskBackend) {
    this.dirty = new Uint8Array(inner.sectors);
  }

  get sectors(): number {
    return this.inner.sectors;
  }

  read(sector: number, count: number, done: DiskDone): void {
    this.inner.read(sector, count, done);
  }

  write(sector: number, data: Uint8Array, done: DiskDone): void {
    // Marked before the write reaches the file: an engine that reads in between sends it next round.
    const end = Math.min(this.dirty.length, sector + Math.ceil(data.length / SECTOR_SIZE));
    for (let s = Math.max(0, sector); s < end; s++) {
      if (this.dirty[s] === 0) {
        this.dirty[s] = 1;
        this.count++;
      }
    }
    this.inner.write(sector, data, done);
  }

  close(): void {
    this.inner.close?.();
  }

  /** Sectors written since they were last taken. */
  get dirtyCount(): number {
    return this.count;
  }

  /** Mark every sector clean (the start of a full copy). */
  clearAll(): void {
    this.dirty.fill(0);
    this.count = 0;
  }

  /**
   * The dirty sectors as runs [first, count] of at most `maxRun` sectors,
   * cleared as they are returned: read them right away (before the guest
   * runs again) and send them.
   */
  takeRuns(maxRun: number): Array<readonly [number, number]> {
    const runs: Array<readonly [number, number]> = [];
    const d = this.dirty;
    for (let s = 0; s < d.length; ) {
      if (d[s] === 0) {
        s++;
        continue;
      }
      const first = s;
      while (s < d.length && d[s] === 1 && s - first < maxRun) d[s++] = 0;
      runs.push([first, s - first]);
    }
    this.count = 0;
    return runs;
  }
}
