/**
 * How a VM sits in a machine's RAM, for every monitor: its shadow-table
 * frames (monitor memory, never mapped into the guest), then its window of
 * guest-physical RAM. The native monitor places many such extents in one
 * machine; the hosted monitor one per worker thread, at offset 0.
 */
import { PAGE_SIZE, RAM_BASE } from '../../vm/memmap.js';
import type { PhysicalMemory } from '../../vm/memory.js';
import { FrameAllocator } from '../../vm/pagetable.js';
import { ShadowPager } from './shadow.js';

/** Shadow-table frames per VM: enough for a kernel and a few processes' tables. */
export const DEFAULT_SHADOW_PAGES = 512;

/** Bytes of machine RAM a VM of `memSize` takes with its shadow frames. */
export function vmFootprint(memSize: number, shadowPages = DEFAULT_SHADOW_PAGES): number {
  return shadowPages * PAGE_SIZE + memSize;
}

export interface VmPlacement {
  /** Guest-physical RAM: a window of the machine's RAM. */
  readonly window: PhysicalMemory;
  readonly shadow: ShadowPager;
}

/**
 * The window and shadow pager of a VM whose shadow frames start at RAM
 * offset `shadowAt` and whose RAM starts at `windowAt`.
 */
export function placeVm(host: PhysicalMemory, shadowAt: number, windowAt: number, memSize: number, shadowPages = DEFAULT_SHADOW_PAGES): VmPlacement {
  const pool = new FrameAllocator(host, RAM_BASE + shadowAt, RAM_BASE + shadowAt + shadowPages * PAGE_SIZE);
  const window = host.window(windowAt, memSize);
  linkCode(window, host, windowAt / PAGE_SIZE);
  return { window, shadow: new ShadowPager(host, pool, window, RAM_BASE + windowAt) };
}

/**
 * Host writes into a VM's window (loading an image, DMA, pages arriving by
 * migration) must drop any translated code the host holds for those pages —
 * a reused window may hold a previous guest's.
 */
function linkCode(window: PhysicalMemory, host: PhysicalMemory, firstPage: number): void {
  const code = host.code;
  if (code === undefined) return;
  window.code = code.subarray(firstPage, firstPage + window.pages);
  window.codeWrite.subscribe((page) => host.codeWrite.emit(firstPage + page));
}
