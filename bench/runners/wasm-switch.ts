/**
 * The bare switch in WebAssembly: the same loop as runners/bare-switch.ts —
 * the same guest image, the same decode (a `br_table` on the low byte, fields
 * by shift and mask), the same slicing, the same flat 16 MiB memory with the
 * address masked to it, the same three system calls served between slices —
 * written in WebAssembly text instead of JavaScript. Its column says what the
 * same interpreter costs when the language is not JavaScript: what an
 * interpreter core in WebAssembly could start from (the dispatch section and
 * the head of vm/interpreter.ts say why that question comes up).
 *
 * Its JavaScript twin's semantics, kept exactly, including where JavaScript
 * and WebAssembly differ: a division by zero gives 0 (JavaScript's
 * `(a / 0) | 0`), where WebAssembly would trap, and INT_MIN / -1 gives
 * INT_MIN; a halfword or word access ignores the address's low bits, as a
 * typed array's index does. test/bench/peers.test.ts runs every guest on both
 * and compares.
 *
 * Linear memory: the 16 registers at byte 0, the pc a slice ends on at byte
 * 64, the guest's 16 MiB from byte 65536.
 */
import type { Image } from '../../isa/image.js';
import { FlatMachine, MASK, MEM_BYTES, runFlat, type FlatRun } from './bare-switch.js';
import { imagePeer, type Availability, type PeerRunner } from './runner.js';
import { compileWat, instantiate, wasm, type WasmMemory, type WasmModule } from './wasm.js';

const RAM = 65536;
const PC_AT = 64;
const WASM_PAGE = 65536;

/** A register field's byte address in linear memory: ((w >>> shift) & 15) * 4. */
const regAddr = (shift: number): string => `(i32.and (i32.shr_u (local.get $w) (i32.const ${shift - 2})) (i32.const 60))`;
const reg = (shift: number): string => `(i32.load ${regAddr(shift)})`;
const rd = regAddr(8);
const rs1 = reg(12);
const rs2 = reg(16);
/** The source in the rd slot (stores and branches). */
const r8 = reg(8);
const imm = '(i32.shr_s (local.get $w) (i32.const 16))';
const uimm = '(i32.shr_u (local.get $w) (i32.const 16))';
const set = (value: string): string => `(i32.store ${rd} ${value})`;
const next = '(local.set $pc (i32.add (local.get $pc) (i32.const 4))) (br $top)';
/** rs1 + imm, masked to the flat memory, low bits cleared as a typed array's index would. */
const address = (align: number): string => `(i32.and (i32.add ${rs1} ${imm}) (i32.const ${MASK & ~(align - 1)}))`;
const branch = (test: string): string =>
  `(local.set $pc (i32.add (local.get $pc) (if (result i32) ${test} (then (i32.shl ${imm} (i32.const 2))) (else (i32.const 4))))) (br $top)`;
/** A binary operator on two saved operands, for the division family's cases. */
const ab = (body: string): string => `(local.set $a ${rs1}) (local.set $b ${rs2}) ${set(body)} ${next}`;

/** Each opcode's case (0x00..0x2b); anything else stops the slice. */
const CASES: readonly string[] = [
  /* 0x00 */ '(br $stop)',
  /* 0x01 add */ `${set(`(i32.add ${rs1} ${rs2})`)} ${next}`,
  /* 0x02 sub */ `${set(`(i32.sub ${rs1} ${rs2})`)} ${next}`,
  /* 0x03 mul */ `${set(`(i32.mul ${rs1} ${rs2})`)} ${next}`,
  /* 0x04 mulh */ `${set(`(i32.wrap_i64 (i64.shr_s (i64.mul (i64.extend_i32_s ${rs1}) (i64.extend_i32_s ${rs2})) (i64.const 32)))`)} ${next}`,
  /* 0x05 mulhu */ `${set(`(i32.wrap_i64 (i64.shr_u (i64.mul (i64.extend_i32_u ${rs1}) (i64.extend_i32_u ${rs2})) (i64.const 32)))`)} ${next}`,
  /* 0x06 div */ ab(
    `(if (result i32) (i32.eqz (local.get $b)) (then (i32.const 0)) (else (if (result i32) (i32.and (i32.eq (local.get $a) (i32.const 0x80000000)) (i32.eq (local.get $b) (i32.const -1))) (then (local.get $a)) (else (i32.div_s (local.get $a) (local.get $b))))))`,
  ),
  /* 0x07 divu */ ab('(if (result i32) (i32.eqz (local.get $b)) (then (i32.const 0)) (else (i32.div_u (local.get $a) (local.get $b))))'),
  /* 0x08 rem */ ab('(if (result i32) (i32.eqz (local.get $b)) (then (i32.const 0)) (else (i32.rem_s (local.get $a) (local.get $b))))'),
  /* 0x09 remu */ ab('(if (result i32) (i32.eqz (local.get $b)) (then (i32.const 0)) (else (i32.rem_u (local.get $a) (local.get $b))))'),
  /* 0x0a and */ `${set(`(i32.and ${rs1} ${rs2})`)} ${next}`,
  /* 0x0b or */ `${set(`(i32.or ${rs1} ${rs2})`)} ${next}`,
  /* 0x0c xor */ `${set(`(i32.xor ${rs1} ${rs2})`)} ${next}`,
  /* 0x0d sll */ `${set(`(i32.shl ${rs1} ${rs2})`)} ${next}`,
  /* 0x0e srl */ `${set(`(i32.shr_u ${rs1} ${rs2})`)} ${next}`,
  /* 0x0f sra */ `${set(`(i32.shr_s ${rs1} ${rs2})`)} ${next}`,
  /* 0x10 slt */ `${set(`(i32.lt_s ${rs1} ${rs2})`)} ${next}`,
  /* 0x11 sltu */ `${set(`(i32.lt_u ${rs1} ${rs2})`)} ${next}`,
  /* 0x12 addi */ `${set(`(i32.add ${rs1} ${imm})`)} ${next}`,
  /* 0x13 slti */ `${set(`(i32.lt_s ${rs1} ${imm})`)} ${next}`,
  /* 0x14 sltiu */ `${set(`(i32.lt_u ${rs1} ${imm})`)} ${next}`,
  /* 0x15 andi */ `${set(`(i32.and ${rs1} ${uimm})`)} ${next}`,
  /* 0x16 ori */ `${set(`(i32.or ${rs1} ${uimm})`)} ${next}`,
  /* 0x17 xori */ `${set(`(i32.xor ${rs1} ${uimm})`)} ${next}`,
  /* 0x18 slli */ `${set(`(i32.shl ${rs1} ${uimm})`)} ${next}`,
  /* 0x19 srli */ `${set(`(i32.shr_u ${rs1} ${uimm})`)} ${next}`,
  /* 0x1a srai */ `${set(`(i32.shr_s ${rs1} ${uimm})`)} ${next}`,
  /* 0x1b lui */ `${set('(i32.and (local.get $w) (i32.const 0xffff0000))')} ${next}`,
  /* 0x1c lb */ `${set(`(i32.load8_s offset=${RAM} ${address(1)})`)} ${next}`,
  /* 0x1d lbu */ `${set(`(i32.load8_u offset=${RAM} ${address(1)})`)} ${next}`,
  /* 0x1e lh */ `${set(`(i32.load16_s offset=${RAM} ${address(2)})`)} ${next}`,
  /* 0x1f lhu */ `${set(`(i32.load16_u offset=${RAM} ${address(2)})`)} ${next}`,
  /* 0x20 lw */ `${set(`(i32.load offset=${RAM} ${address(4)})`)} ${next}`,
  /* 0x21 sb */ `(i32.store8 offset=${RAM} ${address(1)} ${r8}) ${next}`,
  /* 0x22 sh */ `(i32.store16 offset=${RAM} ${address(2)} ${r8}) ${next}`,
  /* 0x23 sw */ `(i32.store offset=${RAM} ${address(4)} ${r8}) ${next}`,
  /* 0x24 beq */ branch(`(i32.eq ${r8} ${rs1})`),
  /* 0x25 bne */ branch(`(i32.ne ${r8} ${rs1})`),
  /* 0x26 blt */ branch(`(i32.lt_s ${r8} ${rs1})`),
  /* 0x27 bge */ branch(`(i32.ge_s ${r8} ${rs1})`),
  /* 0x28 bltu */ branch(`(i32.lt_u ${r8} ${rs1})`),
  /* 0x29 bgeu */ branch(`(i32.ge_u ${r8} ${rs1})`),
  /* 0x2a jal */ `${set('(i32.add (local.get $pc) (i32.const 4))')} (local.set $pc (i32.add (local.get $pc) (i32.shl (i32.shr_s (local.get $w) (i32.const 12)) (i32.const 2)))) (br $top)`,
  /* 0x2b jalr */ `(local.set $a (i32.add ${rs1} ${imm})) ${set('(i32.add (local.get $pc) (i32.const 4))')} (local.set $pc (local.get $a)) (br $top)`,
];

/** The module: `slice(pc, limit)` runs up to `limit` instructions from `pc`; returns how many retired, the pc it stopped on at byte 64. */
export function switchWat(): string {
  const labels = CASES.map((_, op) => `$op${op}`);
  const open = labels.map((l) => `(block ${l}`).reverse().join(' ');
  const cases = CASES.map((body) => `) ${body}`).join('\n');
  return `(module
  (import "env" "memory" (memory ${(RAM + MEM_BYTES) / WASM_PAGE} ${(RAM + MEM_BYTES) / WASM_PAGE}))
  (func (export "slice") (param $pc i32) (param $limit i32) (result i32)
    (local $n i32) (local $w i32) (local $a i32) (local $b i32)
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $n) (local.get $limit)))
        (local.set $w (i32.load offset=${RAM} (i32.and (local.get $pc) (i32.const ${MASK & ~3}))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (i32.store (i32.const 0) (i32.const 0))
        (block $stop ${open}
          (br_table ${labels.join(' ')} $stop (i32.and (local.get $w) (i32.const 0xff)))
${cases})
        ;; a system call or an opcode it does not run: not retired, pc left on it
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $done)))
    (i32.store (i32.const ${PC_AT}) (local.get $pc))
    (local.get $n)))`;
}

interface SwitchExports {
  readonly slice: (pc: number, limit: number) => number;
}

/** Run a guest to its exit on the WebAssembly bare switch, a fresh linear memory for the run. */
export function runWasmSwitch(module: WasmModule, image: Image, name: string): FlatRun {
  const memory: WasmMemory = wasm.Memory({ initial: (RAM + MEM_BYTES) / WASM_PAGE, maximum: (RAM + MEM_BYTES) / WASM_PAGE });
  const { slice } = instantiate<SwitchExports>(module, { env: { memory } });
  const words = new Int32Array(memory.buffer);
  const m = new FlatMachine(image, new Uint8Array(memory.buffer, RAM, MEM_BYTES), new Int32Array(memory.buffer, 0, 16));
  return runFlat(m, name, 'WebAssembly switch', (flat, limit) => {
    const n = slice(flat.pc, limit);
    flat.pc = words[PC_AT >>> 2]!;
    return n;
  });
}

let compiled: Promise<WasmModule> | undefined;

/** The module, assembled and compiled once per process. */
export function wasmSwitchModule(): Promise<WasmModule> {
  compiled ??= compileWat('wasm-switch.wat', switchWat());
  return compiled;
}

/** The WebAssembly bare switch as a peer column (`--peers wasm`): unavailable if the module does not compile here. */
export function wasmSwitchPeer(): PeerRunner {
  let module: WasmModule | undefined;
  return imagePeer({
    id: 'wasm',
    label: 'bare switch, wasm',
    run: (image, name) => runWasmSwitch(module!, image, name),
    async prepare(): Promise<Availability> {
      try {
        module = await wasmSwitchModule();
        return { ok: true, version: `node ${process.version}` };
      } catch (e) {
        return { ok: false, reason: `WebAssembly: ${e instanceof Error ? e.message : String(e)}` };
      }
    },
  });
}
