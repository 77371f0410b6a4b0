/**
 * Address translation: the TLB in typed arrays, and the page-table walk that
 * refills it.
 *
 * Page tables are two-level, 4 KiB pages, 32-bit PTEs:
 *
 *   virtual address:  [31:22] level-1 index | [21:12] level-0 index | [11:0] offset
 *   PTE:              [31:12] physical page | [6] D | [5] A | [4] U | [3] X | [2] W | [1] R | [0] V
 *
 * A level-1 PTE with V set points at a level-0 table (its R/W/X must be 0: there
 * are no superpages). The walk sets A on every use and D on every store, in the
 * PTE in memory, as hardware does; software that clears them must flush.
 *
 * The TLB is direct-mapped and split three ways: read, write and execute each
 * have a tag array and an offset array. A tag is `(va & ~0xfff) | modeKey`, so one
 * comparison checks the page, the privilege mode it was filled for and — because
 * the interpreter compares `(va & 0xfffff003) | key` for words — alignment too. The
 * offset turns a virtual address into a RAM offset with one addition.
 *
 * Write entries are only installed once the page is marked in the dirty log and
 * its PTE has D set, so the fast path never has to set either; clearing the
 * dirty log empties the write tags (see PhysicalMemory.takeDirtyPages).
 *
 * Pages in the MMIO window never enter the TLB: every device access takes the
 * slow path, which is what lets a monitor trap and emulate them.
 *
 * Contexts (for a monitor, as VPIDs and ASIDs are on real hardware): entries
 * filled in user mode carry `userKey`, which is USER_KEY plus a context number
 * in bits 3..11 (0 unless a monitor sets one with useContext). A monitor runs a
 * guest's user mode and its kernel both in real user mode; giving each its own
 * context lets the TLB keep both sets of entries across the guest's mode
 * switches instead of flushing at each (hypervisor/core/tlb-switch.ts).
 */
import { PTBASE_ENABLE } from '../isa/csr.js';
import { Mode } from './cpu.js';
import { isMmio, PAGE_SHIFT } from './memmap.js';
import type { PhysicalMemory } from './memory.js';
import { Access, FaultReason, PageWalker, permissionFor } from './walk.js';

export { Access, FAULT_REASONS, FaultReason, PageWalker, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X } from './walk.js';

export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

/** Mode key folded into TLB tags: bit 2, clear of the page bits and of the alignment bits 0..1. */
export const USER_KEY = 4;
/** Contexts useContext takes: bits 3..11 of a user-mode tag. */
export const TLB_CONTEXTS = 512;

/** Results of translate() other than a RAM offset. */
export const XLATE_FAULT = -1;
export const XLATE_MMIO = -2;

export class Mmu {
  readonly rTag: Int32Array;
  readonly rOff: Int32Array;
  readonly wTag: Int32Array;
  readonly wOff: Int32Array;
  readonly xTag: Int32Array;
  readonly xOff: Int32Array;

  /** The key of user-mode tags: USER_KEY and the context (useContext). */
  userKey = USER_KEY;

  /** Physical address of the root table; meaningful while `paging`. */
  root = 0;
  paging = false;

  /** Physical address found by the last successful translate() (for MMIO). */
  lastPa = 0;
  lastFault: FaultReason = FaultReason.NONE;

  walks = 0;
  flushes = 0;

  private readonly walker: PageWalker;
  /** A second walker for peek(), so a host-side lookup never disturbs a walk's results. */
  private readonly peeker: PageWalker;

  /**
   * `tables`: the six arrays (rTag, rOff, wTag, wOff, xTag, xOff), TLB_SIZE
   * words each, where another reader needs them — the interpreter core keeps
   * them in its WebAssembly memory (vm/core/wasm-core.ts). By default, its own.
   */
  constructor(
    private readonly memory: PhysicalMemory,
    tables?: readonly [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array],
  ) {
    const t = tables ?? [0, 1, 2, 3, 4, 5].map(() => new Int32Array(TLB_SIZE));
    if (t.some((a) => a.length !== TLB_SIZE)) throw new Error(`TLB arrays must hold ${TLB_SIZE} entries`);
    [this.rTag, this.rOff, this.wTag, this.wOff, this.xTag, this.xOff] = t as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    this.rTag.fill(-1);
    this.wTag.fill(-1);
    this.xTag.fill(-1);
    memory.dirtyClear.subscribe(() => this.wTag.fill(-1));
    this.walker = new PageWalker(memory);
    this.peeker = new PageWalker(memory);
  }

  flush(): void {
    this.rTag.fill(-1);
    this.wTag.fill(-1);
    this.xTag.fill(-1);
    this.flushes++;
  }

  /** Forget the page holding va, in both modes. */
  flushPage(va: number): void {
    const idx = (va >>> PAGE_SHIFT) & TLB_MASK;
    this.rTag[idx] = -1;
    this.wTag[idx] = -1;
    this.xTag[idx] = -1;
    this.flushes++;
  }

  /** Write permission out of the TLB for every page (dirty-log clear, code invalidation). */
  dropWrites(): void {
    this.wTag.fill(-1);
  }

  /** Write permission out of the TLB for one RAM page (it now holds translated code). */
  dropWritesTo(page: number): void {
    const tag = this.wTag;
    const off = this.wOff;
    for (let i = 0; i < TLB_SIZE; i++) {
      if (tag[i] === -1) continue;
      const vbase = tag[i]! & ~0xfff;
      if ((((vbase + off[i]!) >>> 0) >>> PAGE_SHIFT) === page) tag[i] = -1;
    }
  }

  setRoot(ptbase: number): void {
    this.useRoot(ptbase);
    this.flush();
  }

  /** Walk from this root from now on, without a flush: the caller vouches for the entries the TLB holds. */
  useRoot(ptbase: number): void {
    this.paging = (ptbase & PTBASE_ENABLE) !== 0;
    this.root = ptbase & ~0xfff;
  }

  /**
   * Tag user-mode entries with this context from now on (0 .. TLB_CONTEXTS-1).
   * Entries of other contexts stay, and match again once theirs is back.
   */
  useContext(context: number): void {
    this.userKey = USER_KEY | ((context & (TLB_CONTEXTS - 1)) << 3);
  }

  /**
   * Translate va for an access in a mode. Returns a RAM offset (and fills the
   * TLB), XLATE_MMIO (lastPa holds the device address) or XLATE_FAULT
   * (lastFault says why). Does not check alignment.
   */
  translate(va: number, access: Access, mode: Mode): number {
    va >>>= 0;
    const user = mode === Mode.USER;
    let pa: number;
    const w = this.walker;
    if (!this.paging) {
      pa = va;
      w.pteOff = -1;
    } else {
      this.walks++;
      if (!w.walk(this.root, va, permissionFor(access), user)) return this.fault(w.fault);
      pa = w.pa;
    }

    if (isMmio(pa)) {
      if (user) return this.fault(FaultReason.DEVICE_FROM_USER);
      this.lastPa = pa;
      w.markUsed(access === Access.WRITE);
      return XLATE_MMIO;
    }
    const off = this.memory.offsetOf(pa);
    if (off < 0) return this.fault(FaultReason.NO_MEMORY);
    w.markUsed(access === Access.WRITE);

    // Fill the TLB entry for this access kind. Offsets are stored relative to
    // the virtual page base so the fast path is one addition.
    const idx = (va >>> PAGE_SHIFT) & TLB_MASK;
    const key = user ? this.userKey : 0;
    const tag = ((va & ~0xfff) | key) | 0;
    const delta = (off - va) | 0; // va + delta ≡ off (mod 2^32), for every va in the page
    if (access === Access.READ) {
      this.rTag[idx] = tag;
      this.rOff[idx] = delta;
    } else if (access === Access.WRITE) {
      // The page is now dirty: log it before anything can store through the TLB.
      const page = off >>> PAGE_SHIFT;
      this.memory.dirty[page] = 1;
      const code = this.memory.code;
      if (code !== undefined && code[page] === 1) {
        // Translated code lives here: this store makes it stale. Every store to
        // a code page comes this way (it never gets a TLB write entry).
        this.memory.codeWrite.emit(page);
      } else {
        this.wTag[idx] = tag;
        this.wOff[idx] = delta;
      }
    } else {
      this.xTag[idx] = tag;
      this.xOff[idx] = delta;
    }
    this.lastPa = pa;
    this.lastFault = FaultReason.NONE;
    return off;
  }

  /**
   * Walk without side effects: the physical address va maps to, or -1. For
   * the host (syscall buffers), debuggers and monitors. `need` is the PTE
   * permission bits the access requires (PTE_R, PTE_W…), 0 for any.
   */
  peek(va: number, mode: Mode = Mode.SUPERVISOR, need = 0): number {
    va >>>= 0;
    if (!this.paging) return va;
    return this.peeker.walk(this.root, va, need, mode === Mode.USER) ? this.peeker.pa : -1;
  }

  private fault(reason: FaultReason): number {
    this.lastFault = reason;
    return XLATE_FAULT;
  }
}
