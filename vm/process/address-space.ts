/**
 * One user program's address space, built from the host side: page tables in
 * the machine's RAM (PageTable over a FrameAllocator), the stack, and the heap
 * that `brk` moves.
 *
 *   0x0000_0000 ┬──────────────────────────┐
 *               │ unmapped: null pointers  │
 *   0x0000_1000 ├──────────────────────────┤ USER_TEXT_BASE
 *               │ sections at their link   │ .text R+X, .data/.bss R+W,
 *               │ addresses                │ read-only data R
 *               ├──────────────────────────┤ heapStart: first page after them
 *               │ heap ↓ (brk)             │
 *               │          …               │
 *               ├──────────────────────────┤ HEAP_LIMIT
 *               │ guard page (unmapped)    │ brk never maps it
 *   0x7ffe_f000 ├──────────────────────────┤ STACK_BOTTOM
 *               │ stack ↑ (64 KiB, R+W)    │
 *   0x7fff_f000 ├──────────────────────────┤ USER_STACK_TOP: sp at entry
 *               │ guard page (unmapped)    │
 *   0x8000_0000 ┴──────────────────────────┘ USER_LIMIT: nothing above
 *
 * Every user page is mapped with PTE_U; the page tables themselves live in
 * RAM frames no user PTE points at, so the program cannot see or change them.
 */
import { USER_STACK_SIZE, USER_STACK_TOP } from '../../isa/syscalls.js';
import { PAGE_SIZE, RAM_BASE } from '../memmap.js';
import type { PhysicalMemory } from '../memory.js';
import type { Mmu } from '../mmu.js';
import { PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from '../mmu.js';
import { FrameAllocator, OutOfMemoryError, PageTable } from '../pagetable.js';

export const STACK_BOTTOM = USER_STACK_TOP - USER_STACK_SIZE;
/** The heap may grow up to here: one unmapped page below the stack catches an overflow. */
export const HEAP_LIMIT = STACK_BOTTOM - PAGE_SIZE;

export const pageDown = (va: number): number => (va & ~(PAGE_SIZE - 1)) >>> 0;
export const pageUp = (va: number): number => Math.ceil((va >>> 0) / PAGE_SIZE) * PAGE_SIZE;

const PERM_BITS = PTE_R | PTE_W | PTE_X;

/** `r-x`, `rw-`… for a PTE, as reports show it. */
export function permString(pte: number): string {
  return `${pte & PTE_R ? 'r' : '-'}${pte & PTE_W ? 'w' : '-'}${pte & PTE_X ? 'x' : '-'}`;
}

export class AddressSpace {
  readonly frames: FrameAllocator;
  readonly table: PageTable;
  /** Lowest address the heap may have (its break never goes below). */
  heapStart = 0;
  /** The program break: the end of the heap, exactly as the program last set it. */
  brk = 0;

  constructor(private readonly memory: PhysicalMemory, private readonly mmu: Mmu) {
    this.frames = new FrameAllocator(memory, RAM_BASE, RAM_BASE + memory.size);
    this.table = new PageTable(memory, this.frames);
  }

  /**
   * Map [va, va+len) with user permission `perms` (PTE_R/W/X). A page that is
   * already mapped keeps its frame and gains the permissions: two sections
   * that share a page both get what each needs. Throws OutOfMemoryError,
   * leaving pages mapped so far in place (the loader gives up on the whole
   * space then).
   */
  map(va: number, len: number, perms: number): void {
    for (let p = pageDown(va); p < va + len; p += PAGE_SIZE) {
      const old = this.table.pte(p);
      const pa = (old & PTE_V) !== 0 ? pageDown(old) : this.frames.alloc();
      this.table.map(p, pa, (old & PERM_BITS) | perms | PTE_U);
    }
    this.mmu.flush();
  }

  /** Unmap the pages of [va, va+len), give their frames back and forget them in the TLB. */
  unmap(va: number, len: number): void {
    for (let p = pageDown(va); p < va + len; p += PAGE_SIZE) {
      const pte = this.table.pte(p);
      if ((pte & PTE_V) === 0) continue;
      this.table.unmap(p);
      this.frames.release(pageDown(pte));
      this.mmu.flushPage(p);
    }
  }

  /** Copy bytes to mapped pages regardless of their permissions (the loader filling .text). */
  copyIn(va: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const a = (va + done) >>> 0;
      const n = Math.min(bytes.length - done, PAGE_SIZE - (a % PAGE_SIZE));
      this.memory.write(pageDown(this.table.pte(a)) + (a % PAGE_SIZE), bytes.subarray(done, done + n));
      done += n;
    }
  }

  /** The leaf PTE for va (0 if unmapped): permissions for reports. */
  pte(va: number): number {
    return this.table.pte(va);
  }

  mapStack(): void {
    this.map(STACK_BOTTOM, USER_STACK_SIZE, PTE_R | PTE_W);
  }

  /** Start the heap (empty) at the first page boundary at or above `end`. */
  startHeap(end: number): void {
    this.heapStart = pageUp(end);
    this.brk = this.heapStart;
  }

  /**
   * The brk system call: move the break to `addr` (0 asks). Pages the heap
   * gains are fresh and zeroed; pages it loses go back to the allocator.
   * Refusing — below the heap's start, into the stack's guard page, or more
   * than RAM holds — leaves the break where it was and returns it.
   */
  setBreak(addr: number): number {
    const want = addr >>> 0;
    if (want === 0 || want < this.heapStart || want > HEAP_LIMIT) return this.brk;
    const have = pageUp(this.brk);
    const need = pageUp(want);
    if (need > have) {
      const fresh: number[] = [];
      try {
        for (let p = have; p < need; p += PAGE_SIZE) {
          const pa = this.frames.alloc();
          try {
            this.table.map(p, pa, PTE_R | PTE_W | PTE_U); // may need a frame for a leaf table
          } catch (err) {
            this.frames.release(pa);
            throw err;
          }
          fresh.push(p);
        }
      } catch (err) {
        if (!(err instanceof OutOfMemoryError)) throw err;
        for (const p of fresh) this.unmap(p, PAGE_SIZE);
        return this.brk;
      }
    } else if (need < have) {
      this.unmap(need, have - need);
    }
    this.brk = want;
    return want;
  }
}
