/**
 * Pre-decoded code pages for the interpreter: each RAM page that instructions
 * are fetched from, decoded once into an Int32Array of words whose low byte is a handler.
 *
 * What decoding settles ahead of time, so the interpreter's cases do not:
 * - the reserved-bit checks: an instruction with reserved bits set decodes
 *   to ILLEGAL (handler 0), whose case raises the trap with the word;
 * - writes to r0: an instruction whose only effect is to write r0 decodes to
 *   NOP, and the few whose other effects remain (a division that can trap, a
 *   load that can fault or reach a device, a jump that links to r0) to
 *   handlers of their own. So no case writes r0, and the loop does not reset
 *   it before every instruction;
 * - the end of the page: entry 1024 is PAGE_END, so running off the page is
 *   one more case instead of a page compare before every instruction;
 * - fused pairs (see FUSED_* in interpreter.ts): the first instruction of a
 *   common pair gets a handler that runs both, when both are on this page.
 *   The second keeps its own entry, so a jump to it runs it alone.
 *
 * Keeping decodings true to memory reuses what the translation tier does for
 * self-modifying code: a decoded page is marked in PhysicalMemory.code, so no
 * store to it gets write permission in the TLB; the store's slow path, and
 * every host write (loader, DMA, syscalls, migration, the debugger), emits
 * codeWrite for the page, which drops its decoding. The interpreter then
 * looks the page up again before the next instruction (it leaves its inner
 * loop after every slow store).
 *
 * A page that keeps being written while it runs — code and data sharing a
 * page — would be decoded again after every store to it. After STRIKES
 * decodings dropped, it is not decoded again until reset: it runs RAW, every
 * word read from memory and decoded on the spot (decodeWord), as the
 * interpreter did before this file, and its stores stay on the fast path.
 */
import type { Mmu } from './mmu.js';
import type { PhysicalMemory } from './memory.js';

/** Words in a page; entry WORDS of a decoded page is the PAGE_END sentinel. */
export const WORDS = 1024;
/** A decoded instruction with reserved bits set: its case raises ILLEGAL_INSTRUCTION. */
export const ILLEGAL = 0;
/** Past the last word of the page: look the next page up. */
export const PAGE_END = 0x37;
/** Read the word from memory and decode it now (a page that is not decoded). */
export const RAW = 0x38;
/** An instruction whose only effect is to write r0. */
export const NOP = 0x39;
/** div, divu, rem, remu into r0: traps on a zero divisor, else nothing. */
export const DIV_R0 = 0x3a;
/** A load into r0: the access happens (it may fault, or read a device), the value goes nowhere. */
export const LOAD_R0 = 0x3b;
/** jal and jalr with rd = r0: a jump that does not link (`j`, `ret`, `jr`). */
export const JAL_R0 = 0x3c;
export const JALR_R0 = 0x3d;

/** Fused pairs (first instruction's handler); the interpreter's cases run both. */
export const FUSED_ADDI_BNE = 0x40;
export const FUSED_ADDI_BLT = 0x41;
export const FUSED_LUI_ORI = 0x42;
export const FUSED_SLLI_ADD = 0x43;
export const FUSED_ADD_LW = 0x44;

/** Decodings of one page dropped before it is left RAW. */
export const STRIKES = 8;

/**
 * The handler for one instruction word: its opcode, ILLEGAL when reserved
 * bits are set (the same checks the ISA's encoding makes; privileged
 * instructions are checked when they run, as they need the mode first), or
 * one of the r0 handlers when it writes r0.
 */
export function decodeOp(w: number): number {
  const op = validOp(w);
  if ((w & 0xf00) !== 0 || op === ILLEGAL) return op; // rd is not r0
  if (op >= 0x06 && op <= 0x09) return DIV_R0;
  if (op <= 0x1b) return NOP; // the rest of the ALU, register and immediate
  if (op <= 0x20) return LOAD_R0;
  if (op === 0x2a) return JAL_R0;
  if (op === 0x2b) return JALR_R0;
  return op; // stores and branches (rd is a source), system, privileged
}

/** The opcode, or ILLEGAL when reserved bits are set. */
function validOp(w: number): number {
  const op = w & 0xff;
  if (op >= 0x01 && op <= 0x11) return (w >>> 20) !== 0 ? ILLEGAL : op; // register-register ALU
  if (op >= 0x18 && op <= 0x1a) return (w >>> 21) !== 0 ? ILLEGAL : op; // shifts by an immediate
  if (op === 0x1b) return (w & 0xf000) !== 0 ? ILLEGAL : op; // lui: no rs1
  if (op === 0x2c || op === 0x2d) return w !== op ? ILLEGAL : op; // syscall, break: no operands
  if (op >= 0x12 && op <= 0x36) return op;
  return ILLEGAL;
}

/**
 * The handler for the pair (w, next) starting at a word, or decodeOp(w) when
 * no fusion applies. An instruction that writes r0 has its own handler
 * (decodeOp), so it is never fused, first or second.
 */
function fuse(op: number, w: number, next: number): number {
  const op2 = decodeOp(next);
  const rd = (w >>> 8) & 15;
  // addi rX, rX, k ; bne/blt rX, rY, target — a counted loop's step and test.
  if (op === 0x12 && (op2 === 0x25 || op2 === 0x26)) return op2 === 0x25 ? FUSED_ADDI_BNE : FUSED_ADDI_BLT;
  // lui rX, hi ; ori rX, rX, lo — a 32-bit constant (the assembler's `li`).
  if (op === 0x1b && op2 === 0x16 && ((next >>> 8) & 15) === rd && ((next >>> 12) & 15) === rd) return FUSED_LUI_ORI;
  // slli rX, rI, s ; add rX, rB, rX — an indexed address.
  if (op === 0x18 && op2 === 0x01) return FUSED_SLLI_ADD;
  // add rA, rB, rC ; lw rD, k(rA) — load through a computed address.
  if (op === 0x01 && op2 === 0x20) return FUSED_ADD_LW;
  return op;
}

/**
 * Decode a page of words (length WORDS): each word with its low byte (the
 * opcode) replaced by its handler, plus the PAGE_END sentinel. Every field
 * stays where the ISA puts it, so the interpreter fetches one word and
 * switches on its low byte, as it did on the raw word; the handler differs
 * from the opcode only for a fused pair, an r0 write or an illegal word
 * (whose case reads the original from memory for the trap).
 */
export function decodePage(words: Int32Array, fusion: boolean): Int32Array {
  const out = new Int32Array(WORDS + 1);
  for (let i = 0; i < WORDS; i++) {
    const w = words[i]!;
    const op = decodeOp(w);
    out[i] = (w & ~0xff) | (fusion && i + 1 < WORDS && op !== ILLEGAL ? fuse(op, w, words[i + 1]!) : op);
  }
  out[WORDS] = PAGE_END;
  return out;
}

/** A raw word as decodePage would decode it alone (a RAW page's instruction). */
export function decodeWord(w: number): number {
  return (w & ~0xff) | decodeOp(w);
}

/** Every entry RAW (and the sentinel): what a page that is not decoded runs from. */
export const RAW_PAGE: Int32Array = (() => {
  const a = new Int32Array(WORDS + 1).fill(RAW);
  a[WORDS] = PAGE_END;
  return a;
})();

export interface DecodedStats {
  /** Pages decoded (again, after a write, counts again). */
  decoded: number;
  /** Decodings dropped because their page was written. */
  dropped: number;
  /** Pages left RAW after STRIKES drops. */
  raw: number;
}

/** The decoded pages of one machine's RAM. */
export class DecodedCode {
  private pages: (Int32Array | undefined)[];
  private readonly strikes: Uint8Array;
  readonly stats: DecodedStats = { decoded: 0, dropped: 0, raw: 0 };
  /** Fuse common pairs (tests turn it off to compare). */
  fusion = true;

  constructor(private readonly memory: PhysicalMemory, private readonly mmu: Mmu) {
    // Shared with the translation tier when it is on (it made the array first).
    memory.code ??= new Uint8Array(memory.pages);
    this.pages = new Array<Int32Array | undefined>(memory.pages).fill(undefined);
    this.strikes = new Uint8Array(memory.pages);
    memory.codeWrite.subscribe((page) => this.drop(page));
  }

  /** The decoded form of RAM page `page` (RAW_PAGE for a page that keeps being written). */
  page(page: number): Int32Array {
    const d = this.pages[page];
    if (d !== undefined) return d;
    if (this.strikes[page]! >= STRIKES) return RAW_PAGE;
    const mem = this.memory;
    const out = decodePage(mem.i32.subarray(page << 10, (page + 1) << 10), this.fusion);
    this.pages[page] = out;
    this.stats.decoded++;
    const code = mem.code!;
    if (code[page] !== 1) {
      code[page] = 1;
      this.mmu.dropWritesTo(page); // a store through a write entry filled before now would not be seen
    }
    return out;
  }

  /** RAM page `page` was written: its decoding is stale. */
  private drop(page: number): void {
    if (this.pages[page] === undefined) return;
    this.pages[page] = undefined;
    this.stats.dropped++;
    if (++this.strikes[page]! === STRIKES) this.stats.raw++;
    // The translation tier clears the mark when it drops its own; without it
    // on, nothing else would.
    this.memory.code![page] = 0;
  }

  /** Forget every decoding (machine reset or restore; the translation tier clears the marks). */
  reset(): void {
    this.pages.fill(undefined);
    this.strikes.fill(0);
    this.memory.code!.fill(0);
  }
}
