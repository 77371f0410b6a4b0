/**
 * Copying a VM's disk to the destination daemon while the guest runs
 * (`migrate --disk-mode copy`): pre-copy for sectors, from the disk's
 * dirty-sector log (dirty-sectors.ts).
 *
 *   round 0   clear the log, send the whole disk (but pieces of zeros: the
 *             destination's file reads zeros where none came), guest running
 *   round n   send the sectors the guest wrote during round n-1, guest running,
 *             until few are left (STOP_BELOW) or MAX_LIVE_ROUNDS
 *   last      pause the guest, send what it wrote during the last round
 *
 * The guest stays paused from then on: the memory migration that follows
 * moves a paused guest (whatever the strategy) and resumes it at the
 * destination, or here if it aborts. Nothing is written to the source's disk:
 * a copy that fails halfway (the destination died) leaves it as it was.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import type { DirtySectorLog } from './dirty-sectors.js';

/** Sectors per piece: 256 KiB (one migration.disk request). */
export const PIECE_SECTORS = 512;
/** Live rounds end once the guest has written at most this many sectors since the last one (128 KiB). */
export const STOP_BELOW = 256;
/** … or after this many rounds after the first (a guest that writes faster than the link never converges). */
export const MAX_LIVE_ROUNDS = 8;
/**
 * Pieces on the wire at once: one at a time waits a round trip per piece
 * (64 MiB went at 7 MB/s on 127.0.0.1). Each round drains them before the
 * next, so a sector sent again always lands after its earlier copy.
 */
export const WINDOW = 8;

export interface DiskPiece {
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** The first piece: the destination starts the disk over. */
  readonly fresh: boolean;
}

export interface DiskCopyResult {
  /** Sectors sent per round; the last one with the guest paused. */
  readonly rounds: readonly number[];
  readonly bytesSent: number;
  readonly sectorsSent: number;
  readonly liveMs: number;
  /** performance.now() when the guest was paused. */
  readonly pausedAt: number;
}

export async function copyDisk(o: {
  /** The file holding the disk's sectors (read while the guest writes through `log`). */
  readonly file: string;
  readonly log: DirtySectorLog;
  readonly send: (piece: DiskPiece) => Promise<void>;
  /** Stop the guest for the last round. */
  readonly pause: () => Promise<void>;
  readonly onRound?: (round: number, sectors: number, paused: boolean) => void;
}): Promise<DiskCopyResult> {
  const sectors = o.log.sectors;
  const fd = openSync(o.file, 'r');
  const rounds: number[] = [];
  let bytesSent = 0;
  let first = true;
  const inflight: Promise<void>[] = [];
  const drain = async (): Promise<void> => {
    while (inflight.length > 0) await inflight.shift();
  };
  const sendRun = async (sector: number, count: number, skipZeros: boolean): Promise<number> => {
    const bytes = new Uint8Array(count * SECTOR_SIZE);
    for (let got = 0; got < bytes.length; ) {
      const n = readSync(fd, bytes, got, bytes.length - got, sector * SECTOR_SIZE + got);
      if (n === 0) break; // past the end of a short file: zeros
      got += n;
    }
    if (skipZeros && !first && bytes.every((x) => x === 0)) return 0;
    if (first) await o.send({ offset: 0, bytes, fresh: true }); // the destination starts over before any other piece comes
    else {
      const sending = o.send({ offset: sector * SECTOR_SIZE, bytes, fresh: false });
      sending.catch(() => {}); // awaited below (drain); a failure must not go unhandled meanwhile
      inflight.push(sending);
      if (inflight.length >= WINDOW) await inflight.shift();
    }
    first = false;
    bytesSent += bytes.length;
    return count;
  };
  const t0 = performance.now();
  try {
    // Round 0: everything, the log cleared first so whatever the guest writes from now on is sent again.
    o.log.clearAll();
    let sent = 0;
    for (let s = 0; s < sectors; s += PIECE_SECTORS) sent += await sendRun(s, Math.min(PIECE_SECTORS, sectors - s), true);
    await drain();
    rounds.push(sent);
    o.onRound?.(0, sent, false);
    // Dirty rounds while the guest runs (a sector written back to zeros is sent too).
    while (rounds.length <= MAX_LIVE_ROUNDS && o.log.dirtyCount > STOP_BELOW) {
      sent = 0;
      for (const [s, n] of o.log.takeRuns(PIECE_SECTORS)) sent += await sendRun(s, n, false);
      await drain();
      rounds.push(sent);
      o.onRound?.(rounds.length - 1, sent, false);
    }
    const liveMs = performance.now() - t0;
    await o.pause();
    const pausedAt = performance.now();
    sent = 0;
    for (const [s, n] of o.log.takeRuns(PIECE_SECTORS)) sent += await sendRun(s, n, false);
    await drain();
    rounds.push(sent);
    o.onRound?.(rounds.length - 1, sent, true);
    return { rounds, bytesSent, sectorsSent: bytesSent / SECTOR_SIZE, liveMs, pausedAt };
  } finally {
    await Promise.allSettled(inflight); // nothing left on the wire once the copy has failed
    closeSync(fd);
  }
}
