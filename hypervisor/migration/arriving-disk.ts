/**
 * The destination's disk while a migration brings its sectors: the guest's
 * DiskBackend and the engine's landing place in one.
 *
 * Every sector starts missing. Before the switchover the guest does not run
 * and the engine writes every sector that comes (a later round's copy is
 * newer). After a post-copy switchover the guest runs with some sectors
 * still on the source:
 *
 *   - a read that covers a missing sector waits — the guest's disk command
 *     stays busy, as a slow disk's would (the device allows a late
 *     completion under either monitor: the native one raises the interrupt
 *     when it comes, the hosted one answers its vCPU's request then) — while
 *     `onMissing` asks the source for those sectors; it completes once they
 *     are all here;
 *   - a write makes its sectors present without fetching them: the device
 *     writes whole sectors only, so nothing of the old contents survives it;
 *     a copy of such a sector that arrives later is stale and dropped
 *     (`receive(…, onlyMissing)`), as a post-copy page the guest already has.
 *
 * So the guest never reads a sector this side does not have.
 */
import { SECTOR_SIZE, type DiskBackend, type DiskDone } from '../../vm/devices/disk.js';

interface WaitingRead {
  readonly sector: number;
  readonly count: number;
  readonly done: DiskDone;
}

export class ArrivingDisk implements DiskBackend {
  /** 1 for each sector not here yet. */
  readonly missing: Uint8Array;
  private missingLeft: number;
  /** 1 for each sector whose bytes on the file may not be zeros (a copy or a guest write landed there). */
  private readonly written: Uint8Array;
  private readonly waiting: WaitingRead[] = [];
  /** The guest read sectors not here yet (first, count): ask the source. */
  onMissing: ((sector: number, count: number) => void) | undefined;

  constructor(
    /** The disk the guest reads and writes once its sectors are here. */
    private readonly inner: DiskBackend,
    /** Where the engine's sectors are written (the same file; no fsync per write: the commit point syncs it). */
    private readonly store: (sector: number, bytes: Uint8Array) => void,
  ) {
    this.missing = new Uint8Array(inner.sectors).fill(1);
    this.missingLeft = inner.sectors;
    this.written = new Uint8Array(inner.sectors);
  }

  get sectors(): number {
    return this.inner.sectors;
  }

  get missingCount(): number {
    return this.missingLeft;
  }

  /** Guest reads waiting for sectors from the source. */
  get waitingReads(): number {
    return this.waiting.length;
  }

  /** The sector ranges the waiting reads still lack (asked again after a reconnection). */
  waitingFor(): Array<readonly [number, number]> {
    return this.waiting.map((w) => [w.sector, w.count] as const);
  }

  read(sector: number, count: number, done: DiskDone): void {
    if (this.allHere(sector, count)) return this.inner.read(sector, count, done);
    this.waiting.push({ sector, count, done });
    this.onMissing?.(sector, count);
  }

  write(sector: number, data: Uint8Array, done: DiskDone): void {
    const end = Math.min(this.missing.length, sector + Math.ceil(data.length / SECTOR_SIZE));
    for (let s = Math.max(0, sector); s < end; s++) {
      this.present(s);
      this.written[s] = 1;
    }
    this.inner.write(sector, data, done);
    this.wakeReads();
  }

  close(): void {
    this.inner.close?.();
  }

  /**
   * Sectors from the source: `data` is `count` sectors' bytes, undefined for
   * zeros. `onlyMissing` (after the switchover): a sector already here is
   * kept (the guest may have written it since). Returns the sectors written.
   */
  receive(sector: number, count: number, data: Uint8Array | undefined, onlyMissing: boolean): number {
    let written = 0;
    let runStart = -1;
    const flush = (end: number): void => {
      if (runStart < 0) return;
      // A zero run over sectors that never arrived needs no write: the arriving file is sparse, zeros already.
      const needed = data !== undefined || this.anyWritten(runStart, end);
      if (needed) this.store(runStart, data ? data.subarray((runStart - sector) * SECTOR_SIZE, (end - sector) * SECTOR_SIZE) : new Uint8Array((end - runStart) * SECTOR_SIZE));
      for (let s = runStart; s < end; s++) {
        this.present(s);
        if (data) this.written[s] = 1;
      }
      written += end - runStart;
      runStart = -1;
    };
    for (let s = sector; s < sector + count; s++) {
      const take = !onlyMissing || this.missing[s] === 1;
      if (take && runStart < 0) runStart = s;
      if (!take) flush(s);
    }
    flush(sector + count);
    this.wakeReads();
    return written;
  }

  /**
   * Post-copy: these sectors stay on the source (1 each). A sector already
   * here but marked is stale (the guest wrote it after its last copy) and
   * missing again until its new copy comes. (Inside the downtime: four
   * sectors a word where it can; a 64 MiB disk has 131072.)
   */
  markOnSource(onSource: Uint8Array): void {
    const missing = this.missing;
    const n = missing.length;
    const whole = words(missing) && words(onSource) ? n >>> 2 : 0;
    if (whole > 0) {
      const m32 = new Uint32Array(missing.buffer, missing.byteOffset, whole);
      const o32 = new Uint32Array(onSource.buffer, onSource.byteOffset, whole);
      for (let i = 0; i < whole; i++) {
        const stale = o32[i]! & ~m32[i]!;
        if (stale === 0) continue;
        m32[i] = m32[i]! | stale;
        for (let k = stale; k !== 0; k >>>= 8) if ((k & 1) !== 0) this.missingLeft++;
      }
    }
    for (let s = whole * 4; s < n; s++) {
      if (onSource[s] === 1 && missing[s] === 0) {
        missing[s] = 1;
        this.missingLeft++;
      }
    }
  }

  /** The first sector missing here and not marked in `onSource` (-1: none): one that can never arrive. */
  missingNotIn(onSource: Uint8Array): number {
    const missing = this.missing;
    const n = missing.length;
    const whole = words(missing) && words(onSource) ? n >>> 2 : 0;
    if (whole > 0) {
      const m32 = new Uint32Array(missing.buffer, missing.byteOffset, whole);
      const o32 = new Uint32Array(onSource.buffer, onSource.byteOffset, whole);
      for (let i = 0; i < whole; i++) {
        if ((m32[i]! & ~o32[i]!) === 0) continue;
        for (let s = i * 4; s < i * 4 + 4; s++) if (missing[s] === 1 && onSource[s] !== 1) return s;
      }
    }
    for (let s = whole * 4; s < n; s++) if (missing[s] === 1 && onSource[s] !== 1) return s;
    return -1;
  }

  /** Some sector of [from, to) has had bytes written to the file (a zero run over it must be written, not skipped). */
  private anyWritten(from: number, to: number): boolean {
    for (let s = from; s < to; s++) if (this.written[s] === 1) return true;
    return false;
  }

  private present(s: number): void {
    if (this.missing[s] === 1) {
      this.missing[s] = 0;
      this.missingLeft--;
    }
  }

  private allHere(sector: number, count: number): boolean {
    const end = Math.min(this.missing.length, sector + count);
    for (let s = Math.max(0, sector); s < end; s++) if (this.missing[s] === 1) return false;
    return true;
  }

  private wakeReads(): void {
    if (this.waiting.length === 0) return;
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      if (!this.allHere(w.sector, w.count)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.inner.read(w.sector, w.count, w.done);
    }
  }
}

/** A view whose bytes can be read four at a time (aligned): marks of 0 or 1 only. */
function words(b: Uint8Array): boolean {
  return b.byteOffset % 4 === 0;
}
