/**
 * Shadow page tables: the tables the real MMU walks while a guest runs.
 *
 * A guest kernel builds page tables that map its virtual addresses to what it
 * believes are physical addresses (guest-physical). The real MMU cannot use
 * them: guest-physical is not host-physical, and the guest kernel runs in real
 * user mode, so its own pages (no U bit) would fault. The monitor keeps, per
 * guest address space and per virtual mode, a shadow table mapping
 * guest-virtual straight to host-physical, every page marked U, with at most
 * the permissions the guest's PTE grants:
 *
 *   guest VA ──guest tables (guest memory)──▶ guest PA ──window──▶ host PA
 *   guest VA ─────────────shadow table (monitor frames)──────────▶ host PA
 *
 * Shadows are filled lazily. A real fault comes to the monitor; it walks the
 * guest's tables by the hardware's rules (vm/walk.ts). If the guest would have
 * faulted, the fault is the guest's ("reflected"); otherwise the monitor sets
 * A (and D) in the guest PTE as hardware would, installs the shadow entry and
 * retries ("hidden"). Write permission is installed only once D is set, so the
 * first store to a clean page still comes here and sets D.
 *
 * Two shadows per address space, one per virtual mode: in virtual user mode
 * only the guest's U pages are mapped, so a guest program cannot reach its
 * kernel's memory even though both run in real user mode.
 *
 * Coherence follows the TLB contract the guest already keeps with hardware: a
 * shadow is a cache of translations, dropped by tlbflush and by writes to
 * ptbase. To keep context switches cheap, shadows of recently used address
 * spaces are kept, and each entry remembers the guest PDE and PTE it came
 * from; when an address space becomes current again, every entry whose guest
 * entries changed is dropped — exactly what a full TLB flush plus re-walk
 * would give, for the cost of two reads per cached page.
 *
 * Isolation: a shadow entry only ever points into this VM's window of host
 * RAM; a guest PTE naming anything else is no memory to the guest.
 *
 * Post-copy migration: while some of the guest's pages are still on the
 * source, `missing` marks them. A walk that would read a missing page-table
 * page, or map a missing data page, does neither: it answers MISSING and the
 * vCPU stalls until the page is here. Since a shadow entry is only ever
 * installed for a page that has arrived, the guest cannot see a hole.
 */
import { PTBASE_ENABLE } from '../../isa/csr.js';
import { Mode } from '../../vm/cpu.js';
import { isMmio, PAGE_SIZE, RAM_BASE } from '../../vm/memmap.js';
import type { PhysicalMemory } from '../../vm/memory.js';
import { OutOfMemoryError, PageTable, type FrameAllocator, type FrameSource } from '../../vm/pagetable.js';
import { FaultReason, PageWalker, PTE_A, PTE_D, PTE_R, PTE_U, PTE_W, PTE_X } from '../../vm/walk.js';

/** How many address-space shadows (per mode) a VM keeps. */
export const SHADOW_CACHE_SETS = 16;

/** What a guest walk decided for a faulting access. */
export const enum GuestWalk {
  /** Mapped in guest RAM: a shadow entry was installed; retry the access. */
  HIDDEN = 0,
  /** The guest's own tables say fault: reflect it to the guest kernel. */
  GUEST_FAULT = 1,
  /** Mapped to the guest's device window: emulate the access. */
  MMIO = 2,
  /**
   * The walk needs a page that is still on a migration source (post-copy):
   * a data page or one of the guest's own page-table pages. Nothing was
   * installed or set; the vCPU waits for `waitingFor`, then retries.
   */
  MISSING = 3,
}

interface ShadowEntry {
  /** Guest-memory offsets and values of the PDE/PTE the entry was derived from (-1: paging off). */
  readonly pdeOff: number;
  readonly pde: number;
  readonly pteOff: number;
  pte: number;
}

class ShadowSet {
  readonly entries = new Map<number, ShadowEntry>();
  /** The pager's flush epoch when this set was last checked against the guest's tables. */
  verified = 0;
  constructor(readonly key: number, readonly table: PageTable, readonly frames: number[]) {}
}

/**
 * A shadow's key: the guest root | 2 | mode with paging on, the mode alone
 * with it off — a number, because a string built per world switch (every
 * syscall switches twice) showed up in the syscall benchmark's profile. The
 * other mode's shadow of the same address space is `key ^ 1`.
 */
function shadowKey(guestPtbase: number, mode: Mode): number {
  return (guestPtbase & PTBASE_ENABLE) !== 0 ? ((guestPtbase & ~0xfff) | 2 | mode) : mode;
}

/** Monitor frames for one shadow table, remembering which it took so they can all go back. */
class TrackingFrames implements FrameSource {
  constructor(private readonly pool: FrameAllocator, readonly taken: number[]) {}
  alloc(): number {
    const f = this.pool.alloc();
    this.taken.push(f);
    return f;
  }
  release(pa: number): void {
    this.pool.release(pa);
  }
}

export class ShadowPager {
  private readonly sets = new Map<number, ShadowSet>();
  private active: ShadowSet | undefined;
  /** The set active before it (a mode switch goes back to it). */
  private previous: ShadowSet | undefined;
  private readonly walker: PageWalker;
  private epoch = 1;
  /** Guest-physical address the last walk resolved to (for MMIO emulation). */
  lastGpa = 0;
  lastFault: FaultReason = FaultReason.NONE;
  /**
   * Post-copy: 1 for each guest-physical page (RAM page number) not here yet;
   * undefined when every page is here. Consulted before any guest memory a
   * walk would read or map, so a page that has not arrived is never seen.
   */
  missing: Uint8Array | undefined;
  /** The missing page the last MISSING walk needs (the vCPU stalls on it), or -1. */
  waitingFor = -1;

  /** Some shadow entry or whole shadow was given up since the last takeDiscarded(). */
  private discarded = true;

  // statistics
  hidden = 0;
  reflected = 0;
  dropped = 0;
  setsBuilt = 0;

  /**
   * @param host   the real machine's RAM (shadow tables live there)
   * @param pool   monitor frames for shadow tables
   * @param guest  the VM's guest-physical memory (a window of host RAM)
   * @param guestHostBase host-physical address of guest-physical RAM_BASE
   */
  constructor(
    private readonly host: PhysicalMemory,
    private readonly pool: FrameAllocator,
    private readonly guest: PhysicalMemory,
    private readonly guestHostBase: number,
  ) {
    this.walker = new PageWalker(guest);
  }

  /**
   * Make the shadow for this guest address space and virtual mode current,
   * building it or checking a cached one. Returns the real ptbase to load.
   */
  activate(guestPtbase: number, mode: Mode): number {
    const key = shadowKey(guestPtbase, mode);
    let set = this.sets.get(key);
    // A system call's two switches (the trap in, the sret out) take turns between the two
    // sets used last, already the last two in LRU order: nothing to reorder or check.
    if (set !== undefined && set.verified === this.epoch && (set === this.active || set === this.previous)) {
      if (set !== this.active) {
        this.previous = this.active;
        this.active = set;
      }
      return (set.table.root | PTBASE_ENABLE) >>> 0;
    }
    if (set) {
      this.sets.delete(key); // re-insert: Map order is our LRU order
      // Only a ptbase write or a whole flush since the last check makes entries
      // suspect; a plain mode switch (a trap, an sret) keeps the TLB on hardware too.
      if (set.verified !== this.epoch) this.verify(set);
    } else {
      set = this.build(key);
    }
    set.verified = this.epoch;
    this.sets.set(key, set);
    if (this.active !== set) this.previous = this.active;
    this.active = set;
    return (set.table.root | PTBASE_ENABLE) >>> 0;
  }

  /**
   * A real fault at va in the current address space: walk the guest's tables
   * as the hardware would for (need, mode), and install a shadow entry if the
   * guest maps the page to RAM.
   */
  resolve(va: number, guestPtbase: number, need: number, mode: Mode, store: boolean): GuestWalk {
    const user = mode === Mode.USER;
    const w = this.walker;
    let gpa: number;
    let pteBits: number;
    if (this.missing !== undefined && (guestPtbase & PTBASE_ENABLE) !== 0) {
      const table = this.missingTable((guestPtbase & ~0xfff) >>> 0, va >>> 0);
      if (table >= 0) return this.stall(table);
    }
    if ((guestPtbase & PTBASE_ENABLE) === 0) {
      gpa = va >>> 0;
      pteBits = PTE_R | PTE_W | PTE_X | PTE_D;
      w.pdeOff = -1;
      w.pteOff = -1;
    } else {
      if (!w.walk((guestPtbase & ~0xfff) >>> 0, va >>> 0, need, user)) {
        this.lastFault = w.fault;
        this.reflected++;
        return GuestWalk.GUEST_FAULT;
      }
      gpa = w.pa;
      pteBits = w.pte;
    }
    this.lastGpa = gpa;
    const off = this.guest.offsetOf(gpa);
    if (off < 0) {
      // Not guest RAM: a device page (emulated, never mapped), or nothing at all.
      if (isMmio(gpa) && !user) {
        w.markUsed(store);
        return GuestWalk.MMIO;
      }
      this.lastFault = user && isMmio(gpa) ? FaultReason.DEVICE_FROM_USER : FaultReason.NO_MEMORY;
      this.reflected++;
      return GuestWalk.GUEST_FAULT;
    }
    if (this.missing !== undefined && this.missing[off >>> 12] === 1) return this.stall(off >>> 12);
    w.markUsed(store);
    if (w.pteOff >= 0) pteBits = w.pte;
    this.install(va, off, pteBits);
    if (w.pteOff < 0) this.installIdentity(va);
    this.hidden++;
    return GuestWalk.HIDDEN;
  }

  /**
   * Paging off: the rest of guest RAM in va's 4 MiB (one shadow level-0
   * table) mapped at once, as the first fault there would find each page.
   * With paging off every RAM address is the guest's, so nothing is mapped
   * that a fault would not map; a page still missing (post-copy) is left to
   * fault. Why: the guest kernel's boot touches every page of RAM with paging
   * off (its page pool), one hidden fault per page: 4,200 of a 16 MiB guest's
   * 4,300, and 115 with this. Its boot (the syscalls kernel making one call)
   * took 1.61–1.77× its bare CPU time, 1.39–1.49× with this (single-threaded
   * node, three interleaved pairs of 7 runs).
   */
  private installIdentity(va: number): void {
    const set = this.active!;
    const first = (va & ~0x3fffff) >>> 0;
    for (let page = first; page < first + 0x400000; page += PAGE_SIZE) {
      const off = this.guest.offsetOf(page);
      if (off < 0 || set.entries.has(page >>> 12) || this.missing?.[off >>> 12] === 1) continue;
      this.install(page, off, PTE_R | PTE_W | PTE_X | PTE_D);
    }
  }

  /** tlbflush of one page: forget it in the current address space, both modes. */
  flushPage(va: number): void {
    const active = this.active;
    if (!active) return;
    this.drop(active, va >>> 12);
    const other = this.sets.get(active.key ^ 1);
    if (other) this.drop(other, va >>> 12);
  }

  /**
   * The guest wrote ptbase (or flushed everything): on hardware the whole TLB is
   * gone, so every cached shadow must be checked against the guest's tables
   * before it is used again.
   */
  flushEpoch(): void {
    this.epoch++;
  }

  /** tlbflush of everything: the current address space's shadows start empty. */
  flushAll(): void {
    this.epoch++;
    const active = this.active;
    if (!active) return;
    for (const set of [active, this.sets.get(active.key ^ 1)]) if (set) for (const vpn of [...set.entries.keys()]) this.drop(set, vpn);
  }

  /**
   * Whether any shadow entry (or a whole shadow) was given up since the last
   * call: the real TLB may still hold what it mapped, and must be flushed.
   */
  takeDiscarded(): boolean {
    const d = this.discarded;
    this.discarded = false;
    return d;
  }

  /** Forget every shadow (restore, migration): frames go back to the pool. */
  reset(): void {
    this.discarded = true;
    for (const set of this.sets.values()) for (const f of set.frames) this.pool.release(f);
    this.sets.clear();
    this.active = undefined;
    this.previous = undefined;
  }

  /** Frames the shadows hold now. */
  get framesInUse(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.frames.length;
    return n;
  }

  /** The first page of guest RAM in [gpa, gpa+len) still missing, or -1. */
  firstMissing(gpa: number, len: number): number {
    const m = this.missing;
    if (m === undefined || len <= 0) return -1;
    const first = (gpa >>> 0) - RAM_BASE;
    const last = first + len - 1;
    for (let p = Math.max(0, Math.floor(first / PAGE_SIZE)); p <= Math.min(m.length - 1, Math.floor(last / PAGE_SIZE)); p++) if (m[p] === 1) return p;
    return -1;
  }

  // ---- internals -----------------------------------------------------------

  private stall(page: number): GuestWalk {
    this.waitingFor = page;
    return GuestWalk.MISSING;
  }

  /**
   * The guest page-table page (level 1, then level 0) a walk of va would read
   * that is still missing, or -1. Checked before walking: a walk through a
   * table that has not arrived would read zeros and fault the guest wrongly.
   */
  private missingTable(root: number, va: number): number {
    const m = this.missing!;
    const g = this.guest;
    const l1 = g.offsetOf(root + ((va >>> 22) << 2), 4);
    if (l1 < 0) return -1;
    if (m[l1 >>> 12] === 1) return l1 >>> 12;
    const pde = g.i32[l1 >>> 2]!;
    if ((pde & 1) === 0 || (pde & (PTE_R | PTE_W | PTE_X)) !== 0) return -1;
    const l0 = g.offsetOf(((pde & ~0xfff) >>> 0) + (((va >>> 12) & 0x3ff) << 2), 4);
    return l0 >= 0 && m[l0 >>> 12] === 1 ? l0 >>> 12 : -1;
  }

  private build(key: number): ShadowSet {
    // Keep the cache bounded; evict the least recently used address space.
    while (this.sets.size >= SHADOW_CACHE_SETS) this.evictOldest();
    const taken: number[] = [];
    const table = new PageTable(this.host, new TrackingFrames(this.pool, taken));
    this.setsBuilt++;
    return new ShadowSet(key, table, taken);
  }

  private evictOldest(): void {
    const oldest = this.sets.keys().next();
    if (oldest.done) return;
    const set = this.sets.get(oldest.value)!;
    this.sets.delete(oldest.value);
    this.discarded = true;
    for (const f of set.frames) this.pool.release(f);
    if (this.active === set) this.active = undefined;
    if (this.previous === set) this.previous = undefined;
  }

  private install(va: number, guestOff: number, pteBits: number): void {
    const set = this.active!;
    const hpa = this.guestHostBase + guestOff - (guestOff & 0xfff);
    // Write only once the guest PTE is dirty, so the first store comes back here to set D.
    let flags = PTE_U | PTE_A | PTE_D;
    if ((pteBits & PTE_R) !== 0) flags |= PTE_R;
    if ((pteBits & PTE_X) !== 0) flags |= PTE_X;
    if ((pteBits & PTE_W) !== 0 && (pteBits & PTE_D) !== 0) flags |= PTE_W;
    for (let attempt = 0; ; attempt++) {
      try {
        set.table.map(va & ~0xfff, hpa, flags);
        break;
      } catch (e) {
        if (!(e instanceof OutOfMemoryError) || attempt > 0 || this.sets.size <= 1) throw e;
        // Out of shadow frames: give up every other cached address space, then retry.
        this.discarded = true;
        for (const k of [...this.sets.keys()]) if (this.sets.get(k) !== set) {
          const other = this.sets.get(k)!;
          this.sets.delete(k);
          if (this.previous === other) this.previous = undefined;
          for (const f of other.frames) this.pool.release(f);
        }
      }
    }
    const w = this.walker;
    set.entries.set(va >>> 12, { pdeOff: w.pdeOff, pde: w.pde, pteOff: w.pteOff, pte: w.pteOff >= 0 ? w.pte : 0 });
  }

  /** Drop every entry whose guest PDE or PTE changed since it was derived. */
  private verify(set: ShadowSet): void {
    const g = this.guest.i32;
    for (const [vpn, e] of set.entries) {
      if (e.pteOff < 0) continue; // paging off: identity, never stale
      if (g[e.pdeOff >>> 2] !== e.pde || g[e.pteOff >>> 2] !== e.pte) this.drop(set, vpn);
    }
  }

  private drop(set: ShadowSet, vpn: number): void {
    if (!set.entries.delete(vpn)) return;
    this.discarded = true;
    set.table.unmap(vpn * PAGE_SIZE);
    this.dropped++;
  }
}

