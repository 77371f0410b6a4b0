/**
 * Bringing a snapshot back into a VM on any host (core's Guest). The guest is
 * created empty and paused, every page missing — as an incoming migration's
 * is — and then filled:
 *
 *   eager  every page written from the file, the state restored; the guest
 *          resumes with all its memory
 *   lazy   the state restored and only the zero pages marked present: the
 *          guest resumes at once, and a page it touches that is not here yet
 *          stalls it until the page is read from the file (the post-copy
 *          machinery, with the file in place of the source); a background
 *          loader reads the rest meanwhile, a few milliseconds' worth per turn of the event loop
 *
 * Each page read lazily is checked against its CRC in the file's memory map;
 * a corrupt one stops the loading and is reported (the guest cannot go on
 * without it: the daemon stops it as failed, with the page and offset).
 */
import type { Guest } from '../core/host.js';
import { readPage } from './snapshot-format.js';
import type { SnapshotFile } from './snapshot-file.js';

/** Write every page and restore the state; the guest stays paused. */
export async function fillEager(guest: Guest, file: SnapshotFile): Promise<void> {
  checkFits(guest, file);
  const s = file.contents;
  for (let p = 0; p < s.pages; p++) guest.writePage(p, readPage(file.src, s, p));
  await guest.restore(s.state);
}

/**
 * How long the background loader reads pages in one turn of the event loop
 * (ms): long enough that a busy loop (a daemon's native monitor takes turns of
 * its own) still loads quickly, short enough not to hold the guests up.
 */
export const LAZY_TURN_MS = 4;

export interface LazyLoad {
  /** Resolves when every page is here (or the loading stopped); the file is closed then. */
  readonly done: Promise<LazyStats>;
  /** Stop loading (the guest was removed); closes the file. */
  stop(): void;
}

export interface LazyStats {
  /** Pages read because the guest touched them first. */
  readonly onDemand: number;
  /** Pages read by the background loader. */
  readonly background: number;
  /** Every page is here (false: stopped early, because of an error or the VM went away). */
  readonly complete: boolean;
  /** Why loading stopped early, if a page could not be read. */
  readonly error?: Error;
}

/**
 * Restore the state with only the zero pages present, and start loading the
 * rest on demand and in the background. The guest stays paused: resume it
 * once this resolves. `onError` is told of a page that cannot be read;
 * `alive` says whether the guest is still there to load pages for.
 */
export async function startLazy(guest: Guest, file: SnapshotFile, onError: (e: Error) => void, alive: () => boolean = () => true): Promise<LazyLoad> {
  checkFits(guest, file);
  const s = file.contents;
  for (let p = 0; p < s.pages; p++) if (s.present[p] === 0) guest.writePage(p, undefined);
  await guest.restore(s.state);
  let onDemand = 0;
  let background = 0;
  let stopped = false;
  let finish: (stats: LazyStats) => void = () => {};
  const done = new Promise<LazyStats>((r) => (finish = r));
  const end = (error?: Error): void => {
    if (stopped) return;
    stopped = true;
    guest.onMissingPage = undefined;
    file.close();
    finish({ onDemand, background, complete: guest.missingCount === 0, ...(error ? { error } : {}) });
    if (!error) return;
    try {
      onError(error);
    } catch {
      // (a loader runs from the event loop: a failing handler must not take the host down with it)
    }
  };
  /** Load page p if it is still missing; false once loading has stopped. */
  const load = (p: number): boolean => {
    if (stopped) return false;
    if (guest.missing?.[p] !== 1) return true;
    try {
      guest.writePage(p, readPage(file.src, s, p));
      return true;
    } catch (e) {
      end(e as Error);
      return false;
    }
  };
  guest.onMissingPage = (p) => {
    if (load(p)) onDemand++;
  };
  let next = 0;
  const step = (): void => {
    if (stopped) return;
    if (!alive()) return end(); // the VM was stopped or removed: nothing to load it for
    const until = performance.now() + LAZY_TURN_MS;
    for (let n = 0; next < s.pages; next++) {
      if (guest.missing?.[next] !== 1) continue;
      if (!load(next)) return;
      background++;
      // (the clock is read every 64 pages: reading it costs more than a page)
      if ((++n & 63) === 0 && performance.now() >= until) {
        next++;
        break;
      }
    }
    if (next >= s.pages || guest.missingCount === 0) end();
    else setImmediate(step);
  };
  setImmediate(step);
  return { done, stop: () => end() };
}

function checkFits(guest: Guest, file: SnapshotFile): void {
  if (guest.memSize !== file.contents.info.memSize) throw new Error(`${guest.name} has ${guest.memSize} bytes of RAM; the snapshot ${file.path} holds ${file.contents.info.memSize}`);
}
