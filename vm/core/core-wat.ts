/**
 * The interpreter core in WebAssembly: the source text of the module that
 * wasm-core.ts runs (assembled ahead of time by assemble-core.ts into
 * core-binary.ts).
 *
 * Why it exists (measured: bench section `dispatch` and the WebAssembly
 * bare switch, bench/runners/wasm-switch.ts): the same switch loop runs
 * 2–2.5× faster in WebAssembly than in JavaScript on V8, where every case of
 * the JavaScript loop checks the register file's map and reloads its length
 * and base (vm/interpreter.ts has the measurements).
 *
 * What it does: the common case and nothing else. It runs instructions from
 * `pc` until `limit` have retired or until the next one is anything it does
 * not do all of, on its fast path, exactly as vm/interpreter.ts would: an
 * ALU instruction, a load or store whose TLB entry hits, a branch, jal, jalr.
 * It stops *before* everything else — a TLB miss (on fetch, load or store;
 * the slow path may walk, fault, reach a device or write code), a division
 * by zero, reserved bits set, a system or privileged instruction, an opcode
 * it does not know — with that instruction not retired and pc on it, so the
 * JavaScript loop runs it, slow path and trap included. So nothing here can
 * trap or be observed half done; instruction counts, traps, interrupts
 * (which the caller's limit schedules) and the dirty log stay exact.
 *
 * It reads the machine where the machine keeps it: the registers, the TLB's
 * arrays and RAM all live in the module's linear memory (the layout below),
 * views of which are the machine's own Int32Arrays. A store through a TLB
 * write entry is exactly what the JavaScript loop's fast path does: write
 * entries exist only for pages already dirty and not holding decoded or
 * translated code (mmu.ts, decoded.ts), so a store to code misses and stops.
 *
 * Words are read from RAM as they are, never from a decoded copy, so a
 * store to code — by the core into a page only it has run, or by the
 * JavaScript loop — is seen by the next fetch.
 *
 * Measured (median of 5 runs after a warm-up, quiet 2-core EPYC, Node
 * 20.20.2; the interpreter tier on the JavaScript loop alone → on the core):
 * fib 245 → 152 ms, tight 920 → 462, qsort 166 → 108, bintree 137 → 77,
 * bytecode 231 → 152; the bench's geometric mean against Lua 5.4 went from
 * 1.57× to 0.83× on the loops and from 1.48× to 0.84× on the real programs.
 * Decisions, each measured A/B on the same build otherwise:
 * - The fetch page is looked up on entering a page, not before every
 *   instruction: a sequential step tests whether pc crossed a page boundary,
 *   a taken jump whether its target is on the page (tight 695 → 462 ms, fib
 *   172 → 153, qsort 133 → 108, bintree 93 → 77, bytecode 194 → 156).
 * - A TLB entry's byte offset in one shift and mask (fib 153 → 151, the rest
 *   within 1–2%); a dispatch table of 256 entries, so the low byte needs no
 *   bounds check (~0.5%).
 * - Tried, not kept: the page each kind of access last hit, compared before
 *   the TLB, as the JavaScript loop does (sieve 153 → 265 ms, matmul 169 →
 *   182; only bytecode gained, 159 → 135); writes to r0 sent to a sink by a
 *   select instead of zeroing r0 before every instruction (fib 151 → 164,
 *   tight 460 → 532); r0 zeroed only after a write and the link of `j`/`ret`
 *   skipped (tight 462 → 480); a second copy of the loop that leaves out the
 *   limit compare while a page's worth of instructions is left (qsort 107.5
 *   → 105.3, tight 462 → 452, fib unchanged: not worth every case twice).
 * - What is left is the dispatch: perf on fib shows the time after the
 *   indirect jump of the `br_table`, i.e. its mispredictions. So each case
 *   fetches the next instruction at its end (the loop's head is the
 *   br_table alone), and addi, lw and sw, when the next instruction has
 *   their own opcode, run it without the table: their case is a loop of its
 *   own. A push's stores, a pop's loads, addi after addi take one indirect
 *   jump. fib 151 → 143 ms, qsort 107 → 100, bintree 77 → 67.5, matmul 166
 *   → 159, bytecode 150 → 144, sieve 155 → 148; tight 461 → 477. Tried on
 *   the way: the same with a nested dispatch loop (fib 136, but sieve +12%);
 *   with a second fetch when the next opcode differs (fib 145, sieve +5.5%);
 *   addi also going straight to sw, blt or jal, the cases after it that
 *   WebAssembly's blocks let it reach (fib 144 → 139, but matmul +2.5–5%):
 *   not kept. Fused pairs, as decoded.ts makes for the JavaScript loop, would
 *   need decoded pages in this memory.
 */

import { TLB_SIZE } from '../mmu.js';

/** Linear memory layout, in bytes. */
export const CORE_PC = 0; // where run() leaves the pc it stopped on
export const CORE_REGS = 64; // 16 registers
export const CORE_TLB = 4096; // rTag, rOff, wTag, wOff, xTag, xOff: TLB_SIZE words each
export const CORE_RAM = 65536; // RAM, page-aligned

const TLB_WORDS = TLB_SIZE;
const R_TAG = CORE_TLB;
const R_OFF = CORE_TLB + 4 * TLB_WORDS;
const W_TAG = CORE_TLB + 8 * TLB_WORDS;
const W_OFF = CORE_TLB + 12 * TLB_WORDS;
const X_TAG = CORE_TLB + 16 * TLB_WORDS;
const X_OFF = CORE_TLB + 20 * TLB_WORDS;

/** A register field's address: CORE_REGS + ((w >>> shift) & 15) * 4. */
const regAddr = (shift: number): string => `(i32.and (i32.shr_u (local.get $w) (i32.const ${shift - 2})) (i32.const 60))`;
const reg = (shift: number): string => `(i32.load offset=${CORE_REGS} ${regAddr(shift)})`;
const rs1 = reg(12);
const rs2 = reg(16);
const r8 = reg(8); // a store's value or a branch's first operand (the rd slot)
const imm = '(i32.shr_s (local.get $w) (i32.const 16))';
const uimm = '(i32.shr_u (local.get $w) (i32.const 16))';
const set = (value: string): string => `(i32.store offset=${CORE_REGS} ${regAddr(8)} ${value})`;
/** The instruction retired: count it, step past it, on to the next. */
const counted = '(local.set $n (i32.add (local.get $n) (i32.const 1)))';
/** On to the next instruction: the same page unless pc just crossed into the next. */
/**
 * What comes before any instruction runs: r0 zeroed (whatever the last one
 * wrote to it), the limit compared, the word fetched into $w. Each case does
 * it for the next instruction at its end, so the loop's head is the dispatch
 * alone, and a case can look at the next opcode before dispatching (self).
 */
const ahead = `(i32.store offset=${CORE_REGS} (i32.const 0) (i32.const 0))
   (br_if $stop (i32.ge_u (local.get $n) (local.get $limit)))
   (local.set $w (i32.load offset=${CORE_RAM} (i32.add (local.get $pc) (local.get $fetch))))`;
/** On to the next instruction: the same page unless pc just crossed into the next. */
const stepped = `${counted} (local.set $pc (i32.add (local.get $pc) (i32.const 4))) (br_if $page (i32.eqz (i32.and (local.get $pc) (i32.const 0xffc)))) ${ahead}`;
const retire = `${stepped} (br $next)`;
/**
 * Retire, and run the next instruction straight away if it has the same
 * opcode: the case is a loop of its own ($self…), so a run of them (a push's
 * stores, a pop's loads, addi after addi) takes one indirect jump, not one each.
 */
const retireToSelf = (op: number): string => `${stepped} (br_if $self${op} (i32.eq (i32.and (local.get $w) (i32.const 0xff)) (i32.const ${op}))) (br $next)`;
const selfLoop = (op: number, body: string): string => `(loop $self${op} ${body})`;
/** On to a jump's target in $pc: the same page (and aligned) or look it up. */
const jumped = `(br_if $page (i32.ne (i32.and (local.get $pc) (i32.const 0xfffff003)) (local.get $vpage))) ${ahead} (br $next)`;
const stop = '(br $stop)';
/** Stop unless the reserved bits (those at and above `from`) are clear. */
const reserved = (from: number): string => `(br_if $stop (i32.shr_u (local.get $w) (i32.const ${from})))`;

/**
 * A load or store through the TLB: the address into $a, the entry's byte
 * offset in each array into $i, and a stop unless the tag (its alignment bits
 * included, so a misaligned access misses) matches.
 */
const translate = (tags: number, alignBits: number): string =>
  `(local.set $a (i32.add ${rs1} ${imm}))
   (local.set $i (i32.and (i32.shr_u (local.get $a) (i32.const 10)) (i32.const ${(TLB_WORDS - 1) << 2})))
   (br_if $stop (i32.ne (i32.load offset=${tags} (local.get $i)) (i32.or (i32.and (local.get $a) (i32.const ${0xfffff000 | alignBits})) (local.get $key))))`;
const ramAt = (offs: number): string => `(i32.add (local.get $a) (i32.load offset=${offs} (local.get $i)))`;
const load = (op: string, alignBits: number, tail = retire): string => `${translate(R_TAG, alignBits)} ${set(`(${op} offset=${CORE_RAM} ${ramAt(R_OFF)})`)} ${tail}`;
const store = (op: string, alignBits: number, tail = retire): string => `${translate(W_TAG, alignBits)} (${op} offset=${CORE_RAM} ${ramAt(W_OFF)} ${r8}) ${tail}`;
const branch = (test: string): string =>
  `(if ${test} (then ${counted} (local.set $pc (i32.add (local.get $pc) (i32.shl ${imm} (i32.const 2)))) ${jumped})) ${retire}`;
/** The division family: operands saved, a zero divisor stops (the JavaScript loop raises the trap). */
const divide = (body: string): string => `(local.set $a ${rs1}) (local.set $i ${rs2}) (br_if $stop (i32.eqz (local.get $i))) ${set(body)} ${retire}`;

/** Each opcode's case, 0x00..0x2b (the handlers of vm/interpreter.ts for the same opcodes); anything else stops. */
const CASES: readonly string[] = [
  /* 0x00 */ stop,
  /* 0x01 add */ `${reserved(20)} ${set(`(i32.add ${rs1} ${rs2})`)} ${retire}`,
  /* 0x02 sub */ `${reserved(20)} ${set(`(i32.sub ${rs1} ${rs2})`)} ${retire}`,
  /* 0x03 mul */ `${reserved(20)} ${set(`(i32.mul ${rs1} ${rs2})`)} ${retire}`,
  /* 0x04 mulh */ `${reserved(20)} ${set(`(i32.wrap_i64 (i64.shr_s (i64.mul (i64.extend_i32_s ${rs1}) (i64.extend_i32_s ${rs2})) (i64.const 32)))`)} ${retire}`,
  /* 0x05 mulhu */ `${reserved(20)} ${set(`(i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u ${rs1}) (i64.extend_i32_u ${rs2})) (i64.const 32)))`)} ${retire}`,
  // INT_MIN / -1 wraps to INT_MIN (where WebAssembly's div_s would trap); INT_MIN % -1 is 0 in both.
  /* 0x06 div */ `${reserved(20)} ${divide(
    '(if (result i32) (i32.and (i32.eq (local.get $a) (i32.const 0x80000000)) (i32.eq (local.get $i) (i32.const -1))) (then (local.get $a)) (else (i32.div_s (local.get $a) (local.get $i))))',
  )}`,
  /* 0x07 divu */ `${reserved(20)} ${divide('(i32.div_u (local.get $a) (local.get $i))')}`,
  /* 0x08 rem */ `${reserved(20)} ${divide('(i32.rem_s (local.get $a) (local.get $i))')}`,
  /* 0x09 remu */ `${reserved(20)} ${divide('(i32.rem_u (local.get $a) (local.get $i))')}`,
  /* 0x0a and */ `${reserved(20)} ${set(`(i32.and ${rs1} ${rs2})`)} ${retire}`,
  /* 0x0b or */ `${reserved(20)} ${set(`(i32.or ${rs1} ${rs2})`)} ${retire}`,
  /* 0x0c xor */ `${reserved(20)} ${set(`(i32.xor ${rs1} ${rs2})`)} ${retire}`,
  /* 0x0d sll */ `${reserved(20)} ${set(`(i32.shl ${rs1} ${rs2})`)} ${retire}`,
  /* 0x0e srl */ `${reserved(20)} ${set(`(i32.shr_u ${rs1} ${rs2})`)} ${retire}`,
  /* 0x0f sra */ `${reserved(20)} ${set(`(i32.shr_s ${rs1} ${rs2})`)} ${retire}`,
  /* 0x10 slt */ `${reserved(20)} ${set(`(i32.lt_s ${rs1} ${rs2})`)} ${retire}`,
  /* 0x11 sltu */ `${reserved(20)} ${set(`(i32.lt_u ${rs1} ${rs2})`)} ${retire}`,
  /* 0x12 addi */ selfLoop(0x12, `${set(`(i32.add ${rs1} ${imm})`)} ${retireToSelf(0x12)}`),
  /* 0x13 slti */ `${set(`(i32.lt_s ${rs1} ${imm})`)} ${retire}`,
  /* 0x14 sltiu */ `${set(`(i32.lt_u ${rs1} ${imm})`)} ${retire}`,
  /* 0x15 andi */ `${set(`(i32.and ${rs1} ${uimm})`)} ${retire}`,
  /* 0x16 ori */ `${set(`(i32.or ${rs1} ${uimm})`)} ${retire}`,
  /* 0x17 xori */ `${set(`(i32.xor ${rs1} ${uimm})`)} ${retire}`,
  /* 0x18 slli */ `${reserved(21)} ${set(`(i32.shl ${rs1} ${uimm})`)} ${retire}`,
  /* 0x19 srli */ `${reserved(21)} ${set(`(i32.shr_u ${rs1} ${uimm})`)} ${retire}`,
  /* 0x1a srai */ `${reserved(21)} ${set(`(i32.shr_s ${rs1} ${uimm})`)} ${retire}`,
  /* 0x1b lui */ `(br_if $stop (i32.and (local.get $w) (i32.const 0xf000))) ${set('(i32.and (local.get $w) (i32.const 0xffff0000))')} ${retire}`,
  /* 0x1c lb */ load('i32.load8_s', 0),
  /* 0x1d lbu */ load('i32.load8_u', 0),
  /* 0x1e lh */ load('i32.load16_s', 1),
  /* 0x1f lhu */ load('i32.load16_u', 1),
  /* 0x20 lw */ selfLoop(0x20, load('i32.load', 3, retireToSelf(0x20))),
  /* 0x21 sb */ store('i32.store8', 0),
  /* 0x22 sh */ store('i32.store16', 1),
  /* 0x23 sw */ selfLoop(0x23, store('i32.store', 3, retireToSelf(0x23))),
  /* 0x24 beq */ branch(`(i32.eq ${r8} ${rs1})`),
  /* 0x25 bne */ branch(`(i32.ne ${r8} ${rs1})`),
  /* 0x26 blt */ branch(`(i32.lt_s ${r8} ${rs1})`),
  /* 0x27 bge */ branch(`(i32.ge_s ${r8} ${rs1})`),
  /* 0x28 bltu */ branch(`(i32.lt_u ${r8} ${rs1})`),
  /* 0x29 bgeu */ branch(`(i32.ge_u ${r8} ${rs1})`),
  /* 0x2a jal */ `${counted} ${set('(i32.add (local.get $pc) (i32.const 4))')} (local.set $pc (i32.add (local.get $pc) (i32.shl (i32.shr_s (local.get $w) (i32.const 12)) (i32.const 2)))) ${jumped}`,
  /* 0x2b jalr */ `${counted} (local.set $a (i32.add ${rs1} ${imm})) ${set('(i32.add (local.get $pc) (i32.const 4))')} (local.set $pc (local.get $a)) ${jumped}`,
];

/**
 * The module. `run(pc, key, limit)`: instructions retired (≤ limit), the pc it
 * stopped on at CORE_PC. `key` is the TLB key of the mode it runs in (0 in
 * supervisor mode, the user key in user mode), as vm/interpreter.ts folds it
 * into every tag.
 */
export function coreWat(): string {
  const labels = CASES.map((_, op) => `$op${op}`);
  const open = labels.map((l) => `(block ${l}`).reverse().join(' ');
  const cases = CASES.map((body, op) => `) ;; 0x${op.toString(16)}\n${body}`).join('\n');
  return `(module
  (import "machine" "memory" (memory 1))
  (func (export "run") (param $pc i32) (param $key i32) (param $limit i32) (result i32)
    (local $n i32) (local $w i32) (local $a i32) (local $i i32)
    (local $vpage i32) ;; the page pc is on (its virtual address)
    (local $fetch i32) ;; RAM offset of that page's words, less its virtual address
    (block $stop
      (loop $page
        ;; a new page: the execute TLB, as the JavaScript loop looks a page up on
        ;; entering it; an unaligned pc misses (its low bits are in the compare)
        (local.set $i (i32.and (i32.shr_u (local.get $pc) (i32.const 10)) (i32.const ${(TLB_WORDS - 1) << 2})))
        (br_if $stop (i32.ne (i32.load offset=${X_TAG} (local.get $i)) (i32.or (i32.and (local.get $pc) (i32.const 0xfffff003)) (local.get $key))))
        (local.set $vpage (i32.and (local.get $pc) (i32.const 0xfffff000)))
        (local.set $fetch (i32.load offset=${X_OFF} (local.get $i)))
        ${ahead}
        (loop $next ;; the instruction in $w
          (block ${open}
            (br_table ${labels.join(' ')} ${'$stop '.repeat(256 - labels.length)}$stop (i32.and (local.get $w) (i32.const 0xff)))
${cases})
          ;; past the last case: an opcode the JavaScript loop runs
          (br $stop))))
    ;; stopped at the limit, or before an instruction it leaves to the JavaScript loop (not retired)
    (i32.store (i32.const ${CORE_PC}) (local.get $pc))
    (local.get $n)))`;
}
