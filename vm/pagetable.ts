/**
 * Building page tables from the host side: the process runtime maps a user
 * program with it, and a monitor builds shadow tables with it. The format is
 * the one the MMU walks (see mmu.ts); frames come from a FrameAllocator.
 */
import { PTBASE_ENABLE } from '../isa/csr.js';
import { PAGE_SIZE } from './memmap.js';
import type { PhysicalMemory } from './memory.js';
import { PTE_R, PTE_V, PTE_W, PTE_X } from './mmu.js';

export class OutOfMemoryError extends Error {
  override readonly name = 'OutOfMemoryError';
}

/** Where a page table gets its frames. */
export interface FrameSource {
  /** A zeroed page frame (physical address); throws OutOfMemoryError. */
  alloc(): number;
  release(pa: number): void;
}

/** Hands out physical page frames from a range of RAM, zeroed. */
export class FrameAllocator implements FrameSource {
  private next: number;
  private readonly free: number[] = [];
  used = 0;

  /** Frames are taken from [start, end) (physical addresses, page-aligned). */
  constructor(private readonly memory: PhysicalMemory, start: number, private readonly end: number) {
    this.next = start;
  }

  alloc(): number {
    const pa = this.free.pop() ?? (this.next < this.end ? (this.next += PAGE_SIZE) - PAGE_SIZE : -1);
    if (pa < 0) throw new OutOfMemoryError('out of physical memory');
    this.memory.fill(pa, PAGE_SIZE, 0);
    this.used++;
    return pa;
  }

  release(pa: number): void {
    this.free.push(pa);
    this.used--;
  }

  get available(): number {
    return this.free.length + Math.max(0, (this.end - this.next) / PAGE_SIZE);
  }
}

/** One two-level address space in physical memory. */
export class PageTable {
  /** Physical address of the root table. */
  readonly root: number;

  constructor(private readonly memory: PhysicalMemory, private readonly frames: FrameSource, root?: number) {
    this.root = root ?? frames.alloc();
  }

  /** The value for the ptbase CSR that turns this table on. */
  get ptbase(): number {
    return (this.root | PTBASE_ENABLE) >>> 0;
  }

  /** Map one page. `flags` are PTE permission bits (R/W/X/U, optionally A/D). */
  map(va: number, pa: number, flags: number): void {
    const l0 = this.leafTable(va, true);
    this.memory.writeWord(l0 + ((va >>> 12) & 0x3ff) * 4, ((pa & ~0xfff) | flags | PTE_V) >>> 0);
  }

  /** Remove the mapping of va; returns the PTE it had (0 if none). The caller flushes the TLB. */
  unmap(va: number): number {
    const l0 = this.leafTable(va, false);
    if (l0 < 0) return 0;
    const slot = l0 + ((va >>> 12) & 0x3ff) * 4;
    const old = this.memory.readWord(slot) >>> 0;
    this.memory.writeWord(slot, 0);
    return old;
  }

  /** The leaf PTE for va, or 0 if none. */
  pte(va: number): number {
    const l0 = this.leafTable(va, false);
    return l0 < 0 ? 0 : this.memory.readWord(l0 + ((va >>> 12) & 0x3ff) * 4) >>> 0;
  }

  /** Allocate fresh zeroed frames for [va, va+len) and map them. */
  mapFresh(va: number, len: number, flags: number): void {
    const first = va & ~0xfff;
    for (let p = first; p < va + len; p += PAGE_SIZE) {
      if (this.pte(p) === 0) this.map(p, this.frames.alloc(), flags);
    }
  }

  private leafTable(va: number, create: boolean): number {
    const slot = this.root + (va >>> 22) * 4;
    let pde = this.memory.readWord(slot);
    if ((pde & PTE_V) === 0) {
      if (!create) return -1;
      const t = this.frames.alloc();
      pde = t | PTE_V;
      this.memory.writeWord(slot, pde);
    }
    return (pde & ~0xfff) >>> 0;
  }
}

export const PERM_RX = PTE_R | PTE_X;
export const PERM_RW = PTE_R | PTE_W;
export const PERM_RWX = PTE_R | PTE_W | PTE_X;
