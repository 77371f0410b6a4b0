/**
 * The translation tier's code generator: one region of one code page becomes
 * one JavaScript function, with the guest's registers as JavaScript locals.
 *
 * Shape of the generated function (for a page at 0x1000, user mode):
 *
 *   const C = new Uint16Array(1024); C[4] = 1; C[10] = 2; …    // leader word → case
 *   return function (ctx, n, limit, pc, ret, depth) {
 *     const m = ctx.m, R = ctx.R, m32 = ctx.m32, rTag = ctx.rTag, …;   // the machine
 *     let r1 = R[1], …, r15 = R[15];
 *     const room = min(limit - n, MAX_ROOM) | 0; let k = 0, undo = 0;
 *     let c = C[(pc >>> 2) & 1023];
 *     loop: for (;;) {
 *       switch (c) {
 *         case 1:  k = (k + 6) | 0; if (k > room) { undo = 6; pc = 0x1010; break loop; }   // leader
 *                  r10 = Math.imul(r8, r8);
 *                  r4 = (r4 + r10) | 0;
 *                  if (r8 !== r9) { c = 1; continue loop; }                // branch in the region
 *         case 2:  …                                                       // falls through
 *         default: break loop;                                            // not translated here
 *       }
 *     }
 *     R[1] = r1; …; m.jitPc = pc; return n + k - undo;
 *   }
 *
 * Dispatch: the switch is on dense case numbers (the region's leaders in
 * address order, from 1), not on the word index. V8 compiles a switch into a
 * jump table only when its labels are dense (spread under 3× the number of
 * cases); word indexes are not, and a sparse switch is a chain of `===` tests
 * in label order, so a taken branch to the 40th block of bintree's region
 * made 40 comparisons. A jump whose target is known sets the case number; an
 * indirect one (jalr) looks it up in C (0: not in this region, leave). Every
 * way out of the loop sets pc, so a jump inside it need not.
 *
 * Counting: k counts from 0 in an int32 and room = min(limit − n, MAX_ROOM)
 * is fixed at entry, so the count check and add are int32 operations with no
 * overflow check. With n itself (a parameter, so a tagged value to V8) the
 * loop re-tagged it at every block and checked the add for overflow. A
 * direct call adds its callee's count to k (the caller leaves at once if that
 * were ever over MAX_ROOM, so k never wraps).
 * Not kept: comparing only at checkpoints (the targets of jumps back, after
 * an indirect jump or a direct call) against the limit less all the
 * region's instructions, every other block only adding its count — exact,
 * the interpreter running the last few hundred of a slice. Without any
 * compare at all (not exact, to measure) queens took 0.90×, bintree 0.92×,
 * fib 0.94×; with the checkpoints, A/B against the build before, two rounds:
 * queens 0.94×, wordfreq 1.00×, but matmul 1.07×, bignum 1.05× and bytecode
 * 1.02× or 1.39× (bimodal).
 *
 * Measured (CPU time of whole processes, scaled-up runs, interleaved with the
 * build before, median; the machine shared, ±10% run to run, and ackermann
 * bimodal in both builds — 0.33 s or 0.52 s a process, the mode decided by
 * V8's timing): bytecode 0.87 → 0.80 s (0.92×); bintree 1.05 → 0.98 s
 * (0.94×); ackermann's fast mode 0.35 → 0.33 s, its slow mode in 1 or 2 of 6
 * processes against 4 of 6 before. Bench-sized runs in-process are mostly
 * V8's warm-up (see jit.ts, "Warm-up"), where the change is within noise.
 *
 * Constants: within a basic block (entered only at its leader, so what an
 * earlier instruction of the block set is known) the registers set to
 * constants are tracked, and operations on them are folded at translation
 * time by the same JavaScript expressions the code would evaluate (fold()):
 * `li` is `r9 = 45;`, `lui/ori` one literal, `mv` a plain assignment, and a
 * load or store through a constant base gets a constant address, TLB index
 * and tag. Division and remainder are never folded (a zero divisor leaves).
 * Why: each `(r4 + 0) | 0` was two operations with type-feedback slots, run
 * by V8's interpreter and baseline code during warm-up and, in a block not
 * yet run when V8 optimizes, a place to deoptimize. Measured (process CPU
 * time per in-process run at the bench's sizes, median of 5 runs after the
 * first, 5 processes each, interleaved with the build before, the machine at
 * load 6–25): two rounds read bintree 1.09× and 0.80×, queens 1.00× and
 * 1.09×, qsort 1.02× and 1.03×, ackermann 0.99× and 0.91×, wordfreq 1.00×,
 * bignum 0.98×, bytecode 1.00× — within noise: V8's optimized code folded
 * them already. Nor did it move the deopts in regions (bintree 21, qsort
 * 17–18 in 6 runs, both builds): a block first run after optimization
 * deoptimizes at its first operation, the count add `k = (k + N) | 0`,
 * which no folding removes. Kept for the smaller code (bintree's largest
 * region 19.3 → 18.4 KB of source) and constant addresses.
 *
 * Why it is exact:
 * - Instructions are counted per basic block, at its leader, before any of it
 *   runs, and only if the whole block fits under `limit`; otherwise the function
 *   returns at the leader and the interpreter runs the rest one by one. So the
 *   instruction count — virtual time — matches the interpreter to the instruction,
 *   and a slice still ends exactly at the timer deadline.
 * - A trap at instruction k un-counts k and what follows it in the block, so a
 *   trapping instruction does not retire, as in the interpreter.
 * - Memory goes through the same TLB arrays with the same tag test. Anything
 *   else — a TLB miss, a device register, a store to a page holding translated
 *   code, a division by zero — leaves the function before that instruction and
 *   the interpreter runs it with its slow paths. So translated code calls
 *   nothing: small to compile, and no call site for V8 to deoptimize on.
 * - syscall, break, privileged and undecodable instructions are never
 *   translated: the function returns before them and the interpreter runs them.
 * - A direct call into another region (call()) writes the caller's registers
 *   back before it and reads them again after, passes the same n and limit
 *   on, and goes on at the return address only if the callee left the guest
 *   exactly there; otherwise the caller leaves at once with the pc the
 *   callee reached. So the count, the limit and every exit are the callee's
 *   own, as if the interpreter's chain had called it.
 */
import { decode } from '../../isa/encoding.js';
import { Op, opInfo } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';

export type Shape = 'split' | 'nests';

/** What the generator needs to know about a page. */
export interface PageCode {
  /** Virtual address of the page. */
  readonly vbase: number;
  /** TLB mode key (0 supervisor, 4 user) the code runs in. */
  readonly key: number;
  /** The page's 1024 instruction words. */
  readonly words: Int32Array;
  /** Word indexes execution is known to enter at. */
  readonly entries: Iterable<number>;
  /**
   * How much goes into one function: 'split' (the default) splits a loop that
   * holds several loops into its children; 'nests' keeps every loop nest whole.
   */
  readonly shape?: Shape;
}

/** One generated function: a loop of the page, or the page's code outside its loops. */
export interface GeneratedRegion {
  /** JavaScript source of the factory body (see generate()). */
  readonly source: string;
  readonly instructions: number;
}

export interface GeneratedPage {
  readonly regions: readonly GeneratedRegion[];
  /** For each word index: the region a translated function enters there, or -1. */
  readonly regionAt: Int8Array;
  /** 1 for each word index the translations cover (leader or not). */
  readonly covered: Uint8Array;
  /** 1 for word indexes that must be run by the interpreter (never translated). */
  readonly interpreted: Uint8Array;
  /**
   * For a covered index that is not a block leader: how many instructions
   * remain in its block. Entered there, the interpreter runs those, after which
   * execution is at a leader. 0 for leaders.
   */
  readonly midBlock: Int32Array;
  /** Some loop nest was split into its children (so shape 'nests' would translate differently). */
  readonly splitNests: boolean;
}

/** An innermost loop shorter than this (in words) is a step of its parent loop, not a phase (see generate()). */
const SHORT_LOOP = 16;

const enum Kind {
  PLAIN = 0,
  BRANCH = 1,
  JUMP = 2,
  EXIT = 3,
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const reg = (i: number): string => (i === 0 ? '0' : `r${i}`);

function kindOf(w: number): Kind {
  const d = decode(w);
  if (!d) return Kind.EXIT;
  const info = opInfo(d.op)!;
  if (info.privileged || info.group === 'system') return Kind.EXIT;
  if (info.format === 'B') return Kind.BRANCH;
  if (d.op === Op.JAL || d.op === Op.JALR) return Kind.JUMP;
  return Kind.PLAIN;
}

/** Find the region reachable from the entries, within the page. */
function discover(page: PageCode): { covered: Uint8Array; leader: Uint8Array; interpreted: Uint8Array } {
  const covered = new Uint8Array(1024);
  const leader = new Uint8Array(1024);
  const interpreted = new Uint8Array(1024);
  const work: number[] = [];
  const visit = (k: number, isLeader: boolean): void => {
    if (k < 0 || k >= 1024) return;
    if (isLeader) leader[k] = 1;
    if (!covered[k]) {
      covered[k] = 1;
      work.push(k);
    }
  };
  // Entry points only seed the search: many are wherever the interpreter happened
  // to stop, and making each a block leader would chop straight-line code into
  // one-instruction blocks. Leaders come from control flow (below).
  for (const e of page.entries) visit(e, false);
  while (work.length > 0) {
    const k = work.pop()!;
    const w = page.words[k]!;
    const kind = kindOf(w);
    const addr = page.vbase + k * 4;
    if (kind === Kind.EXIT) {
      interpreted[k] = 1;
      leader[k] = 1;
      visit(k + 1, true); // after the interpreter runs it, execution continues here
      continue;
    }
    if (kind === Kind.BRANCH) {
      const t = (addr + (w >> 16) * 4) >>> 0;
      if (((t ^ page.vbase) & ~0xfff) === 0) visit((t & 0xfff) >>> 2, true);
      visit(k + 1, true);
      continue;
    }
    if (kind === Kind.JUMP) {
      const d = decode(w)!;
      if (d.op === Op.JAL) {
        const t = (addr + d.imm) >>> 0;
        if (((t ^ page.vbase) & ~0xfff) === 0) visit((t & 0xfff) >>> 2, true);
      }
      if (d.rd !== 0) visit(k + 1, true); // a call: its return lands here
      continue;
    }
    visit(k + 1, false);
  }
  // A covered instruction nothing falls into starts a block.
  for (let k = 0; k < 1024; k++) {
    if (!covered[k] || leader[k]) continue;
    if (k === 0 || !covered[k - 1]) {
      leader[k] = 1;
      continue;
    }
    const prev = page.words[k - 1]!;
    const d = decode(prev);
    if (d && d.op === Op.JAL && d.rd === 0) leader[k] = 1; // after an unconditional jump
    if (d && d.op === Op.JALR) leader[k] = 1;
  }
  return { covered, leader, interpreted };
}

/** Whether a loop holds a call (a `jal` or `jalr` with a link register). */
function hasCall(page: PageCode, L: { a: number; b: number }): boolean {
  for (let k = L.a; k <= L.b; k++) {
    const d = decode(page.words[k]!);
    if (d && (d.op === Op.JAL || d.op === Op.JALR) && d.rd !== 0) return true;
  }
  return false;
}

/** Word indexes of the page that a `jal` with a link register calls (translated code only), in order. */
function functionEntries(page: PageCode, covered: Uint8Array, interpreted: Uint8Array): number[] {
  const entries = new Set<number>();
  const vb = page.vbase >>> 0;
  for (let k = 0; k < 1024; k++) {
    if (!covered[k] || interpreted[k]) continue;
    const d = decode(page.words[k]!);
    if (!d || d.op !== Op.JAL || d.rd === 0) continue;
    const t = (vb + k * 4 + d.imm) >>> 0;
    if (((t ^ vb) & ~0xfff) !== 0) continue;
    const tk = (t & 0xfff) >>> 2;
    if (covered[tk] && !interpreted[tk]) entries.add(tk);
  }
  return [...entries].sort((a, b) => a - b);
}

/**
 * The words a function entered at f reaches without following a call (a
 * call's return address is reached instead) or a `jalr` (a return, or an
 * indirect jump), nor a jump into code a function already holds.
 */
function functionBody(page: PageCode, f: number, covered: Uint8Array, regionOf: Int8Array): Uint8Array {
  const body = new Uint8Array(1024);
  const vb = page.vbase >>> 0;
  const work = [f];
  const visit = (k: number): void => {
    if (k >= 0 && k < 1024 && covered[k] && !body[k] && regionOf[k] === -1) {
      body[k] = 1;
      work.push(k);
    }
  };
  body[f] = 1;
  while (work.length > 0) {
    const k = work.pop()!;
    const w = page.words[k]!;
    const kind = kindOf(w);
    const d = decode(w);
    if (kind === Kind.BRANCH || (kind === Kind.JUMP && d!.op === Op.JAL && d!.rd === 0)) {
      const t = (vb + k * 4 + (kind === Kind.BRANCH ? (w >> 16) * 4 : d!.imm)) >>> 0;
      if (((t ^ vb) & ~0xfff) === 0) visit((t & 0xfff) >>> 2);
      if (kind === Kind.BRANCH) visit(k + 1);
      continue;
    }
    if (kind === Kind.JUMP && d!.rd === 0) continue; // jalr: a return or an indirect jump
    visit(k + 1);
  }
  return body;
}

/**
 * Split the page's reachable code into regions and generate one function per
 * region. A loop (a backward branch or jump and the instructions between its
 * target and itself) is a region of its own, with any loops nested in it as
 * long as they form a single chain; the rest of the code is one more region.
 * Why: V8 optimizes a function for the paths it has seen run, and
 * deoptimizes it the first time another path runs. A loop's own function has
 * run all its paths long before V8 optimizes it; a function holding several
 * phases of a program (clear an array, sieve it, count it) would be thrown away
 * at every phase change.
 *
 * Each factory takes (mulh, mulhu) and returns the region function
 * (ctx, n, limit, pc, ret, depth) → n, which reads the machine from ctx
 * (region-fn.ts: m, R, the memory views, the TLB, F the page's region
 * functions in region order, J going on from a callee that stopped short of
 * its return, see call()); `ret` is the return address the function was
 * called for (one no jump reaches, from the interpreter) and `depth` how many
 * direct calls deep it runs. Nothing of a machine is in the source, so one
 * compiled function serves every machine (region-cache.ts).
 */
export function generate(page: PageCode): GeneratedPage {
  const { covered, leader, interpreted } = discover(page);
  const vb = page.vbase >>> 0;
  const key = page.key;

  // Block lengths: from each leader to the end of its block (exit instructions count 0).
  const rem = new Int32Array(1025); // rem[k]: instructions from k to the end of k's block
  for (let k = 1023; k >= 0; k--) {
    if (!covered[k] || interpreted[k]) {
      rem[k] = 0;
      continue;
    }
    const kind = kindOf(page.words[k]!);
    const ends = kind === Kind.BRANCH || kind === Kind.JUMP || k === 1023 || leader[k + 1] === 1 || !covered[k + 1] || interpreted[k + 1] === 1;
    rem[k] = 1 + (ends ? 0 : rem[k + 1]!);
  }

  // Regions: innermost loops first, then everything else.
  const regionOf = new Int8Array(1024).fill(-1);
  const loops: [number, number][] = [];
  for (let k = 0; k < 1024; k++) {
    if (!covered[k] || interpreted[k]) continue;
    const w = page.words[k]!;
    const kind = kindOf(w);
    if (kind !== Kind.BRANCH && kind !== Kind.JUMP) continue;
    const d = decode(w)!;
    if (d.op === Op.JALR || (d.op === Op.JAL && d.rd !== 0)) continue; // returns and calls are not loops
    const t = (vb + k * 4 + d.imm) >>> 0;
    if (((t ^ vb) & ~0xfff) !== 0) continue;
    const tk = (t & 0xfff) >>> 2;
    if (tk <= k) loops.push([tk, k]);
  }
  // Words inside some loop: only a call from there is made a direct call
  // (call()): one that runs once costs the function around it its write-back
  // and reload code for nothing (bignum's one call to print its result: 1.19×).
  const inLoop = new Uint8Array(1024);
  for (const [a, b] of loops) inLoop.fill(1, a, b + 1);
  // Loops by header, the furthest back edge deciding where each ends.
  const byHeader = new Map<number, number>();
  for (const [a, b] of loops) byHeader.set(a, Math.max(b, byHeader.get(a) ?? b));
  const all = [...byHeader].map(([a, b]) => ({ a, b, children: [] as { a: number; b: number }[] })).sort((x, y) => x.a - y.a || y.b - x.b);
  // Nest them (loops that overlap without nesting are left to the rest region).
  const top: typeof all = [];
  const stack: typeof all = [];
  for (const L of all) {
    while (stack.length > 0 && stack[stack.length - 1]!.b < L.a) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent && L.b > parent.b) continue;
    (parent ? parent.children : top).push(L);
    stack.push(L);
  }
  // A loop nest is a region when it is a single chain (each loop holds at most
  // one loop): its inner loops run inside it, and it holds one phase of the
  // program. So is a loop whose inner loops are all short innermost loops
  // (fewer than SHORT_LOOP words: a partition's two scans, a bignum's multiply
  // and carry), which take turns every few iterations rather than being phases.
  // Any other loop holding several loops (phases) is split into its children
  // — unless the page is translated with shape 'nests', which the tier asks
  // for when the split regions turn out to hand over to each other all the
  // time (see jit.ts, "chatty regions").
  type Loop = (typeof all)[number];
  const simple = (L: Loop): boolean =>
    L.children.length === 0 || (L.children.length === 1 && simple(L.children[0] as Loop)) || L.children.every((c) => (c as Loop).children.length === 0 && c.b - c.a < SHORT_LOOP);
  const chosen: Loop[] = [];
  let splitNests = false;
  const choose = (L: Loop): void => {
    if (simple(L) || page.shape === 'nests') chosen.push(L);
    else {
      splitNests = true;
      for (const c of L.children) choose(c as Loop);
    }
  };
  let regions = 0;
  // Functions first: an in-page call target whose loop holds a call (n-queens'
  // `place`, whose column loop calls `place`) is one region with all the code
  // it reaches without following calls, its loops included. Split the usual
  // way, its loop would leave for the function around it at every call and
  // every return (two handovers per iteration); whole, the recursion is a
  // `continue loop` and the return a dispatch on the actual `ra`. Not when its
  // loops are phases (more than one nest, or one the rule above splits).
  // Not for functions whose loops make no calls either (qsort's partition
  // scans): measured, qsort 1.20× and fib 1.35× the time of the split regions
  // as one function each, queens 0.84× (jit.ts, "Calls and returns").
  const inLoopOf = (body: Uint8Array): Loop[] => {
    const found: Loop[] = [];
    const walk = (L: Loop): void => {
      if (body[L.a] && body[L.b]) found.push(L);
      else for (const c of L.children) walk(c as Loop);
    };
    top.forEach(walk);
    return found;
  };
  const taken = new Set<Loop>();
  for (const f of functionEntries(page, covered, interpreted)) {
    if (regions >= 100) break;
    if (regionOf[f] !== -1) continue;
    const body = functionBody(page, f, covered, regionOf);
    const nests = inLoopOf(body);
    if (!nests.some((L) => hasCall(page, L))) continue;
    if (page.shape !== 'nests' && (nests.length > 1 || nests.some((L) => !simple(L)))) continue;
    for (let k = 0; k < 1024; k++) if (body[k]) regionOf[k] = regions;
    for (const L of nests) taken.add(L);
    regions++;
  }
  top.forEach((L) => {
    if (!taken.has(L)) choose(L);
  });
  for (const { a, b } of chosen) {
    if (regions >= 100) break;
    let any = false;
    for (let k = a; k <= b; k++) {
      if (covered[k] && regionOf[k] === -1) {
        regionOf[k] = regions;
        any = true;
      }
    }
    if (any) regions++;
  }
  let rest = false;
  for (let k = 0; k < 1024; k++) {
    if (covered[k] && regionOf[k] === -1) {
      regionOf[k] = regions;
      rest = true;
    }
  }
  if (rest) regions++;

  const out: GeneratedRegion[] = [];
  // Functions that make no calls of their own: the only ones called directly (see directCallee()).
  const leaf = new Uint8Array(1024);
  const unclaimed = new Int8Array(1024).fill(-1);
  for (const f of functionEntries(page, covered, interpreted)) {
    const body = functionBody(page, f, covered, unclaimed);
    let calls = false;
    for (let k = 0; k < 1024 && !calls; k++) {
      if (!body[k]) continue;
      const d = decode(page.words[k]!);
      calls = d !== undefined && (d.op === Op.JAL || d.op === Op.JALR) && d.rd !== 0;
    }
    if (!calls) leaf[f] = 1;
  }
  const called = new Uint8Array(regions);
  for (let k = 0; k < 1024; k++) {
    if (!inLoop[k] || regionOf[k]! < 0 || interpreted[k]) continue;
    const callee = directCallee(page.words[k]!, (vb + k * 4) >>> 0, vb, regionOf[k]!, regionOf, leader, interpreted, leaf);
    if (callee >= 0) called[callee] = 1;
  }
  for (let r = 0; r < regions; r++) out.push(region(page, r, regionOf, leader, interpreted, rem, vb, key, inLoop, leaf, called));

  const regionAt = new Int8Array(1024).fill(-1);
  const midBlock = new Int32Array(1024);
  for (let k = 0; k < 1024; k++) {
    if (!covered[k]) continue;
    if (leader[k] && !interpreted[k]) regionAt[k] = regionOf[k]!;
    else if (!interpreted[k]) midBlock[k] = rem[k]!;
  }
  return { regions: out, regionAt, covered, interpreted, midBlock, splitNests };
}

function region(page: PageCode, r: number, regionOf: Int8Array, leader: Uint8Array, interpreted: Uint8Array, rem: Int32Array, vb: number, key: number, inLoop: Uint8Array, leaf: Uint8Array, called: Uint8Array): GeneratedRegion {
  const members = new Uint8Array(1024);
  for (let k = 0; k < 1024; k++) if (regionOf[k] === r) members[k] = 1;
  const used = new Set<number>();
  const body: string[] = [];
  let count = 0;
  const known = new Map<number, number>();
  // Only the returns of a region some call enters directly need the
  // return-address test (bintree's returns with it: 1.28×).
  const callable = called[r] === 1;
  // Dense case numbers (see "Dispatch"): the region's leaders in address order, from 1.
  const caseOf = new Uint16Array(1024);
  let cases = 0;
  // Loops of straight-line blocks that are JavaScript loops of their own (see "Inner loops"):
  // the word that ends each, by its header; their other leaders get no case of their own.
  const loopEnd = innerLoops(page, members, leader, interpreted);
  const inner = new Uint8Array(1024);
  for (let k = 0; k < 1024; k++) if (loopEnd[k]! > 0) for (let j = k + 1; j <= loopEnd[k]!; j++) if (leader[j]) inner[j] = 1;
  for (let k = 0; k < 1024; k++) if (members[k] && leader[k] && !inner[k]) caseOf[k] = ++cases;
  let innerEnd = -1;
  let innerCase = 0;
  for (let k = 0; k < 1024; k++) {
    if (!members[k]) continue;
    const addr = (vb + k * 4) >>> 0;
    const w = page.words[k]!;
    if (leader[k]) {
      known.clear(); // a block is entered only at its leader (see "Constants")
      if (!inner[k]) body.push(`case ${caseOf[k]}:`);
      if (loopEnd[k]! > 0) {
        innerEnd = loopEnd[k]!;
        innerCase = caseOf[k]!;
        body.push(`  b${innerCase}: for (;;) {`);
      }
    }
    if (interpreted[k]) {
      body.push(`  pc = ${hex(addr)}; break loop;`);
      continue;
    }
    count++;
    if (leader[k]) body.push(`  k = (k + ${rem[k]}) | 0; if (k > room) { undo = ${rem[k]}; pc = ${hex(addr)}; break loop; }`);
    const callee = inLoop[k] ? directCallee(w, addr, vb, r, regionOf, leader, interpreted, leaf) : -1;
    const code = callee >= 0 ? call(w, addr, callee, used) : instruction(w, addr, vb, key, rem[k]!, caseOf, used, callable, known, innerEnd >= 0);
    if (k === innerEnd) {
      // Back to this block's own leader: the inner loop's next turn, not the dispatcher.
      body.push(`  ${code.replace(`c = ${innerCase}; continue loop;`, `continue b${innerCase};`)}`, '  break; }');
      innerEnd = -1;
    } else body.push('  ' + code);
    // Falling out of the region: leave through the dispatcher. (After a direct
    // call, execution goes on at the return address: out too, if that is not here.)
    const kind = kindOf(w);
    const unconditional = kind === Kind.JUMP && callee < 0;
    // (The last word of the page falls through into the next page: also a way out.)
    if (!unconditional && (k === 1023 || !members[k + 1])) body.push(`  pc = ${hex(addr + 4)}; break loop;`);
  }

  const regs = [...used].filter((x) => x !== 0).sort((a, b) => a - b);
  const decl = regs.length ? `let ${regs.map((x) => `r${x} = R[${x}]`).join(', ')};` : '';
  const save = regs.map((x) => `R[${x}] = r${x};`).join(' ');
  const load = regs.map((x) => `r${x} = R[${x}];`).join(' ');
  const code = body.map((l) => '    ' + l.replaceAll(SAVE, save).replaceAll(LOAD, load)).join('\n');
  const table: string[] = [];
  for (let k = 0; k < 1024; k++) if (caseOf[k]) table.push(`${k},${caseOf[k]}`);
  // The machine's side, read from the context (region-fn.ts): only what this region uses.
  const uses = CONTEXT_FIELDS.filter((f) => f === 'm' || new RegExp(`\\b${f}\\b`).test(`${decl}\n${code}`));
  const machine = `const ${uses.map((f) => `${f} = ctx.${f}`).join(', ')};`;
  const source = `
const C = new Uint16Array(1024);
for (const [k, c] of [${table.map((e) => `[${e}]`).join(',')}]) C[k] = c;
return function region(ctx, n, limit, pc, ret, depth) {
  ${machine}
  ${decl}
  // The count as an int32 from 0 (see "Counting"): room is how many fit under the limit.
  const room = (limit - n > ${MAX_ROOM} ? ${MAX_ROOM} : limit - n) | 0;
  let k = 0;
  let undo = 0;
  ${[...new Set(code.match(/\bp[RW]\w*\b/g) ?? [])].map((p) => `let ${p} = ${NO_PAGE(key)}, o${p.slice(1)} = 0;`).join(' ')}
  let c = C[(pc >>> 2) & 1023];
  loop: for (;;) {
    switch (c) {
${code}
    default: break loop;
    }
    break;
  }
  ${save}
  m.jitPc = pc >>> 0;
  return n + k - undo;
};`;
  return { source, instructions: count };
}

/**
 * Inner loops: a loop made of consecutive straight-line blocks, from a
 * header to a branch or jump back to it (a scan `lw; bge out; addi; j
 * head`, a copy, bignum's limb loop, crc32's byte loop), is emitted as a
 * JavaScript loop of its own inside the header's case, so each turn is a
 * `continue` of that loop rather than a dispatch through the region's
 * switch. Its blocks keep their count checks; a branch out of it is the same
 * labelled `continue loop` (or `break loop`) as before. Only the header keeps
 * a case: the other blocks of such a loop must be reached by falling
 * through, so none may be the target of a jump in the region (one entered
 * there from outside, after an exit, finds no case and leaves at once, and
 * the interpreter runs on to the next leader).
 * Measured (time per in-process run after the runs before it warmed V8 up,
 * median of 15, before → after, a quiet machine), with single-block loops
 * only: crc32 68.6 → 42.3 ms, matmul 71.2 → 56.3, sieve 81.1 → 66.3, bignum
 * 30.8 → 20.1, wordfreq 27.5 → 17.1; qsort, queens, bintree, ackermann and
 * bytecode within ±5%.
 *
 * Returns, by header word index, the index of the word that closes its loop
 * (0 where none).
 */
const MAX_INNER_LOOP = 64;

function innerLoops(page: PageCode, members: Uint8Array, leader: Uint8Array, interpreted: Uint8Array): Int32Array {
  const end = new Int32Array(1024);
  const target = (j: number): number => {
    const kind = kindOf(page.words[j]!);
    if (kind !== Kind.BRANCH && kind !== Kind.JUMP) return -1;
    const d = decode(page.words[j]!)!;
    if (d.op === Op.JALR) return -2;
    const t = j + (d.imm >> 2);
    return t >= 0 && t < 1024 ? t : -1;
  };
  // Leaders some jump of the region names: they need their case.
  const named = new Uint8Array(1024);
  for (let j = 0; j < 1024; j++) {
    if (!members[j] || interpreted[j]) continue;
    const t = target(j);
    if (t >= 0) named[t] = 1;
  }
  for (let k = 0; k < 1024; k++) {
    if (!members[k] || !leader[k]) continue;
    let e = -1;
    for (let j = k; j < 1024 && j < k + MAX_INNER_LOOP; j++) {
      if (!members[j] || interpreted[j]) break;
      const kind = kindOf(page.words[j]!);
      if (kind === Kind.PLAIN) continue;
      if (kind === Kind.EXIT) break;
      const d = decode(page.words[j]!)!;
      const t = target(j);
      if (t === k && (kind === Kind.BRANCH || d.rd === 0)) {
        e = j;
        break;
      }
      // Going on past a branch only if it leaves the loop (checked below, once its end is known).
      if (kind !== Kind.BRANCH) break;
    }
    if (e < 0) continue;
    let ok = true;
    for (let j = k; j < e && ok; j++) {
      const t = target(j);
      if (kindOf(page.words[j]!) === Kind.BRANCH && t > k && t <= e) ok = false;
      if (j > k && leader[j] && named[j]) ok = false;
    }
    if (leader[e] && e > k && named[e]) ok = false;
    if (!ok) continue;
    end[k] = e;
    k = e;
  }
  return end;
}

/**
 * Last pages: a load or store through a register remembers the TLB tag and
 * offset of the page it last hit, in locals of the region function, and
 * compares with that first: a hit skips the TLB index and two loads from its
 * arrays. Which locals (lastPage()): one pair for the stack (every access
 * through sp: pushes and pops hit the page the first one found), one per
 * access inside an inner loop (each turn repeats it: matmul's three matrices
 * each keep theirs), and one more for every other access of the region
 * (queens' three small arrays share a page). Reads and writes apart: a page
 * may be readable and not writable. The tag compared is the one the TLB
 * check would compare, alignment bits included, so any width can hit a page
 * any other width found, and a misaligned access never hits.
 * Nothing in translated code changes the TLB (a fill, a flush, a page made
 * code or the dirty log cleared all happen outside it), so the locals, which
 * live for one call, cannot go stale. Unset, they hold a tag no access of
 * this region computes: every tag it computes has this region's mode key in
 * bits 2..11, and NO_PAGE has bit 2 flipped.
 * Measured (time per in-process run after warm runs, median of 15, before →
 * after): fib 61 → 48.3 ms, ackermann 16.8 → 13.7, bignum 20.0 → 15.6,
 * qsort 69.9 → 62.7, bintree 39.8 → 33.4, matmul 56 → 43.1, sieve 66 →
 * 51.1, queens 23.3 → 21.9; the rest ±3%. Tried: one pair shared by every
 * word access (matmul 1.14× slower: its loads take turns between three
 * matrices); one pair per access everywhere (queens 1.19×, fib 1.08×: more
 * live locals than hits); word accesses only, none outside sp and inner
 * loops (queens 1.08×: its pushes and pops are few, its byte arrays many).
 */
const NO_PAGE = (key: number): number => key ^ 4;

/** The locals (tag, offset) an access at addr through `base` remembers its page in (see "Last pages"). */
function lastPage(base: number, addr: number, inner: boolean, kind: 'R' | 'W'): readonly [string, string] {
  if (base === Reg.SP) return [`p${kind}sp`, `o${kind}sp`];
  if (!inner) return [`p${kind}d`, `o${kind}d`];
  const site = `${kind}${(addr & 0xfff) >>> 2}`;
  return [`p${site}`, `o${site}`];
}

/** What a region may read of its context (region-fn.ts, RegionContext). */
const CONTEXT_FIELDS = ['m', 'R', 'm8', 'm16', 'm32', 'rTag', 'rOff', 'wTag', 'wOff', 'F', 'J'] as const;

/**
 * The most instructions one call of a region function retires of its own
 * (see "Counting"): its count stays an int32 with a direct callee's count
 * (at most as much again, or the caller leaves at once) added to it.
 */
const MAX_ROOM = 0x2000_0000;


/** Stand-ins for the region's register write-back and reload, known only once the whole region is generated. */
const SAVE = '/*save*/';
const LOAD = '/*load*/';

/**
 * Nested direct calls deeper than this leave through the dispatcher instead
 * (each level is two JavaScript frames: a deep guest recursion must not
 * overflow the host's stack).
 */
export const MAX_CALL_DEPTH = 128;

/**
 * The region a `jal` with a link register calls straight into, or -1: an
 * in-page target that is a block leader of another region of this page.
 * (A callee in the same region is reached by `continue loop`, cheaper than a
 * call; an instruction only the interpreter runs has no function to call.)
 * Only from inside a loop (region()), and only into a function that makes
 * no calls itself: a leaf returns within a few instructions, so leaving for the
 * interpreter's chain and back costs it more than its own work (a loop
 * calling a five-instruction leaf: 0.45× the time as a direct call); a
 * callee that calls runs a whole recursion per entry, where the handover is
 * nothing, and as a direct call it measured slower (bintree's tree loop
 * calling make, count and free: 1.12–1.28×, for reasons V8 did not show).
 */
function directCallee(w: number, addr: number, vb: number, r: number, regionOf: Int8Array, leader: Uint8Array, interpreted: Uint8Array, leaf: Uint8Array): number {
  const d = decode(w);
  if (!d || d.op !== Op.JAL || d.rd === 0) return -1;
  const t = (addr + d.imm) >>> 0;
  if (((t ^ vb) & ~0xfff) !== 0) return -1;
  const tk = (t & 0xfff) >>> 2;
  const callee = regionOf[tk]!;
  if (callee < 0 || callee === r || !leader[tk] || interpreted[tk] || !leaf[tk]) return -1;
  return callee;
}

/**
 * A direct call (`jal rd, T` with rd ≠ 0) into region `callee` of this page,
 * as a JavaScript call: the guest's return is the function's return.
 *
 * The callee runs with `ret` = the return address and leaves as soon as a
 * `jalr` jumps there (the guest's `ret`); anything else that ends it — the
 * instruction limit, a TLB miss, a trap, leaving for code it does not hold —
 * hands to J, which goes on region to region (jit.ts) until execution
 * reaches the return address or cannot go on in translated code. Back here,
 * the registers are reloaded (the callee wrote them to R) and execution goes
 * on at the return address if that is where the guest is — it is the next
 * case, a block leader, so the count check there still holds the limit —
 * and otherwise leaves for wherever it is. So a guest that rewrites `ra` or
 * the stack (a return elsewhere, a longjmp) is followed exactly: the
 * prediction is checked against the pc the guest actually reached, never
 * trusted.
 */
function call(w: number, addr: number, callee: number, used: Set<number>): string {
  const d = decode(w)!;
  used.add(d.rd);
  const target = hex(addr + d.imm);
  const back = (addr + 4) | 0;
  return `r${d.rd} = ${back};
      if (depth >= ${MAX_CALL_DEPTH}) { pc = ${target}; break loop; }
      ${SAVE}
      { let n1 = F[${callee}](ctx, n + k, limit, ${target}, ${back}, depth + 1);
      pc = m.jitPc | 0;
      if (pc !== ${back}) { n1 = J(n1, limit, pc, ${back}, depth + 1); pc = m.jitPc | 0; }
      if (n1 - n > ${MAX_ROOM}) { n = n1; k = 0; pc = ${back}; break loop; }
      k = (n1 - n) | 0; }
      ${LOAD}
      if (pc !== ${back}) break loop;`;
}

/**
 * The value an instruction computes when its sources are constants known at
 * translation time, or undefined: the same JavaScript expression the
 * generated code would evaluate (instruction()), so the same int32.
 * Division and remainder are never folded (a zero divisor must leave).
 */
function fold(op: Op, a: number | undefined, b: number | undefined, imm: number): number | undefined {
  switch (op) {
    case Op.LUI: return (imm << 16) | 0;
    case Op.ADDI: return a === undefined ? undefined : (a + imm) | 0;
    case Op.SLTI: return a === undefined ? undefined : a < imm ? 1 : 0;
    case Op.SLTIU: return a === undefined ? undefined : (a >>> 0) < (imm >>> 0) ? 1 : 0;
    case Op.ANDI: return a === undefined ? undefined : a & imm;
    case Op.ORI: return a === undefined ? undefined : a | imm;
    case Op.XORI: return a === undefined ? undefined : a ^ imm;
    case Op.SLLI: return a === undefined ? undefined : a << imm;
    case Op.SRLI: return a === undefined ? undefined : (a >>> imm) | 0;
    case Op.SRAI: return a === undefined ? undefined : a >> imm;
  }
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case Op.ADD: return (a + b) | 0;
    case Op.SUB: return (a - b) | 0;
    case Op.MUL: return Math.imul(a, b);
    case Op.AND: return a & b;
    case Op.OR: return a | b;
    case Op.XOR: return a ^ b;
    case Op.SLL: return a << b;
    case Op.SRL: return (a >>> b) | 0;
    case Op.SRA: return a >> b;
    case Op.SLT: return a < b ? 1 : 0;
    case Op.SLTU: return (a >>> 0) < (b >>> 0) ? 1 : 0;
  }
  return undefined;
}

/** Ops whose result is a copy of rs1 when rs2 (or the immediate) is 0, and of rs2 when rs1 is 0 (`mv`, `li` and the like). */
const ZERO_IDENTITY = new Set<Op>([Op.ADD, Op.OR, Op.XOR, Op.ADDI, Op.ORI, Op.XORI]);
const ZERO_RIGHT_IDENTITY = new Set<Op>([Op.SUB, Op.SLL, Op.SRA, Op.SLLI, Op.SRAI]);

/**
 * Code for one instruction at addr; `rem` counts it and what follows in its
 * block; `known` holds the registers whose values this block has already set
 * to constants (see "Constants"), and is kept up to date.
 */
function instruction(w: number, addr: number, vb: number, key: number, rem: number, caseOf: Uint16Array, used: Set<number>, callable: boolean, known: Map<number, number>, inner: boolean): string {
  const d = decode(w)!;
  const { rd } = d;
  const value = (i: number): number | undefined => (i === 0 ? 0 : known.get(i));
  const folded = fold(d.op, value(d.rs1), value(d.rs2), d.imm);
  if (folded !== undefined) {
    if (rd === 0) return '';
    used.add(rd);
    known.set(rd, folded);
    return `r${rd} = ${folded};`;
  }
  // A copy: rd = rs (an int32 already, every register is), no operation at all.
  const copyOf =
    ZERO_IDENTITY.has(d.op) && (opInfo(d.op)!.format === 'R' ? value(d.rs2) === 0 : d.imm === 0) ? d.rs1
    : ZERO_IDENTITY.has(d.op) && opInfo(d.op)!.format === 'R' && value(d.rs1) === 0 ? d.rs2
    : ZERO_RIGHT_IDENTITY.has(d.op) && (opInfo(d.op)!.format === 'R' ? value(d.rs2) === 0 : d.imm === 0) ? d.rs1
    : -1;
  if (copyOf >= 0) {
    if (rd === 0 || copyOf === rd) return '';
    used.add(rd).add(copyOf);
    known.delete(rd);
    return `r${rd} = r${copyOf};`;
  }
  const code = translate(d, addr, vb, key, rem, caseOf, used, callable, value, inner);
  if (rd !== 0) known.delete(rd); // anything else that writes rd: no longer known
  return code;
}

function translate(d: NonNullable<ReturnType<typeof decode>>, addr: number, vb: number, key: number, rem: number, caseOf: Uint16Array, used: Set<number>, callable: boolean, value: (i: number) => number | undefined, inner: boolean): string {
  const { rd, rs1, rs2, imm } = d;
  // A register operand, or its value when the block set it to a constant.
  const R = (i: number): string => {
    const v = value(i);
    if (v !== undefined) return v < 0 ? `(${v})` : `${v}`;
    used.add(i);
    return reg(i);
  };
  const set = (expr: string): string => (rd === 0 ? '' : (used.add(rd), `r${rd} = ${expr};`));
  const here = hex(addr);
  // Leave before this instruction (it and the rest of its block do not retire):
  // the interpreter runs it — a TLB miss, a device, a store to code, a trap.
  // Exit paths assign constants only: a path V8 never saw run must not need type
  // feedback, or its first use deoptimizes the whole function. The one
  // subtraction happens after the loop, on every exit.
  const leave = `undo = ${rem}; pc = ${here}; break loop;`;
  // A target in this region (in-page targets are leaders) is its case number;
  // every way out of the loop sets pc, so a jump inside it need not.
  const jumpTo = (target: number): string => {
    const t = target >>> 0;
    const c = ((t ^ vb) & ~0xfff) === 0 ? caseOf[(t & 0xfff) >>> 2]! : 0;
    return c !== 0 ? `c = ${c}; continue loop;` : `pc = ${hex(t)}; break loop;`;
  };

  // A memory access's address, TLB index and tag: constants when its base is.
  const base = value(rs1);
  const A = base === undefined ? 0 : (base + imm) | 0;
  const address = (): string =>
    base === undefined ? `const a = (${R(rs1)} + ${imm}) | 0; const i = (a >>> 12) & 1023;` : `const a = ${A}; const i = ${(A >>> 12) & 1023};`;
  const tag = (mask: string): string => (base === undefined ? `((a & ${mask}) | ${key})` : `${((A & Number(mask)) | key) | 0}`);
  switch (d.op) {
    case Op.ADD: return set(`(${R(rs1)} + ${R(rs2)}) | 0`);
    case Op.SUB: return set(`(${R(rs1)} - ${R(rs2)}) | 0`);
    case Op.MUL: return set(`Math.imul(${R(rs1)}, ${R(rs2)})`);
    case Op.MULH: return set(`mulh(${R(rs1)}, ${R(rs2)})`);
    case Op.MULHU: return set(`mulhu(${R(rs1)}, ${R(rs2)})`);
    case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: {
      const a = R(rs1), b = R(rs2);
      const expr = d.op === Op.DIV ? `(${a} / ${b}) | 0` : d.op === Op.DIVU ? `((${a} >>> 0) / (${b} >>> 0)) | 0` : d.op === Op.REM ? `(${a} % ${b}) | 0` : `((${a} >>> 0) % (${b} >>> 0)) | 0`;
      return `if (${b} === 0) { ${leave} } ${set(expr)}`;
    }
    case Op.AND: return set(`${R(rs1)} & ${R(rs2)}`);
    case Op.OR: return set(`${R(rs1)} | ${R(rs2)}`);
    case Op.XOR: return set(`${R(rs1)} ^ ${R(rs2)}`);
    case Op.SLL: return set(`${R(rs1)} << ${R(rs2)}`);
    case Op.SRL: return set(`(${R(rs1)} >>> ${R(rs2)}) | 0`);
    case Op.SRA: return set(`${R(rs1)} >> ${R(rs2)}`);
    case Op.SLT: return set(`${R(rs1)} < ${R(rs2)} ? 1 : 0`);
    case Op.SLTU: return set(`(${R(rs1)} >>> 0) < (${R(rs2)} >>> 0) ? 1 : 0`);
    case Op.ADDI: return set(`(${R(rs1)} + ${imm}) | 0`);
    case Op.SLTI: return set(`${R(rs1)} < ${imm} ? 1 : 0`);
    case Op.SLTIU: return set(`(${R(rs1)} >>> 0) < ${imm >>> 0} ? 1 : 0`);
    case Op.ANDI: return set(`${R(rs1)} & ${imm}`);
    case Op.ORI: return set(`${R(rs1)} | ${imm}`);
    case Op.XORI: return set(`${R(rs1)} ^ ${imm}`);
    case Op.SLLI: return set(`${R(rs1)} << ${imm}`);
    case Op.SRLI: return set(`(${R(rs1)} >>> ${imm}) | 0`);
    case Op.SRAI: return set(`${R(rs1)} >> ${imm}`);
    case Op.LUI: return set(`${(imm << 16) | 0}`);

    case Op.LB: case Op.LBU: case Op.LH: case Op.LHU: case Op.LW: {
      const width = d.op === Op.LW ? 4 : d.op === Op.LH || d.op === Op.LHU ? 2 : 1;
      const mask = width === 4 ? '0xfffff003' : width === 2 ? '0xfffff001' : '0xfffff000';
      const fast = (off: string): string =>
        d.op === Op.LW ? `m32[(a + ${off}) >>> 2]`
        : d.op === Op.LH ? `(m16[(a + ${off}) >>> 1] << 16) >> 16`
        : d.op === Op.LHU ? `m16[(a + ${off}) >>> 1]`
        : d.op === Op.LB ? `(m8[(a + ${off}) >>> 0] << 24) >> 24`
        : `m8[(a + ${off}) >>> 0]`;
      const target = rd === 0 ? 'v0' : `r${rd}`;
      if (rd !== 0) used.add(rd);
      const decl0 = rd === 0 ? 'let v0; ' : '';
      if (base === undefined) {
        const [p, o] = lastPage(rs1, addr, inner, 'R');
        return `{ ${decl0}const a = (${R(rs1)} + ${imm}) | 0; const t = (a & ${mask}) | ${key};
      if (t === ${p}) ${target} = ${fast(o)};
      else { const i = (a >>> 12) & 1023; if (rTag[i] === t) { ${p} = t; ${o} = rOff[i]; ${target} = ${fast(o)}; } else { ${leave} } } }`;
      }
      return `{ ${decl0}${address()}
      if (rTag[i] === ${tag(mask)}) ${target} = ${fast('rOff[i]')}; else { ${leave} } }`;
    }
    case Op.SB: case Op.SH: case Op.SW: {
      const width = d.op === Op.SW ? 4 : d.op === Op.SH ? 2 : 1;
      const mask = width === 4 ? '0xfffff003' : width === 2 ? '0xfffff001' : '0xfffff000';
      const fast = (off: string): string => (width === 4 ? `m32[(a + ${off}) >>> 2]` : width === 2 ? `m16[(a + ${off}) >>> 1]` : `m8[(a + ${off}) >>> 0]`);
      const v = R(rs2);
      if (base === undefined) {
        const [p, o] = lastPage(rs1, addr, inner, 'W');
        return `{ const a = (${R(rs1)} + ${imm}) | 0; const t = (a & ${mask}) | ${key};
      if (t === ${p}) ${fast(o)} = ${v};
      else { const i = (a >>> 12) & 1023; if (wTag[i] === t) { ${p} = t; ${o} = wOff[i]; ${fast(o)} = ${v}; } else { ${leave} } } }`;
      }
      return `{ ${address()}
      if (wTag[i] === ${tag(mask)}) ${fast('wOff[i]')} = ${v}; else { ${leave} } }`;
    }

    case Op.BEQ: case Op.BNE: case Op.BLT: case Op.BGE: case Op.BLTU: case Op.BGEU: {
      const a = R(rs1), b = R(rs2);
      const cond =
        d.op === Op.BEQ ? `${a} === ${b}` : d.op === Op.BNE ? `${a} !== ${b}` : d.op === Op.BLT ? `${a} < ${b}` : d.op === Op.BGE ? `${a} >= ${b}`
        : d.op === Op.BLTU ? `(${a} >>> 0) < (${b} >>> 0)` : `(${a} >>> 0) >= (${b} >>> 0)`;
      // Not taken: fall through into the next case (a leader); region() adds the
      // exit when the next instruction is not in this region.
      return `if (${cond}) { ${jumpTo(addr + imm)} }`;
    }
    case Op.JAL:
      return `${set(`${(addr + 4) | 0}`)} ${jumpTo(addr + imm)}`;
    case Op.JALR: {
      const t = imm === 0 ? R(rs1) : `(${R(rs1)} + ${imm}) | 0`;
      // A return (jalr through ra) to the address this function was called for
      // (jit.ts: calls) is the callee's return: leave, and the caller goes on
      // there. Other indirect jumps (a bytecode loop's jump table), and regions
      // never called directly, skip the test.
      const isReturn = callable && rd === 0 && rs1 === Reg.RA;
      return `{ const t = ${t}; ${set(`${(addr + 4) | 0}`)} pc = t; ${isReturn ? 'if (t === ret) break loop; ' : ''}if ((t & 0xfffff003) === ${vb | 0}) { c = C[(t >>> 2) & 1023]; continue loop; } break loop; }`;
    }
    default:
      return `pc = ${here}; break loop;`;
  }
}
