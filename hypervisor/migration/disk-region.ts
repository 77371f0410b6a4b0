/**
 * The guest's disk as a second space the engine migrates beside its memory:
 * 512-byte sectors instead of 4 KiB pages, a dirty-sector log instead of the
 * dirty-page log, SECTORS frames instead of PAGES. Every strategy moves both
 * with the same logic (strategies/*.ts): pre-copy sends the disk's dirty
 * sectors in the same rounds as the dirty pages, while the guest runs, and
 * the last ones with the guest paused; stop-and-copy sends all of it paused;
 * post-copy leaves the sectors on the source and the destination's disk
 * fetches one when the guest reads it (arriving-disk.ts).
 *
 * The source's side is this interface, implemented by whoever owns the disk
 * (the daemon: its dirty-sector log and its file). The engine reads sectors
 * on the thread that serves the guest's disk requests, between two of them,
 * so what it reads is what the guest last wrote; a write that lands after
 * the log was taken marks the sector again, and it is sent again next round.
 */
import { MAX_RUN } from './protocol.js';

export interface SourceDisk {
  /** What the disk is, in the report's words (file, volume, transient). */
  readonly kind: 'file' | 'volume' | 'transient';
  readonly sectors: number;
  /** Forget what was logged: every sector the guest writes from now on is dirty. */
  startLog(): void;
  /** The sectors written since the last call, as runs [first, count] of at most `maxRun`; the log starts again. */
  takeDirty(maxRun: number): Array<readonly [number, number]>;
  /** Sectors written since the log was last taken. */
  readonly dirtyCount: number;
  /** `count` sectors' bytes as they are now (a copy). */
  read(sector: number, count: number): Uint8Array;
}

/** Sectors per SECTORS frame (and at most per run): 256 KiB, as a PAGES frame carries. */
export const BATCH_SECTORS = 512;

/** Every sector of the disk, as runs. */
export function allRuns(sectors: number, maxRun = BATCH_SECTORS): Array<readonly [number, number]> {
  const runs: Array<readonly [number, number]> = [];
  for (let s = 0; s < sectors; s += maxRun) runs.push([s, Math.min(maxRun, sectors - s)]);
  return runs;
}

/** The marked sectors (1 each) as runs of at most `maxRun`. */
export function runsOf(marks: Uint8Array, maxRun = BATCH_SECTORS): Array<readonly [number, number]> {
  const runs: Array<readonly [number, number]> = [];
  const limit = Math.min(maxRun, MAX_RUN);
  for (let s = 0; s < marks.length; ) {
    if (marks[s] === 0) {
      s++;
      continue;
    }
    const first = s;
    while (s < marks.length && marks[s] === 1 && s - first < limit) s++;
    runs.push([first, s - first]);
  }
  return runs;
}

/** These runs as one mark per sector (added to `into` when given). */
export function marksOf(runs: ReadonlyArray<readonly [number, number]>, sectors: number, into?: Uint8Array): Uint8Array {
  const m = into ?? new Uint8Array(sectors);
  for (const [s, n] of runs) m.fill(1, s, Math.min(sectors, s + n));
  return m;
}

/** Sectors in these runs. */
export function sectorCount(runs: ReadonlyArray<readonly [number, number]>): number {
  let n = 0;
  for (const [, c] of runs) n += c;
  return n;
}
