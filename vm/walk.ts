/**
 * The page-table walk, on its own so that the MMU (filling its TLB) and a
 * monitor (walking a guest's tables in guest memory to build shadow entries)
 * follow the very same rules.
 *
 *   virtual address:  [31:22] level-1 index | [21:12] level-0 index | [11:0] offset
 *   PTE:              [31:12] physical page | [6] D | [5] A | [4] U | [3] X | [2] W | [1] R | [0] V
 *
 * A level-1 PTE with V set points at a level-0 table and must have R, W and X
 * clear (there are no superpages). User mode may only use U pages; supervisor
 * mode may use any. Tables must lie in RAM.
 */
import type { PhysicalMemory } from './memory.js';

export const PTE_V = 1;
export const PTE_R = 2;
export const PTE_W = 4;
export const PTE_X = 8;
export const PTE_U = 16;
export const PTE_A = 32;
export const PTE_D = 64;

export const enum Access {
  READ = 0,
  WRITE = 1,
  EXEC = 2,
}

/** The PTE permission bit an access needs. */
export function permissionFor(access: Access): number {
  return access === Access.READ ? PTE_R : access === Access.WRITE ? PTE_W : PTE_X;
}

/** Why a translation failed (for error reports and the monitors). */
export const enum FaultReason {
  NONE = 0,
  NOT_MAPPED = 1,
  PERMISSION = 2,
  USER_TOUCHED_SUPERVISOR = 3,
  NO_MEMORY = 4,
  BAD_PAGE_TABLE = 5,
  DEVICE_FROM_USER = 6,
}

export const FAULT_REASONS: readonly string[] = [
  'no fault',
  'page not mapped',
  'page does not allow this access',
  'user mode touched a supervisor page',
  'no memory at that physical address',
  'page table points outside memory or has reserved bits',
  'user mode touched a device',
];

/**
 * Walks page tables in one PhysicalMemory. Results are left in fields rather
 * than returned in an object: the MMU walks on every TLB miss.
 */
export class PageWalker {
  /** Physical address the walk found. */
  pa = 0;
  /** RAM offset of the leaf PTE (for setting A/D), or -1. */
  pteOff = -1;
  /** The leaf PTE as read. */
  pte = 0;
  /** RAM offset and value of the level-1 PTE used. */
  pdeOff = -1;
  pde = 0;
  fault: FaultReason = FaultReason.NONE;

  constructor(private readonly memory: PhysicalMemory) {}

  /**
   * Walk from `root` (physical) for va; the leaf must grant every bit in
   * `need` (PTE_R/W/X), and U when `user`. True on success.
   */
  walk(root: number, va: number, need: number, user: boolean): boolean {
    const mem = this.memory;
    const l1 = mem.offsetOf(root + ((va >>> 22) << 2), 4);
    if (l1 < 0) return this.fail(FaultReason.BAD_PAGE_TABLE);
    const pde = mem.i32[l1 >>> 2]!;
    this.pdeOff = l1;
    this.pde = pde;
    if ((pde & PTE_V) === 0) return this.fail(FaultReason.NOT_MAPPED);
    if ((pde & (PTE_R | PTE_W | PTE_X)) !== 0) return this.fail(FaultReason.BAD_PAGE_TABLE);
    const l0 = mem.offsetOf(((pde & ~0xfff) >>> 0) + (((va >>> 12) & 0x3ff) << 2), 4);
    if (l0 < 0) return this.fail(FaultReason.BAD_PAGE_TABLE);
    const pte = mem.i32[l0 >>> 2]!;
    this.pteOff = l0;
    this.pte = pte;
    if ((pte & PTE_V) === 0) return this.fail(FaultReason.NOT_MAPPED);
    if (user && (pte & PTE_U) === 0) return this.fail(FaultReason.USER_TOUCHED_SUPERVISOR);
    if ((pte & need) !== need) return this.fail(FaultReason.PERMISSION);
    this.pa = (((pte >>> 12) << 12) >>> 0) + (va & 0xfff);
    this.fault = FaultReason.NONE;
    return true;
  }

  /**
   * Set A (and D for a store) in the leaf PTE found by the last walk, as the
   * hardware does. The page-table page is logged dirty like any other write.
   */
  markUsed(store: boolean): void {
    const want = store ? PTE_A | PTE_D : PTE_A;
    if (this.pteOff < 0 || (this.pte & want) === want) return;
    this.pte |= want;
    this.memory.i32[this.pteOff >>> 2] = this.pte;
    this.memory.dirty[this.pteOff >>> 12] = 1;
  }

  private fail(reason: FaultReason): boolean {
    this.fault = reason;
    return false;
  }
}
