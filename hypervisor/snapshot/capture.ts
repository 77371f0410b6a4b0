/**
 * Taking a snapshot of a VM on any host (core's Guest: native or hosted):
 * its state and a copy of its memory.
 *
 *   paused  pause, copy every page, save the state, resume (or not): the
 *           guest is stopped for the whole copy
 *   live    copy every page while the guest runs, with the dirty log on;
 *           then, round by round, copy again what it dirtied meanwhile
 *           until a round is small (or MAX_ROUNDS); then pause for the last
 *           dirty pages and the state — pre-copy migration, into a buffer
 *
 * Either way what is copied is the memory as it was at the pause, exactly:
 * a page dirtied after its copy is in the next round's log.
 */
import type { Guest } from '../core/host.js';
import type { VmState } from '../core/state.js';
import { PAGE_SHIFT } from '../../vm/memmap.js';

/** Bytes of the first live copy taken between two turns of the event loop. */
const COPY_SLICE = 2 << 20;

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Rounds of live copying before the rest is taken paused. */
export const MAX_ROUNDS = 8;
/** A round that found this few dirty pages is the last one taken running. */
export const SMALL_ROUND = 32;

export interface CaptureOptions {
  readonly live: boolean;
  /** How to stop the guest (the daemon also moves its lifecycle); default guest.pause(). */
  readonly pause?: () => Promise<void>;
}

export interface Capture {
  readonly state: VmState;
  /** Guest RAM as it was at the pause. */
  readonly memory: Uint8Array;
  /** Live rounds after the first full copy (0 when paused for the whole copy). */
  readonly rounds: number;
  /** Pages copied in all (a page dirtied during a live copy is copied again). */
  readonly pagesCopied: number;
  /** How long the guest was stopped for the copy, ms. */
  readonly pausedMs: number;
}

/** Something that stops a capture: a guest still loading its memory cannot be copied from here. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
}

/** Copy the guest's state and memory. The guest is left paused: the caller resumes it (or stops it). */
export async function captureGuest(guest: Guest, o: CaptureOptions): Promise<Capture> {
  if (guest.missingCount > 0) throw new CaptureError(`${guest.name} still has ${guest.missingCount} pages to load (restored lazily, or arriving); snapshot it once they are here`);
  const pause = o.pause ?? (() => guest.pause());
  const memory = new Uint8Array(guest.memSize);
  const copy = (pages: readonly number[]): void => {
    for (const p of pages) memory.set(guest.ram.subarray(p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT), p << PAGE_SHIFT);
  };
  let rounds = 0;
  let pagesCopied = guest.pages;
  if (o.live && !guest.paused && guest.outcome() === undefined) {
    await guest.startDirtyLog();
    // The first copy in slices, the event loop turning between them: a native monitor's VMs share this
    // thread, and a 64 MiB copy in one go held them all ~150 ms (what the guest writes meanwhile is in
    // the dirty log for the next round).
    for (let at = 0; at < guest.memSize; at += COPY_SLICE) {
      memory.set(guest.ram.subarray(at, Math.min(guest.memSize, at + COPY_SLICE)), at);
      await yieldToLoop();
    }
    for (; rounds < MAX_ROUNDS; ) {
      // Let the guest run between two rounds (the native monitor shares this thread).
      await new Promise((r) => setTimeout(r, 2));
      const dirty = await guest.takeDirty();
      rounds++;
      copy(dirty);
      pagesCopied += dirty.length;
      if (dirty.length <= SMALL_ROUND) break;
    }
    const t0 = performance.now();
    await pause();
    const last = await guest.takeDirty();
    copy(last);
    pagesCopied += last.length;
    const state = await guest.save('paused');
    return { state, memory, rounds, pagesCopied, pausedMs: performance.now() - t0 };
  }
  const t0 = performance.now();
  await pause();
  memory.set(guest.ram.subarray(0, guest.memSize));
  const state = await guest.save('paused');
  return { state, memory, rounds, pagesCopied, pausedMs: performance.now() - t0 };
}

