/**
 * The translation tier: which code pages are hot, their translations, and
 * keeping those translations true to memory.
 *
 * A translation belongs to a physical code page, a virtual page and a mode
 * (its code bakes in absolute pcs and the mode's TLB key). It is found through
 * the execute TLB — the same check the interpreter makes before fetching — so
 * a page that is unmapped, remapped, or no longer executable is never entered
 * through a stale translation.
 *
 * Self-modifying code: while a physical page has translations it is marked in
 * PhysicalMemory.code. Stores to it never get write permission in the TLB, so
 * they take the slow path, which drops the page's translations before storing
 * (and the translated function that stored returns at once). Host writes — the
 * loader, DMA, syscalls — drop them too (PhysicalMemory.markDirty).
 *
 * Hotness: a page is translated after the interpreter has entered it HOT_ENTRIES
 * times. Only the region reachable from the entry points seen is translated; a
 * new entry point re-translates the page (a few times, then the region is kept).
 *
 * Chatty regions: a loop holding several loops is first translated as one
 * function per inner loop (translator.ts: phases of a program — clear, sieve,
 * count — each get a function V8 optimizes for that phase alone), unless its
 * inner loops are all short innermost loops (translator.ts, SHORT_LOOP: a
 * partition's two scans take turns, they are not phases). When the functions
 * of a split nest still hand over to each other every few instructions — a
 * hash lookup's probe and compare loops inside the scan over the text — the
 * page is translated again with each loop nest whole. The test: a window of
 * CHATTY_WINDOW handovers (a region left for another translated region,
 * which then ran) that retired fewer than CHATTY_WINDOW × CHATTY_RUN
 * instructions. Exits to the interpreter (a TLB miss, a trap) are not
 * handovers: a sieve touching 489 fresh pages is not chatty.
 *
 * Measured (CPU time of the process, so the other tenants of this 2-core
 * machine count less; base and change interleaved, 3 processes each, median):
 * - whole nests everywhere against split: qsort 0.49×, wordfreq 0.51×,
 *   bignum 0.67×, queens 0.82× — but sieve 1.41× and matmul 1.47× (their
 *   phase loops, kept whole, deoptimize at each phase change; they enter
 *   their regions every 38,000–190,000 instructions, far above CHATTY_RUN).
 * - one function for the whole page: worse still (wordfreq and bignum 4×
 *   slower than whole nests).
 * - a page still chatty with its nests whole (calls and returns between a
 *   loop and the function around it) made one function: qsort 0.67× the
 *   tier before instead of 0.46×, bintree 1.58×, queens 0.85× instead of
 *   0.88×. Not done: calls and returns across regions stay handovers.
 * - deciding late costs: bignum whole from the first translation 0.62× the
 *   time of bignum made whole after a window (the first optimized code is
 *   thrown away), hence the static SHORT_LOOP rule for the common shape.
 * - the result, with chaining in interpreter.ts, against the tier before:
 *   qsort 0.46×, wordfreq 0.70×, bignum 0.80×, queens 0.88×, the loop
 *   family unchanged within noise (0.99–1.13×, run-to-run spread ±15%).
 *
 * Calls and returns: a `jal` with a link register, inside a loop, to a leaf
 * function (one that makes no calls) in another region of the page is a
 * JavaScript call of that region's function,
 * given the return address (translator.ts, call()). A `jalr` through `ra` to
 * that address is the callee's return: it leaves, and the caller goes on at
 * the return address — but only
 * after checking that the guest's pc really is there, so a callee that
 * rewrote `ra` or its saved copy on the stack (a longjmp, a return past the
 * call site) is followed exactly, never the prediction. A callee that stops
 * short (it left for yet another region, the limit, a TLB miss) is carried on
 * by chain() below, region to region as the interpreter's chain would, until
 * execution reaches the return address; anything that chain cannot go on
 * with unwinds every JavaScript frame to the interpreter with m.jitPc where
 * the guest is. Nesting stops at MAX_CALL_DEPTH (translator.ts), past which
 * a call leaves as before: the host's stack is never at the guest's mercy.
 * Translated code changes neither the TLB nor code pages (those leave it), so
 * nothing a caller's frame assumed can have changed while its callee ran.
 * A call into its own region (a recursion, a helper in the same loop) stays a
 * `continue loop`, and a function whose loop calls is one region with its
 * loop (translator.ts, "Functions first"), so its recursion is one too.
 *
 * Measured (CPU time of whole processes, interleaved, median of 3–7, the
 * machine at load 7–22, so ±15% either way; a build against itself has read
 * 0.93× and 1.19× on bignum in two runs):
 * - a loop calling a five-instruction leaf function 5 M times: 0.45× (262 →
 *   110–120 ms; 10 M region entries → 121).
 * - queens 0.79–0.89× (its column loop calls `place`, now one region with
 *   it: 662,000 handovers → 0); the other real programs and the loops
 *   within noise, their hot regions the same code but for the function's
 *   signature — once the return test is only in regions some call enters
 *   directly: in every `ret` it cost bintree 1.17–1.28× and ackermann
 *   1.08–1.13×; without it bintree 0.92×, ackermann 0.89× (5 each).
 * - tight is bimodal in this tier and the one before alike: about half the
 *   processes run it 4× slower (~60 against ~240 ms; 3 of 6 on each build),
 *   with 600–900 deopts "insufficient type feedback for generic keyed
 *   access" at a region's exit. A single run of it says nothing; what
 *   decides the mode is still to be found.
 * - a callee that calls (bintree's tree loop calling make, count and free,
 *   each a whole recursion) as a direct call: 1.12–1.28× in four runs, with
 *   or without the return address passed, so only leaves are called
 *   directly (bintree 1.03× then).
 * - a call outside any loop runs once or seldom (bignum's and fib's call
 *   from _start): made direct, its write-back and reload of every register
 *   cost the function around it 1.19× on bignum (1.06× without).
 * - not kept: every function one region with its loops (qsort 1.20×, fib
 *   1.35×: a loop that makes no call runs faster in a function of its own);
 *   recursion as JavaScript calls (fib 1.98×, bintree 2.8×, ackermann 1.75×:
 *   a frame and the register write-back and reload cost far more than the
 *   switch's dispatch); every exit to another region of the page a direct
 *   call (qsort 1.46×, wordfreq 1.65×: qsort's partition loop and the
 *   function around it, 71 instructions a turn, run slower as nested calls
 *   than as handovers through the interpreter's chain).
 * - where the time goes now (bench/jit-exits.js, counts): qsort enters a
 *   region every 71 instructions (its partition loop and the function around
 *   it, 583,000 handovers); every other real program once per 2,000–560,000
 *   instructions, so their time is in the regions' own code — the switch's
 *   dispatch at every taken branch, a count check per block, a TLB compare
 *   per access — not between them.
 *
 * Warm-up: at the bench's sizes (20–65 M instructions, a fresh machine per
 * run, so every run translates and V8 compiles anew) most of a real
 * program's time is V8 getting to optimized code, not that code: bintree's
 * main thread takes ~50 ms for a 2 M-instruction tree and ~68 ms for the
 * 34 M one, ackermann ~19 of its ~32 ms (main-thread CPU time read from
 * /proc, in-process like the bench). Part of it was deoptimization at every
 * exit: the priming call below ran before V8 had given the function a
 * feedback vector (it allocates one only after the function has run a while
 * — for a region, inside its first long call), so nothing recorded the
 * register write-back; the loop was optimized (OSR) with no feedback for
 * it, and each exit then deoptimized at the write-back (`R[1] = r1`,
 * "insufficient type feedback for generic keyed access") — 30–130 times a
 * run on ackermann, queens, bignum and bytecode. Priming with one call per
 * PRIME_SOURCE_CHARS of source (at most MAX_PRIMES: the vector comes after
 * an amount of bytecode run proportional to the function's size) leaves
 * 0–2 of those deopts. Measured, main-thread CPU time per in-process run,
 * interleaved, median of 5 processes: ackermann 0.71×, queens 0.81×,
 * bignum 0.85–0.90×, bytecode 0.64–0.94×, qsort, bintree and wordfreq
 * within noise (0.93–1.15×); whole processes at 4–16× the sizes, where the
 * warm-up is a small part, unchanged.
 * - with translator.ts's dense dispatch and int32 count, against the tier
 *   before, the same measure ÷ Lua 5.4's time (os.clock) in the same run:
 *   real programs geomean 0.68 → 0.58 (qsort 0.54 → 0.55, queens 0.88 →
 *   0.71, bintree 0.82 → 0.70, ackermann 0.72 → 0.52, wordfreq 0.52 → 0.51,
 *   bignum 0.71 → 0.66, bytecode 0.62 → 0.46); loops 0.27 → 0.23.
 * - shared between machines (region-cache.ts): the same region's source is
 *   compiled once per process, and the function reads its machine from its
 *   first argument, so a machine that runs code another machine (or an
 *   earlier run) already ran starts on V8's optimized code for it. The bench
 *   builds a fresh machine per run, so its timed runs no longer pay the
 *   warm-up (a process's first run still does). Measured, the bench's
 *   programs section on a quiet machine, ÷ Lua 5.4 in the same run, before
 *   and after: real programs geomean 0.62 → 0.40 (qsort 0.50 → 0.51, queens
 *   0.81 → 0.41, bintree 1.03 → 0.54, ackermann 0.46 → 0.36, wordfreq 0.72
 *   → 0.20, bignum 0.66 → 0.56, bytecode 0.39 → 0.40); loops 0.22 → 0.21.
 *   qsort, which compiles little, gains nothing: its time is in its code.
 *   Generating the regions' source is shared the same way (a page with the
 *   same words, entries and shape): the bench's system-call kernel, a fresh
 *   machine per run, 33.8 → 27 ms a run bare and 48.2 → 37.7 under the
 *   native monitor (in-process, median of 20 after 5).
 * - not kept: capping a new translation's first calls (1024 instructions,
 *   doubling each call) so that they exit, and record the way out, early:
 *   the deopts went as well, but ackermann's whole process took 0.50 s
 *   against 0.33 s.
 */
import type { Machine } from '../machine.js';
import { PAGE_SHIFT } from '../memmap.js';
import { TLB_MASK } from '../mmu.js';
import { exitCause, type ExitMap, type ExitProfile } from './exit-profile.js';
import { compileRegion, generatePage } from './region-cache.js';
import { NOT_CALLED, RegionContext, type Chain, type RegionFn } from './region-fn.js';
import { MAX_CALL_DEPTH, type Shape } from './translator.js';

export const HOT_ENTRIES = 24;
/** Handovers into a page's translated regions per chattiness check. */
export const CHATTY_WINDOW = 64;
/** Fewer instructions than this per handover, on average over a window, is chatty. */
export const CHATTY_RUN = 8192;

/**
 * Told the JavaScript of every translation, for reading what the tier
 * produced: `name` is a file name unique within the machine
 * (page-VBASE-MODE-GENERATION-REGION.js, MODE s or u), `source` the region's
 * code. The CLI writes them to the directory TYPEVISOR_JIT_DUMP names.
 */
export type JitDump = (name: string, source: string) => void;
const MAX_RETRANSLATIONS = 6;
/** Priming calls per this many characters of a region's source, up to MAX_PRIMES (see "Warm-up"). */
const PRIME_SOURCE_CHARS = 32;
const MAX_PRIMES = 400;


interface Translation {
  /** The RAM page it translates. */
  readonly page: number;
  readonly vbase: number;
  readonly key: number;
  /** The page's region functions (loops, then the rest); empty until translated. */
  fns: RegionFn[];
  /** What they read of this machine (region-fn.ts). */
  ctx: RegionContext | undefined;
  regionAt: Int8Array;
  covered: Uint8Array;
  interpreted: Uint8Array;
  midBlock: Int32Array;
  readonly entries: Set<number>;
  heat: number;
  translations: number;
  /** How much of the page one function holds (see "Chatty regions"). */
  shape: Shape;
  /** The last translation split some loop nest: translating it whole would differ. */
  splitNests: boolean;
  /** Handovers into this page's regions in the current window, and the instruction count when it opened. */
  calls: number;
  windowStart: number;
}

export interface JitStats {
  translations: number;
  invalidations: number;
  instructionsTranslated: number;
  regionCalls: number;
  /** Pages translated again with their loop nests whole (see "Chatty regions"). */
  wholeNestRetranslations: number;
  /** Regions entered straight from another region, without the interpreter between them. */
  handovers: number;
  /** Regions entered by chain() on the way back to a direct call's return address. */
  chainedInCalls: number;
  /** Regions whose function another machine (or an earlier run) had compiled already (region-cache.ts). */
  sharedTranslations: number;
}

/** A region function that counts its entries and why it stopped (exit-profile.ts). */
function profiled(fn: RegionFn, p: ExitProfile, m: Machine, map: ExitMap, region: number): RegionFn {
  return (x, n, limit, pc, ret, depth) => {
    const out = fn(x, n, limit, pc, ret, depth);
    p.entries++;
    if (ret !== NOT_CALLED) p.calledEntries++;
    p.exits[exitCause(map, region, m.jitPc, ret)]++;
    return out;
  };
}

export class Jit {
  /** By RAM page number: the translations of that physical page. */
  private readonly pages = new Map<number, Translation[]>();
  /**
   * Set by entry() when it returns undefined for a pc inside a translated
   * block: the interpreter should run exactly this many instructions, which
   * brings execution to a block leader. 0: no advice.
   */
  interpretFor = 0;
  /** The translation entry() last returned a region of. */
  private current: Translation | undefined;
  /** The context to call the region entry() last returned with. */
  ctx: RegionContext | undefined;
  readonly stats: JitStats = { translations: 0, invalidations: 0, instructionsTranslated: 0, regionCalls: 0, wholeNestRetranslations: 0, handovers: 0, chainedInCalls: 0, sharedTranslations: 0 };
  /** Entries into a page before it is translated (tests set 1 to translate at once). */
  hotEntries = HOT_ENTRIES;
  /** When set (before the first translation), every region's entries and exits are counted (exit-profile.ts). */
  profile: ExitProfile | undefined;

  constructor(private readonly m: Machine, private readonly dump?: JitDump) {
    const mem = m.memory;
    mem.code = new Uint8Array(mem.pages);
    mem.codeWrite.subscribe((page) => this.invalidate(page));
  }

  /**
   * The region function to enter at pc, or undefined (interpret instead).
   * `off` is the RAM offset pc maps to (from the execute TLB), `key` the mode key,
   * `now` the instructions retired so far (it opens the first chattiness window).
   */
  entry(pc: number, off: number, key: number, now = 0): RegionFn | undefined {
    const page = off >>> PAGE_SHIFT;
    const vbase = (pc & ~0xfff) >>> 0;
    // The page entered last is the likeliest (a handover inside a page, a
    // return into it): no map lookup then. `current` is dropped with its page.
    const cur = this.current;
    let t: Translation | undefined;
    let list: Translation[] | undefined;
    if (cur !== undefined && cur.page === page && cur.vbase === vbase && cur.key === key) t = cur;
    else {
      list = this.pages.get(page);
      if (list) for (const x of list) if (x.vbase === vbase && x.key === key) t = x;
    }
    const k = (pc & 0xfff) >>> 2;
    if (!t) {
      list = this.pages.get(page);
      t = { page, vbase, key, fns: [], ctx: undefined, regionAt: new Int8Array(0), covered: new Uint8Array(0), interpreted: new Uint8Array(0), midBlock: new Int32Array(0), entries: new Set(), heat: 0, translations: 0, shape: 'split', splitNests: false, calls: 0, windowStart: now };
      if (!list) this.pages.set(page, (list = []));
      list.push(t);
    }
    this.interpretFor = 0;
    if (t.fns.length > 0 && t.covered[k] === 1) return this.enter(t, k);
    t.entries.add(k);
    if (++t.heat < this.hotEntries) return undefined;
    if (t.fns.length > 0 && t.translations >= MAX_RETRANSLATIONS) return undefined;
    this.translate(t, page);
    return t.covered[k] === 1 ? this.enter(t, k) : undefined;
  }

  private enter(t: Translation, k: number): RegionFn | undefined {
    const r = t.regionAt[k]!;
    if (r >= 0) {
      this.current = t;
      this.ctx = t.ctx;
      return t.fns[r];
    }
    // Inside a block (or at an instruction only the interpreter runs): finish the block there.
    this.interpretFor = t.midBlock[k]!;
    return undefined;
  }

  /**
   * The region entry() last returned ran, made progress and was itself entered
   * straight from another region (the interpreter's chain): one handover.
   * `now` is the instruction count.
   */
  handedOver(now: number): void {
    this.stats.handovers++;
    const t = this.current;
    if (t !== undefined && ++t.calls >= CHATTY_WINDOW) this.checkChatty(t, now);
  }

  /** End of a window of handovers: if they were chatty and a nest was split, translate the page again with its nests whole. */
  private checkChatty(t: Translation, now: number): void {
    const chatty = now - t.windowStart < CHATTY_WINDOW * CHATTY_RUN;
    t.calls = 0;
    t.windowStart = now;
    if (!chatty || t.shape !== 'split' || !t.splitNests) return;
    t.shape = 'nests';
    this.stats.wholeNestRetranslations++;
    this.translate(t, t.page);
  }

  /**
   * Go on in translated code from pc, region to region, until execution
   * reaches `ret` (a callee's return: see "Calls and returns"), the limit, or
   * a pc no translation covers under the current mapping. The same checks as
   * the interpreter's chain: the execute TLB for the pc's page, then entry().
   * Translated code changes neither the TLB nor code (those leave it), so
   * nothing else can have changed since the caller was entered.
   * Sets m.jitPc, returns the count.
   */
  chain(n: number, limit: number, pc: number, ret: number, depth: number, key: number): number {
    const m = this.m;
    const mmu = m.mmu;
    const xTag = mmu.xTag;
    for (;;) {
      if (n >= limit || depth >= MAX_CALL_DEPTH) break;
      const idx = (pc >>> 12) & TLB_MASK;
      if ((pc & 3) !== 0 || xTag[idx] !== ((pc & 0xfffff000) | key)) break;
      const fn = this.entry(pc, (pc + mmu.xOff[idx]!) >>> 0, key);
      if (fn === undefined) break;
      const n0 = n;
      n = fn(this.ctx!, n, limit, pc, ret, depth);
      this.stats.regionCalls++;
      this.stats.chainedInCalls++;
      const next = m.jitPc | 0;
      if (next === ret) return n;
      if (n === n0 && next === pc) break;
      pc = next;
    }
    m.jitPc = pc >>> 0;
    return n;
  }

  /** Drop every translation of a RAM page (its bytes changed). */
  invalidate(page: number): void {
    if (this.pages.delete(page)) this.stats.invalidations++;
    if (this.current?.page === page) this.current = undefined;
    this.m.memory.code![page] = 0;
  }

  /** Drop everything (restore, reset). */
  reset(): void {
    this.pages.clear();
    this.current = undefined;
    this.m.memory.code!.fill(0);
  }

  private translate(t: Translation, page: number): void {
    const mem = this.m.memory;
    const words = mem.i32.subarray(page << 10, (page + 1) << 10);
    const gen = generatePage({ vbase: t.vbase, key: t.key, words, entries: t.entries, shape: t.shape });
    const m = this.m;
    const mmu = m.mmu;
    const dump = this.dump;
    // The page's functions call each other through this array (translator.ts,
    // call()): a retranslation makes a new one, and functions still running
    // keep calling their own generation, which is as true to memory.
    const fns: RegionFn[] = [];
    const key = t.key;
    const chain: Chain = (n, limit, pc, ret, depth) => this.chain(n, limit, pc, ret, depth, key);
    const ctx = new RegionContext(m, m.cpu.regs, mem.u8, mem.u16, mem.i32, mmu.rTag, mmu.rOff, mmu.wTag, mmu.wOff, fns, chain);
    t.ctx = ctx;
    t.fns = gen.regions.map((region, i) => {
      if (dump) dump(`page-${t.vbase.toString(16)}-${t.key ? 'u' : 's'}-${t.translations}-${i}.js`, region.source);
      this.stats.instructionsTranslated += region.instructions;
      // Compiled once per process (region-cache.ts): another machine that ran
      // this code already left V8's optimized code and its feedback behind.
      const { fn, fresh } = compileRegion(region.source);
      if (fresh) {
        // Prime the exit path (see "Warm-up"): with no room under the limit the
        // call leaves at once, through the register write-back, until V8 has
        // given the function a feedback vector to record that way out in.
        const primes = Math.min(Math.ceil(region.source.length / PRIME_SOURCE_CHARS), MAX_PRIMES);
        for (let p = 0; p < primes; p++) fn(ctx, 0, 0, 0x7fff_fffc, NOT_CALLED, 0);
      } else this.stats.sharedTranslations++;
      const run = this.profile === undefined ? fn : profiled(fn, this.profile, this.m, { vbase: t.vbase, ...gen }, i);
      fns.push(run);
      return run;
    });
    t.regionAt = gen.regionAt;
    t.covered = gen.covered;
    t.interpreted = gen.interpreted;
    t.midBlock = gen.midBlock;
    t.splitNests = gen.splitNests;
    t.translations++;
    t.heat = 0;
    this.stats.translations++;
    if (!mem.code![page]) {
      mem.code![page] = 1;
      mmu.dropWritesTo(page);
    }
  }
}
