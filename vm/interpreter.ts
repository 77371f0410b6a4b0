/**
 * The interpreter loop.
 *
 * On a machine that has it (the interpreter tier, RAM of its own), the common
 * case does not run here: vm/core runs it in WebAssembly, over the same
 * registers, TLB arrays and RAM, and stops before anything it does not do
 * all of — a TLB miss, a trap, a system or privileged instruction — which
 * this loop then runs, one instruction, before handing back. Why: the floor
 * of a switch over these words is 2.1 ns a dispatch in JavaScript and 1.45
 * ns in WebAssembly (below), and the core brought the bench's interpreter
 * geometric mean from 1.57× Lua 5.4's time to 0.83× on the loops, 1.48× to
 * 0.84× on the real programs (core-wat.ts has its measurements). This loop
 * is the whole interpreter for the translation tier, for shared RAM (the
 * hosted monitor's worker) and with MachineOptions.core false.
 *
 * A few sharp decisions (measure before changing any of them — see bench/):
 * - Fetch from pre-decoded pages (decoded.ts), one page at a time: each
 *   word with its fields where the ISA puts them and its low byte replaced
 *   by a handler (reserved-bit checks done, a few pairs fused), then one
 *   `switch` on that byte, which V8 turns into a jump table. Inside a page pc
 *   is a word index: sequential code is `ix++`, a branch or jalr that stays
 *   on the page is an index change, and a PAGE_END sentinel after the last
 *   word replaces the code-page compare the old loop made before every
 *   fetch. Measured (CPU time per run, median, main vs this, interleaved, a
 *   machine loaded by other work): qsort 0.261 → 0.208 s, bintree 0.249 →
 *   0.161, ackermann 0.143 → 0.099, bignum 0.151 → 0.113, fib 0.444 →
 *   0.310, queens 0.157 → 0.144; wordfreq and bytecode within noise.
 * - Fused pairs: only addi+bne/blt, lui+ori, slli+add and add+lw. Fusing the
 *   most frequent pairs of the real-program family as well (lw+lw, sw+sw,
 *   addi+addi, lw+beq/bne/addi, addi+bltu/jal/jalr, sw+addi: about 40% of
 *   their instructions) made things slower, not faster: qsort 0.21 → 0.26 s
 *   with the memory pairs, queens 0.100 → 0.127, bytecode 0.30 → 0.34 with
 *   all of them — every case added is code V8 must keep in the one
 *   function, and a first run deoptimizes once per case it has not seen.
 *   The four kept pay on bytecode (0.36 → 0.30 s against no fusion at all).
 * - Hot state in locals: pc, the register file, the memory views and the TLB
 *   arrays. Nothing is allocated and no closure is created per instruction.
 * - r0 stays out of the hot path: decoded.ts gives every write to r0 a
 *   handler of its own (NOP for the ALU; the division's zero trap, the load's
 *   access and the jump without its link kept), so no case writes r0 and the
 *   `regs[0] = 0` before every instruction became one per page entry.
 *   Measured (CPU time of a run after a warm-up, median of 3 processes,
 *   main and this interleaved with Lua, 2 shared cores): fib 0.292 → 0.274 s,
 *   sieve 0.367 → 0.327, tight 1.055 → 0.963, crc32 0.869 → 0.804, matmul
 *   0.405 → 0.380, qsort 0.194 → 0.186, queens 0.098 → 0.096, bintree 0.160
 *   → 0.152, ackermann 0.093 → 0.090, wordfreq 0.157 → 0.126, bytecode 0.370
 *   → 0.350; every benchmark faster, 0.91× main's time in geometric mean.
 * - Counting per straight-line run was tried and not kept: each decoded word
 *   carrying the length of the run it starts (to the next branch, jump or
 *   system instruction), the limit tested and n advanced once per run, a
 *   STOP word written over the page where a limit falls inside a run (and
 *   the fused pair before it unfused), a trap subtracting what did not
 *   retire. Exact (the differential tests passed), but no faster on the
 *   whole: loops gained (tight 0.963 → 0.862 s, crc32 0.804 → 0.781, matmul
 *   0.380 → 0.348), calls and short runs lost (qsort 0.186 → 0.203,
 *   ackermann 0.090 → 0.102, fib 0.274 → 0.285) — the length is one more
 *   load per run, from another cache line than the word, and a run in code
 *   that calls is two or three instructions. A lesson from it: the first
 *   version set `n = limit` when it placed the STOP, which made n a double
 *   for V8 (limit can be one), and every compare with it a float compare:
 *   crc32 then took 0.97 s, not 0.78.
 * - Also tried, within noise, not kept: branches and jal whose target is off
 *   the page decoded to a FAR_BRANCH case, so the others jump by index with
 *   no bounds check (tight 1.024 → 0.967 s, ackermann 0.093 → 0.090, but
 *   bytecode 0.343 → 0.367, qsort 0.186 → 0.192, the rest ±2%); and run()
 *   counting n from each slice's start with the limit clamped to an int32
 *   (matmul 0.380 → 0.351, tight 0.963 → 0.913, wordfreq 0.126 → 0.143,
 *   the rest ±3%).
 * - Memory access is one compare on the fast path. The tag folds in the
 *   mode and (for halfwords and words) the alignment bits, so a misaligned
 *   address simply misses and the slow path raises the trap. It is compared
 *   first with the last page a load or store of its kind hit in the TLB
 *   (four local caches: word loads, word stores, byte/halfword loads,
 *   byte/halfword stores), then with the TLB entry. A hit on the local skips
 *   the index arithmetic and two typed-array loads. Every TLB change (a fill,
 *   a flush, a page decoded as code and so losing write permission, a dirty
 *   log cleared between runs) happens on a slow path or outside the page
 *   loop, so the locals reset at each page entry and cannot go stale
 *   (test/vm/decoded.test.ts checks the code-page case). Measured (CPU time
 *   of a run after a warm-up, median of 3 processes, main and this
 *   interleaved, 2 shared cores): fib 0.273 → 0.250 s, sieve 0.326 → 0.303,
 *   tight 0.971 → 0.926, crc32 0.827 → 0.774, qsort 0.185 → 0.170, queens
 *   0.091 → 0.084, bintree 0.155 → 0.138, ackermann 0.086 → 0.077, bytecode
 *   0.371 → 0.371; but wordfreq 0.126 → 0.160 (0.120 → 0.138 over 5
 *   processes) and matmul 0.343 → 0.360 (0.346 → 0.382): they alternate
 *   between pages (a hash table's buckets, three matrices), so they pay the
 *   extra compare and the refill and rarely hit. bignum is bimodal run to run
 *   (0.09 or 0.15 s either way). A second full interleaved session:
 *   fib 0.279 → 0.246, sieve 0.320 → 0.289, tight 0.975 → 0.921, crc32
 *   0.798 → 0.763, matmul 0.340 → 0.350, qsort 0.178 → 0.168, queens 0.092
 *   → 0.086, bintree 0.146 → 0.139, ackermann 0.087 → 0.077, wordfreq 0.111
 *   → 0.120, bignum 0.098 → 0.089, bytecode 0.345 → 0.335: geometric mean
 *   0.95× (the first session 0.97×) main's time, the
 *   worst ratios to Lua helped most: against Lua 5.4 in the same session
 *   (os.clock around a run, median of 3: fib 0.116 s, bintree 0.076,
 *   ackermann 0.045, qsort 0.156, wordfreq 0.081), fib 2.36× → 2.16×,
 *   bintree 2.05× → 1.83×, ackermann 1.90× → 1.70×, qsort 1.19× → 1.09×,
 *   wordfreq 1.56× → 1.98×. The target (≤ 1.3× everywhere) stays far. The translation
 *   tier, which interprets only between regions, within noise (qsort 0.133
 *   → 0.129, bintree 0.145 → 0.161, wordfreq 0.131 → 0.140, crc32 0.132 →
 *   0.121). Caching word accesses only, bytes and halfwords straight to the
 *   TLB, was no better: geometric mean 1.00× (qsort 0.91, ackermann 0.94,
 *   wordfreq 1.16, the rest ±4%); one cache shared by all loads lost crc32
 *   and wordfreq (1.08×), whose byte and word loads go to different pages.
 * - The register file as a plain JS array instead of the Int32Array, tried
 *   on the bare switch first (if the ceiling does not move, this loop will
 *   not): slower — fib 0.250 → 0.271 s, tight 0.977 → 1.147, bintree and
 *   qsort ±2%. Register values are 32-bit and the small integers V8 keeps
 *   unboxed are 31-bit, so addresses (stack, RAM at 0x8000_0000) turn the
 *   array into doubles and every read into a float-to-int conversion. Not
 *   tried in this loop.
 * - Instruction fetch looks a page up once, through the execute TLB: only a
 *   page change, a jump into another page, a mode change, a flush, a trap or
 *   a slow-path load or store (its device or its store may have written
 *   code) goes back to the TLB and the page's decoding.
 * - Interrupts are checked between slices, never per instruction: the slice
 *   limit is cut to end exactly when the timer deadline arrives, and every
 *   instruction that could unmask or raise an interrupt (CSR writes, sret,
 *   device access) ends the slice. So interrupts land on exact instruction
 *   boundaries, deterministically, at no cost to the hot path.
 * - Each case advances pc and `continue`s; falling out of the switch means the
 *   instruction trapped, so trap handling costs nothing when there is none.
 * - run() is called in slices by its caller: V8 optimises a function entered
 *   often far better than one long loop it can only replace on the stack.
 * - With the translation tier, one translated region runs straight into the
 *   next (a call into another page, a branch out of a loop nest) without
 *   going round the slice loop: translated code cannot raise an interrupt or
 *   an exit, so nothing there needs checking between them. qsort, which left
 *   a region every 10 instructions, went 0.90× (CPU time, interleaved A/B);
 *   the rest of that benchmark's gain is jit.ts's "chatty regions".
 * - Case labels are numeric literals (the opcode table's Op values, named in a
 *   comment), not `Op.X`: tsc inlines const enums but per-file transpilers
 *   (vitest's) do not, and a switch over property loads is a chain of
 *   compares, 50× slower. test/vm/opcodes.test.ts runs every opcode encoded
 *   from the table against its semantics, so a wrong literal cannot hide.
 *
 * Where the time goes, measured against bench/runners/bare-switch.ts (the
 * old loop with the machine taken out: flat memory, no checks, no traps),
 * which `npm run bench` runs as a peer. Before the decoded pages this loop
 * took 1.5–1.8× its time. Adding pieces back to the bare loop one at a time
 * (2-core EPYC, node 20): one TLB compare per load and store cost it ~8% on
 * fib (390 → 360 MIPS); the code-page check on fetch ~20% more on fib,
 * 10–15% elsewhere — the check the decoded pages removed; replacing it by a
 * page-end limit re-checked only on taken branches won nothing back.
 * Dropping the reserved-bit checks, the cold cases (mulh, privileged) or the
 * module-constant locals moved nothing beyond the ±15% run-to-run noise.
 *
 * Against Lua 5.4 (CPU time: typevisor's run after a warm-up, Lua's whole
 * process at 10 ms resolution; median of 3 processes each, main and this
 * loop interleaved with Lua in one session, machine loaded by other work):
 *
 *   real programs  main   now    Lua 5.4     loops    main   now    Lua 5.4
 *   qsort          0.194  0.186  0.14        fib      0.292  0.274  0.11
 *   queens         0.098  0.096  0.04        sieve    0.367  0.327  0.21
 *   bintree        0.160  0.152  0.07        tight    1.055  0.963  0.52
 *   ackermann      0.093  0.090  0.04        crc32    0.869  0.804  0.45
 *   wordfreq       0.157  0.126  0.08        matmul   0.405  0.380  0.33
 *   bignum         0.172  0.104  0.04        (bignum's main figure is one
 *   bytecode       0.370  0.350  0.13        of two modes; seconds per run)
 *
 * Geometric mean of the ratios to Lua: real programs 2.39× → 2.09×, loops
 * 1.86× → 1.71×. The target of ≤ 1.3× everywhere and a geometric mean
 * ≤ 1.0× is not reached: what is left is the per-instruction work itself —
 * the dispatch (the bare switch, with none of the machine's checks, is only
 * ~1.1× faster than this loop), the limit test and count, a bounds-checked
 * register file in a typed array that V8 cannot keep in machine registers,
 * the TLB compare. Counting per run and dropping the branch bounds check,
 * the two cuts of that work that were left, did not pay (above); what might
 * is a different shape of loop, not a smaller case.
 *
 * The floor, measured (bench section `dispatch`, bench/runners/dispatch-
 * floor.ts): a loop of three instructions (addi, add, bne), 10^8 turns. A
 * JavaScript switch that does nothing but dispatch those words — no count, no
 * limit, no TLB — takes 2.08–2.09 ns a dispatch (624–627 ms); this loop 3.04–
 * 3.06 ns (913–918 ms), 1.46× the floor; the same switch in WebAssembly
 * 1.45 ns; Lua 5.4 7.3–8.3 ns a turn for the same loop (four bytecodes).
 * Three quiet runs. What the 1.46× is, taken apart on a copy of the floor
 * loop: counting with a limit compare +20%; the limit a double (it can
 * exceed an int32) +5%; sixty more cases in the switch +15–19%, of which
 * testing the hot opcodes before the switch won back 4%. Each alone is small
 * and each is what the machine needs. Why the floor is where it is: with
 * TurboFan a typed array's map, length and data pointer are known within one
 * turn of a loop but not across turns — the stack check on the loop's back
 * edge ends what load elimination knows (`--trace-turbo-load-elimination`
 * shows the loop header keeping only immutable fields) and TurboFan hoists
 * nothing out of loops — so every case checks the register file's map and
 * loads its length and base again, and bounds-checks each register index.
 * The compiled loop (perf with `--perf-prof`) runs ~50 x86 instructions a
 * guest instruction.
 *
 * So the interpreter target of ≤ 1.3× Lua 5.4's time on every benchmark and
 * ≤ 1.0× in geometric mean is below what this loop can reach. A benchmark's
 * instructions times 2.09 ns, against Lua's time for it in the same bench
 * run: fib 1.36×, tight 1.19×, crc32 1.14× (the target: ≤ 1.3× each, with
 * everything the machine adds still to come); geometric mean 0.98× on the
 * loops, 0.84× on the real programs (the target ≤ 1.0×, with the count and
 * limit alone adding ~20%). The same figures at WebAssembly's 1.45 ns: 0.68×
 * and 0.58×, fib 0.94×. So the way to the target was an interpreter core in
 * WebAssembly — RAM, registers and TLB in its linear memory, handing every
 * slow path to this loop — not another cut to this loop: vm/core.
 */
import { decode } from '../isa/encoding.js';
import { mulh, mulhu } from './alu.js';
import { Mode } from './cpu.js';
import { Exit } from './exit.js';
import { decodeWord } from './decoded.js';
import { executePrivileged } from './privileged.js';
import { NOT_CALLED } from './jit/region-fn.js';
import type { Machine } from './machine.js';
import { TLB_MASK } from './mmu.js';
import { Cause, INTERRUPT_BIT } from './trap.js';

/** With the translation tier on: instructions interpreted before looking for translated code again. */
const JIT_CHUNK = 256;

export function run(m: Machine, budget: number): Exit {
  const cpu = m.cpu;
  const regs = cpu.regs;
  const mem = m.memory;
  const m8 = mem.u8;
  const m16 = mem.u16;
  const m32 = mem.i32;
  const mmu = m.mmu;
  const rTag = mmu.rTag, rOff = mmu.rOff;
  const wTag = mmu.wTag, wOff = mmu.wOff;
  const xTag = mmu.xTag, xOff = mmu.xOff;
  const jit = m.jit;
  const core = m.core;
  const decoded = m.decoded;
  const TMASK = TLB_MASK; // module constants as locals: no binding lookups in the loop

  const start = cpu.instret;
  let n = 0; // instructions retired in this call
  let pc = cpu.pc | 0;
  let key = cpu.mode === Mode.USER ? mmu.userKey : 0;
  m.pendingExit = -1;
  m.trapped = false;

  for (;;) {
    // ---- between slices: interrupts, exits, the next limit -------------------
    cpu.instret = start + n;
    regs[0] = 0; // whoever reads registers between runs sees r0 = 0
    if (m.pendingExit >= 0) {
      cpu.pc = pc >>> 0;
      const e = m.pendingExit;
      m.pendingExit = -1;
      return e as Exit;
    }
    const irq = m.deliverableIrq();
    if (irq >= 0) {
      m.raise(INTERRUPT_BIT | irq, 0, pc);
      m.trapped = false;
      // Where the trap put the CPU (the vector; in trapToHost mode the same pc), also
      // when an observer asked for an exit right after it (a debugger stepping).
      pc = cpu.pc | 0;
      if (m.pendingExit >= 0) continue;
      key = cpu.mode === Mode.USER ? mmu.userKey : 0;
    }
    if (n >= budget) {
      cpu.pc = pc >>> 0;
      return Exit.BUDGET;
    }
    let limit = budget;
    const toTimer = cpu.timerDeadline - (cpu.instret + cpu.idle);
    if (toTimer > 0 && n + toTimer < limit) limit = n + toTimer;

    // ---- the WebAssembly core: the common case, until it meets what it leaves here --
    if (core !== undefined) {
      const k = core.run(pc, key, Math.min(limit - n, 0x7fffffff));
      n += k;
      pc = core.stoppedAt() | 0;
      if (n >= limit) continue;
      // The next instruction needs this loop (a slow path, a trap, a system or
      // privileged instruction): run it alone, then back to the top and the core.
      core.handovers++;
      limit = n + 1;
    }

    // ---- the translation tier: run translated code when there is some -----------
    if (jit !== undefined) {
      let idx = (pc >>> 12) & TMASK;
      let fn = (pc & 3) === 0 && xTag[idx] === ((pc & 0xfffff000) | key) ? jit.entry(pc, (pc + xOff[idx]!) >>> 0, key, start + n) : undefined;
      // Chain: from one translated region straight into the next while the
      // slice lasts. Translated code calls nothing, so between two regions no
      // interrupt, exit or TLB change can have arisen that the slice loop above
      // would have to see (the timer is in `limit`). Whatever ends the chain —
      // the limit, a pc the execute TLB does not hold, a pc with no
      // translation (entry() then says how far to interpret) — falls through
      // to the interpreter, exactly as the slice loop would have.
      let chained = false;
      while (fn !== undefined) {
        const n0 = n;
        const pc0 = pc;
        n = fn(jit.ctx!, n, limit, pc, NOT_CALLED, 0);
        jit.stats.regionCalls++;
        pc = m.jitPc | 0;
        if (n === n0 && pc === pc0) {
          // No progress: the next block does not fit under the limit, or its first
          // instruction needs the interpreter (TLB miss, device, trap). Run one.
          jit.interpretFor = 1;
          break;
        }
        if (chained) jit.handedOver(start + n);
        chained = true;
        if (n >= limit) break;
        idx = (pc >>> 12) & TMASK;
        if ((pc & 3) !== 0 || xTag[idx] !== ((pc & 0xfffff000) | key)) {
          jit.interpretFor = 0;
          break;
        }
        fn = jit.entry(pc, (pc + xOff[idx]!) >>> 0, key, start + n);
      }
      // Interpret a short stretch (to the end of a translated block, if we are
      // inside one), then look for translated code again.
      const stretch = jit.interpretFor > 0 ? jit.interpretFor : JIT_CHUNK;
      if (n + stretch < limit) limit = n + stretch;
    }

    // ---- the hot loop, one decoded page at a time --------------------------------
    while (n < limit) {
      // The page pc is on: the execute TLB (or a walk), then its decoding.
      const vbase = pc & 0xfffff000;
      let off: number;
      const ti = (pc >>> 12) & TMASK;
      if ((pc & 3) === 0 && xTag[ti] === (vbase | key)) off = (pc + xOff[ti]!) | 0;
      else {
        cpu.instret = start + n;
        off = m.fetchSlow(pc);
        if (off < 0) {
          // The fetch trapped: nothing retired (n was not counted). Carry on
          // where the trap put the CPU — its vector, in its mode — exactly as
          // after an instruction that traps below. Going on from the old pc
          // (the mode already switched to supervisor) would run the faulting
          // address with the trap's privilege, and a fault that persists there
          // would trap again forever.
          m.trapped = false;
          pc = cpu.pc | 0;
          key = cpu.mode === Mode.USER ? mmu.userKey : 0;
          // The delivery spends the budget though nothing retired: a vector that
          // itself faults (no kernel there: stvec 0) would otherwise loop here
          // forever, n never reaching the budget, run() never returning.
          m.fetchFaults++;
          budget--;
          break;
        }
      }
      const code = decoded.page(off >>> 12);
      const wbase = (off >>> 2) & ~1023; // the page's first word in RAM, for RAW pages
      let ix = (pc & 0xfff) >>> 2;
      // No case writes r0 (decoded.ts gives r0 writes handlers of their own),
      // but a slow path (a device, a monitor's assist) might have; every slow
      // path leaves the page loop, so resetting it here is enough.
      regs[0] = 0;
      // The last page a word load, a word store, a byte or halfword load and a
      // byte or halfword store hit in the TLB. Every TLB change happens on a
      // slow path, which leaves this loop, so they reset here.
      let lrTag = -1, lrOff = 0, lwTag = -1, lwOff = 0, lbTag = -1, lbOff = 0, sbTag = -1, sbOff = 0;

      inner: for (;;) {
        if (n >= limit) { pc = (vbase + (ix << 2)) | 0; break; }
        let w = code[ix]!;
        n++;
        // RAW dispatches again on the word it decodes from memory: a loop around
        // the switch costs less than a RAW test before every instruction
        // (measured: ackermann 0.123 → 0.095 s, fib 0.329 → 0.306, bytecode
        // 0.328 → 0.304, the rest within noise).
        dispatch: for (;;) {
          switch (w & 0xff) {
            // ---- ALU, register-register (reserved bits checked by the decoder) ----
            case 0x01: /* add */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + regs[(w >>> 16) & 15]!) | 0; ix++; continue inner;
            case 0x02: /* sub */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! - regs[(w >>> 16) & 15]!) | 0; ix++; continue inner;
            case 0x03: /* mul */ regs[(w >>> 8) & 15] = Math.imul(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); ix++; continue inner;
            case 0x04: /* mulh */ regs[(w >>> 8) & 15] = mulh(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); ix++; continue inner;
            case 0x05: /* mulhu */ regs[(w >>> 8) & 15] = mulhu(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); ix++; continue inner;
            case 0x06: /* div */ {
              const b = regs[(w >>> 16) & 15]!;
              if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, (vbase + (ix << 2)) | 0); break; }
              regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! / b) | 0; // INT_MIN / -1 → 2^31 → wraps to INT_MIN
              ix++; continue inner;
            }
            case 0x07: /* divu */ {
              const b = regs[(w >>> 16) & 15]! >>> 0;
              if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, (vbase + (ix << 2)) | 0); break; }
              regs[(w >>> 8) & 15] = ((regs[(w >>> 12) & 15]! >>> 0) / b) | 0;
              ix++; continue inner;
            }
            case 0x08: /* rem */ {
              const b = regs[(w >>> 16) & 15]!;
              if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, (vbase + (ix << 2)) | 0); break; }
              regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! % b) | 0;
              ix++; continue inner;
            }
            case 0x09: /* remu */ {
              const b = regs[(w >>> 16) & 15]! >>> 0;
              if (b === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, (vbase + (ix << 2)) | 0); break; }
              regs[(w >>> 8) & 15] = ((regs[(w >>> 12) & 15]! >>> 0) % b) | 0;
              ix++; continue inner;
            }
            case 0x0a: /* and */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! & regs[(w >>> 16) & 15]!; ix++; continue inner;
            case 0x0b: /* or */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! | regs[(w >>> 16) & 15]!; ix++; continue inner;
            case 0x0c: /* xor */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! ^ regs[(w >>> 16) & 15]!; ix++; continue inner;
            // JavaScript shifts use the low five bits of the count: exactly the ISA's rule.
            case 0x0d: /* sll */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << regs[(w >>> 16) & 15]!; ix++; continue inner;
            case 0x0e: /* srl */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >>> regs[(w >>> 16) & 15]!; ix++; continue inner;
            case 0x0f: /* sra */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >> regs[(w >>> 16) & 15]!; ix++; continue inner;
            case 0x10: /* slt */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! < regs[(w >>> 16) & 15]! ? 1 : 0; ix++; continue inner;
            case 0x11: /* sltu */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! >>> 0) < (regs[(w >>> 16) & 15]! >>> 0) ? 1 : 0; ix++; continue inner;

            // ---- ALU, register-immediate ----
            case 0x12: /* addi */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0; ix++; continue inner;
            case 0x13: /* slti */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! < (w >> 16) ? 1 : 0; ix++; continue inner;
            case 0x14: /* sltiu */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! >>> 0) < ((w >> 16) >>> 0) ? 1 : 0; ix++; continue inner;
            case 0x15: /* andi */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! & (w >>> 16); ix++; continue inner;
            case 0x16: /* ori */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! | (w >>> 16); ix++; continue inner;
            case 0x17: /* xori */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! ^ (w >>> 16); ix++; continue inner;
            case 0x18: /* slli */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << (w >>> 16); ix++; continue inner;
            case 0x19: /* srli */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >>> (w >>> 16); ix++; continue inner;
            case 0x1a: /* srai */ regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >> (w >>> 16); ix++; continue inner;
            case 0x1b: /* lui */ regs[(w >>> 8) & 15] = w & 0xffff0000; ix++; continue inner;

            // ---- loads: a TLB miss may reach a device, whose DMA may write code, so
            // the slow path leaves the page loop and looks the page up again ----
            case 0x1c: /* lb */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff000) | key;
              if (tg === lbTag) { regs[(w >>> 8) & 15] = (m8[(a + lbOff) >>> 0]! << 24) >> 24; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (rTag[i] === tg) { lbTag = tg; lbOff = rOff[i]!; regs[(w >>> 8) & 15] = (m8[(a + lbOff) >>> 0]! << 24) >> 24; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              const v = m.loadSlow(a, 1, true, p);
              if (m.trapped) break;
              regs[(w >>> 8) & 15] = v;
              pc = (p + 4) | 0;
              if (m.pendingExit >= 0) limit = n;
              break inner;
            }
            case 0x1d: /* lbu */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff000) | key;
              if (tg === lbTag) { regs[(w >>> 8) & 15] = m8[(a + lbOff) >>> 0]!; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (rTag[i] === tg) { lbTag = tg; lbOff = rOff[i]!; regs[(w >>> 8) & 15] = m8[(a + lbOff) >>> 0]!; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              const v = m.loadSlow(a, 1, false, p);
              if (m.trapped) break;
              regs[(w >>> 8) & 15] = v;
              pc = (p + 4) | 0;
              if (m.pendingExit >= 0) limit = n;
              break inner;
            }
            case 0x1e: /* lh */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff001) | key;
              if (tg === lbTag) { regs[(w >>> 8) & 15] = (m16[(a + lbOff) >>> 1]! << 16) >> 16; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (rTag[i] === tg) { lbTag = tg; lbOff = rOff[i]!; regs[(w >>> 8) & 15] = (m16[(a + lbOff) >>> 1]! << 16) >> 16; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              const v = m.loadSlow(a, 2, true, p);
              if (m.trapped) break;
              regs[(w >>> 8) & 15] = v;
              pc = (p + 4) | 0;
              if (m.pendingExit >= 0) limit = n;
              break inner;
            }
            case 0x1f: /* lhu */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff001) | key;
              if (tg === lbTag) { regs[(w >>> 8) & 15] = m16[(a + lbOff) >>> 1]!; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (rTag[i] === tg) { lbTag = tg; lbOff = rOff[i]!; regs[(w >>> 8) & 15] = m16[(a + lbOff) >>> 1]!; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              const v = m.loadSlow(a, 2, false, p);
              if (m.trapped) break;
              regs[(w >>> 8) & 15] = v;
              pc = (p + 4) | 0;
              if (m.pendingExit >= 0) limit = n;
              break inner;
            }
            case 0x20: /* lw */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff003) | key;
              if (tg === lrTag) { regs[(w >>> 8) & 15] = m32[(a + lrOff) >>> 2]!; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (rTag[i] === tg) { lrTag = tg; lrOff = rOff[i]!; regs[(w >>> 8) & 15] = m32[(a + lrOff) >>> 2]!; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              const v = m.loadSlow(a, 4, false, p);
              if (m.trapped) break;
              regs[(w >>> 8) & 15] = v;
              pc = (p + 4) | 0;
              if (m.pendingExit >= 0) limit = n;
              break inner;
            }

            // ---- stores (value register in the rd slot); the slow path may have
            // written this very page (self-modifying code) or raised an interrupt
            // (a device): end the slice and look the page up again ----
            case 0x21: /* sb */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff000) | key;
              if (tg === sbTag) { m8[(a + sbOff) >>> 0] = regs[(w >>> 8) & 15]!; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (wTag[i] === tg) { sbTag = tg; sbOff = wOff[i]!; m8[(a + sbOff) >>> 0] = regs[(w >>> 8) & 15]!; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              m.storeSlow(a, regs[(w >>> 8) & 15]!, 1, p);
              if (m.trapped) break;
              pc = (p + 4) | 0; limit = n; break inner;
            }
            case 0x22: /* sh */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff001) | key;
              if (tg === sbTag) { m16[(a + sbOff) >>> 1] = regs[(w >>> 8) & 15]!; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (wTag[i] === tg) { sbTag = tg; sbOff = wOff[i]!; m16[(a + sbOff) >>> 1] = regs[(w >>> 8) & 15]!; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              m.storeSlow(a, regs[(w >>> 8) & 15]!, 2, p);
              if (m.trapped) break;
              pc = (p + 4) | 0; limit = n; break inner;
            }
            case 0x23: /* sw */ {
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const tg = (a & 0xfffff003) | key;
              if (tg === lwTag) { m32[(a + lwOff) >>> 2] = regs[(w >>> 8) & 15]!; ix++; continue inner; }
              const i = (a >>> 12) & TMASK;
              if (wTag[i] === tg) { lwTag = tg; lwOff = wOff[i]!; m32[(a + lwOff) >>> 2] = regs[(w >>> 8) & 15]!; ix++; continue inner; }
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              m.storeSlow(a, regs[(w >>> 8) & 15]!, 4, p);
              if (m.trapped) break;
              pc = (p + 4) | 0; limit = n; break inner;
            }

            // ---- branches: offset in words, from the branch itself; a target on
            // this page is an index, any other leaves the page loop ----
            case 0x24: /* beq */
              if (regs[(w >>> 8) & 15] === regs[(w >>> 12) & 15]) { const t = ix + (w >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix++; continue inner;
            case 0x25: /* bne */
              if (regs[(w >>> 8) & 15] !== regs[(w >>> 12) & 15]) { const t = ix + (w >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix++; continue inner;
            case 0x26: /* blt */
              if (regs[(w >>> 8) & 15]! < regs[(w >>> 12) & 15]!) { const t = ix + (w >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix++; continue inner;
            case 0x27: /* bge */
              if (regs[(w >>> 8) & 15]! >= regs[(w >>> 12) & 15]!) { const t = ix + (w >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix++; continue inner;
            case 0x28: /* bltu */
              if ((regs[(w >>> 8) & 15]! >>> 0) < (regs[(w >>> 12) & 15]! >>> 0)) { const t = ix + (w >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix++; continue inner;
            case 0x29: /* bgeu */
              if ((regs[(w >>> 8) & 15]! >>> 0) >= (regs[(w >>> 12) & 15]! >>> 0)) { const t = ix + (w >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix++; continue inner;
            case 0x2a: /* jal */ {
              regs[(w >>> 8) & 15] = (vbase + (ix << 2) + 4) | 0;
              const t = ix + (w >> 12);
              if ((t >>> 0) < 1024) { ix = t; continue inner; }
              pc = (vbase + (t << 2)) | 0; break inner;
            }
            case 0x2b: /* jalr */ {
              const t = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0; // read rs1 before writing rd: they may be the same
              regs[(w >>> 8) & 15] = (vbase + (ix << 2) + 4) | 0;
              if ((t & 0xfffff003) === vbase) { ix = (t >>> 2) & 1023; continue inner; } // same page, aligned
              pc = t; break inner;
            }
            case 0x2c: /* syscall */
              cpu.instret = start + n - 1;
              m.raise(Cause.SYSCALL, 0, (vbase + (ix << 2)) | 0);
              break;
            case 0x2d: /* break */
              cpu.instret = start + n - 1;
              m.raise(Cause.BREAKPOINT, 0, (vbase + (ix << 2)) | 0);
              break;

            // ---- privileged: in user mode they all trap, which is the whole point ----
            case 0x2e: /* csrr */ case 0x2f: /* csrw */ case 0x30: /* csrrw */ case 0x31: /* csrs */ case 0x32: /* csrc */
            case 0x33: /* sret */ case 0x34: /* tlbflush */ case 0x35: /* wfi */ case 0x36: /* halt */ {
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              if (key !== 0) {
                // A monitor's fast path (Machine.assist) may emulate it where it stands: then it retired.
                if (m.assist === undefined || !m.assist.privileged(w, p)) { m.raise(decode(w) === undefined ? Cause.ILLEGAL_INSTRUCTION : Cause.PRIVILEGED_INSTRUCTION, w, p); break; }
              } else {
                cpu.pc = p >>> 0;
                if (!executePrivileged(m, w)) { m.raise(Cause.ILLEGAL_INSTRUCTION, w, p); break; }
              }
              pc = cpu.pc | 0;
              key = cpu.mode === Mode.USER ? mmu.userKey : 0;
              limit = n; // re-check interrupts, exits and the timer before going on
              break inner;
            }

            case 0x38: /* RAW: a page that is not decoded */
              w = decodeWord(m32[wbase + ix]!);
              continue dispatch;

            // ---- writes to r0 (decoded.ts): only their other effects remain ----
            case 0x39: /* NOP: an ALU instruction into r0 */ ix++; continue inner;
            case 0x3a: /* div, divu, rem, remu into r0: the divide-by-zero trap stays */
              if (regs[(w >>> 16) & 15] === 0) { m.raise(Cause.DIVIDE_BY_ZERO, 0, (vbase + (ix << 2)) | 0); break; }
              ix++; continue inner;
            case 0x3b: /* a load into r0: the access stays (a fault, a device read); the slow path does it whole */ {
              const op = m32[wbase + ix]! & 0xff; // lb lbu lh lhu lw = 0x1c..0x20, from memory (decoded pages match it)
              const a = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              const p = (vbase + (ix << 2)) | 0;
              cpu.instret = start + n - 1;
              m.loadSlow(a, op === 0x20 ? 4 : op >= 0x1e ? 2 : 1, op === 0x1c || op === 0x1e, p);
              if (m.trapped) break;
              pc = (p + 4) | 0;
              if (m.pendingExit >= 0) limit = n;
              break inner;
            }
            case 0x3c: /* jal r0 (j): no link */ {
              const t = ix + (w >> 12);
              if ((t >>> 0) < 1024) { ix = t; continue inner; }
              pc = (vbase + (t << 2)) | 0; break inner;
            }
            case 0x3d: /* jalr r0 (ret, jr): no link */ {
              const t = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              if ((t & 0xfffff003) === vbase) { ix = (t >>> 2) & 1023; continue inner; }
              pc = t; break inner;
            }

            case 0x37: /* PAGE_END: ran off the page; nothing executed */
              n--;
              pc = (vbase + 4096) | 0;
              break inner;

            // ---- fused pairs (decoded.ts): the second half runs only when the
            // limit leaves room for it, else the next turn runs it alone ----
            case 0x40: /* addi ; bne */ {
              regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              if (n >= limit) { ix++; continue inner; }
              n++;
              const w2 = code[ix + 1]!;
              if (regs[(w2 >>> 8) & 15] !== regs[(w2 >>> 12) & 15]) { const t = ix + 1 + (w2 >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix += 2; continue inner;
            }
            case 0x41: /* addi ; blt */ {
              regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
              if (n >= limit) { ix++; continue inner; }
              n++;
              const w2 = code[ix + 1]!;
              if (regs[(w2 >>> 8) & 15]! < regs[(w2 >>> 12) & 15]!) { const t = ix + 1 + (w2 >> 16); if ((t >>> 0) < 1024) { ix = t; continue inner; } pc = (vbase + (t << 2)) | 0; break inner; }
              ix += 2; continue inner;
            }
            case 0x42: /* lui ; ori, same register */ {
              if (n >= limit) { regs[(w >>> 8) & 15] = w & 0xffff0000; ix++; continue inner; }
              n++;
              regs[(w >>> 8) & 15] = (w & 0xffff0000) | (code[ix + 1]! >>> 16);
              ix += 2; continue inner;
            }
            case 0x43: /* slli ; add */ {
              regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << (w >>> 16);
              if (n >= limit) { ix++; continue inner; }
              n++;
              const w2 = code[ix + 1]!;
              regs[(w2 >>> 8) & 15] = (regs[(w2 >>> 12) & 15]! + regs[(w2 >>> 16) & 15]!) | 0;
              ix += 2; continue inner;
            }
            case 0x44: /* add ; lw — the load alone on a TLB miss */ {
              regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + regs[(w >>> 16) & 15]!) | 0;
              if (n >= limit) { ix++; continue inner; }
              const w2 = code[ix + 1]!;
              const a = (regs[(w2 >>> 12) & 15]! + (w2 >> 16)) | 0;
              const i = (a >>> 12) & TMASK;
              if (rTag[i] !== ((a & 0xfffff003) | key)) { ix++; continue inner; }
              n++;
              regs[(w2 >>> 8) & 15] = m32[(a + rOff[i]!) >>> 2]!;
              ix += 2; continue inner;
            }

            default: /* ILLEGAL: reserved bits set, or no such opcode (the word as it is in memory) */
              m.raise(Cause.ILLEGAL_INSTRUCTION, m32[wbase + ix]!, (vbase + (ix << 2)) | 0);
              break;
          }
          break;
        }
        // ---- only a trap gets here: the instruction did not retire ----
        n--;
        m.trapped = false;
        pc = cpu.pc | 0;
        key = cpu.mode === Mode.USER ? mmu.userKey : 0;
        limit = n;
        break;
      }
    }
  }
}
