/**
 * Two loops that do nothing but dispatch the ISA's words — the floor a switch
 * interpreter reaches in JavaScript and in WebAssembly on this machine.
 *
 * Each runs the words of bench/guests/dispatch.s's loop (addi, add, bne), as
 * the interpreter's decoded pages hold them (vm/decoded.ts: the handler in the
 * low byte, the fields where the ISA puts them), with the interpreter's own
 * expressions for them: a `switch` on the low byte, 16 registers in an
 * Int32Array (WebAssembly: in its linear memory), pc a word index. Nothing of
 * the machine: no count against a limit, no TLB, no traps, no interrupts. Any
 * other word ends the run. So the gap from typevisor's interpreter to the
 * JavaScript floor is what the machine costs, and the gap from that floor to
 * Lua is what the language costs a loop of this shape.
 *
 * Why these numbers matter (vm/interpreter.ts has the rest): with TurboFan, a
 * typed array's map, length and data pointer are known inside one loop turn
 * but not across turns — the stack check on every loop back edge ends what
 * load elimination knows (`--trace-turbo-load-elimination` shows the loop
 * header keeping only immutable fields) and TurboFan hoists nothing out of a
 * loop — so every case checks the register file's map and loads its length
 * and base again, and every register index is bounds-checked. WebAssembly's
 * linear memory has none of that.
 */
import { compileWat, instantiate } from './wasm.js';

/** The opcodes the floor loops run (isa/opcodes; the checksum catches a wrong one). */
const ADD = 0x01;
const ADDI = 0x12;
const BNE = 0x25;

/** Words a code page holds: the floor runs from word 0 of one page. */
const WORDS = 1024;

/**
 * Run `code` (word 0 on) over `regs` until a word that is not add, addi or
 * bne, or a branch off the page. Returns the word index it stopped at.
 */
export function jsFloor(code: Int32Array, regs: Int32Array): number {
  let ix = 0;
  for (;;) {
    const w = code[ix]!;
    switch (w & 0xff) {
      case 0x01: /* add */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + regs[(w >>> 16) & 15]!) | 0; ix++; continue;
      case 0x12: /* addi */ regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0; ix++; continue;
      case 0x25: /* bne */
        if (regs[(w >>> 8) & 15] !== regs[(w >>> 12) & 15]) {
          const t = ix + (w >> 16);
          if ((t >>> 0) >= WORDS) return ix;
          ix = t;
          continue;
        }
        ix++;
        continue;
    }
    return ix;
  }
}

/** The same loop in WebAssembly text: registers at byte 0, the code page at byte 1024. */
function floorWat(): string {
  const reg = (shift: number): string => `(i32.load (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const ${shift})) (i32.const 15)) (i32.const 2)))`;
  const rd = `(i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 15)) (i32.const 2))`;
  // br_table on the low byte: add, addi and bne to their blocks, every other byte to $stop.
  const targets = Array.from({ length: 0x26 }, (_, op) => (op === ADD ? '$add' : op === ADDI ? '$addi' : op === BNE ? '$bne' : '$stop'));
  return `(module
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (local $ix i32) (local $w i32) (local $t i32)
    (block $stop
      (loop $top
        (local.set $w (i32.load offset=1024 (i32.shl (local.get $ix) (i32.const 2))))
        (block $bne (block $addi (block $add
          (br_table ${targets.join(' ')} $stop (i32.and (local.get $w) (i32.const 0xff))))
          ;; add
          (i32.store ${rd} (i32.add ${reg(12)} ${reg(16)}))
          (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
          (br $top))
          ;; addi
          (i32.store ${rd} (i32.add ${reg(12)} (i32.shr_s (local.get $w) (i32.const 16))))
          (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
          (br $top))
        ;; bne
        (if (i32.ne ${reg(8)} ${reg(12)})
          (then
            (local.set $t (i32.add (local.get $ix) (i32.shr_s (local.get $w) (i32.const 16))))
            (br_if $stop (i32.ge_u (local.get $t) (i32.const ${WORDS})))
            (local.set $ix (local.get $t))
            (br $top)))
        (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
        (br $top)))
    (local.get $ix)))`;
}

export interface WasmFloor {
  /** The module's memory as registers (16 words at byte 0) and the code page (at byte 1024). */
  readonly regs: Int32Array;
  readonly code: Int32Array;
  /** Run from word 0 until a word that is not add, addi or bne; returns the word index it stopped at. */
  run(): number;
}

interface FloorExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly run: () => number;
}

/** Assemble and instantiate the WebAssembly floor loop. */
export async function wasmFloor(): Promise<WasmFloor> {
  const exports = instantiate<FloorExports>(await compileWat('dispatch-floor.wat', floorWat()));
  const words = new Int32Array(exports.memory.buffer);
  return { regs: words.subarray(0, 16), code: words.subarray(256, 256 + WORDS + 1), run: () => exports.run() };
}
