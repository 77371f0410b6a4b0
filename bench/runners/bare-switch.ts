/**
 * The bare switch: the ceiling for *this kind* of interpreter on this machine.
 *
 * It runs the very guest image typevisor runs, with the same decode (opcode
 * in the low byte, fields by shift and mask, one `switch`) and the same
 * slicing (calls of TICK instructions), but with everything a real machine
 * needs taken out: no paging (memory is one flat array, the address masked
 * to its size), no TLB, no alignment or reserved-bit checks, no traps, no
 * interrupts, no dirty log, no privileged instructions, and only the three
 * system calls the benchmark guests make. It is not a VM anyone should use:
 * a bad address silently aliases. Its column says how much of typevisor's
 * time is the price of being a real machine, and how much is the price of
 * dispatching a `switch` in JavaScript at all.
 *
 * The address space fits in 16 MiB under the mask: the image and heap low,
 * the stack (at USER_STACK_TOP) aliased to the top. crc32's 1 MiB heap is the
 * most any guest asks for.
 */
import { Reg } from '../../isa/registers.js';
import { Sys, USER_STACK_TOP } from '../../isa/syscalls.js';
import { mulh, mulhu } from '../../vm/alu.js';
import { BenchError } from '../bench-error.js';
import { bare8 } from '../../isa/hex.js';
import type { Image } from '../../isa/image.js';
import { imagePeer, type PeerRunner } from './runner.js';
import { TICK } from './typevisor.js';

export const MEM_BYTES = 1 << 24;
export const MASK = MEM_BYTES - 1;
/** Where the heap may grow to: below the stack's 1 MiB at the top of the mask. */
const HEAP_LIMIT = MEM_BYTES - (1 << 20);
const PAGE = 4096;

/**
 * One run of a guest on the bare switch: flat memory, the registers, what it
 * printed. The memory and registers can be views into another store (the
 * WebAssembly bare switch's linear memory, runners/wasm-switch.ts).
 */
export class FlatMachine {
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  pc: number;
  brk: number;
  exited: number | undefined;
  output = '';
  instructions = 0;

  constructor(
    image: Image,
    readonly u8 = new Uint8Array(MEM_BYTES),
    readonly regs = new Int32Array(16),
  ) {
    this.u16 = new Uint16Array(u8.buffer, u8.byteOffset, MEM_BYTES >>> 1);
    this.i32 = new Int32Array(u8.buffer, u8.byteOffset, MEM_BYTES >>> 2);
    let end = 0;
    for (const s of image.sections) {
      if (s.addr + s.size > HEAP_LIMIT) throw new BenchError(`bare switch: section ${s.name} does not fit in ${MEM_BYTES >> 20} MiB`);
      this.u8.set(s.data, s.addr);
      end = Math.max(end, s.addr + s.size);
    }
    this.brk = Math.ceil(end / PAGE) * PAGE;
    this.pc = image.entry;
    this.regs[Reg.SP] = USER_STACK_TOP;
  }

  /** The system calls the benchmark guests make, by the ABI of isa/syscalls.ts. */
  syscall(): void {
    const r = this.regs;
    switch (r[Reg.T0]) {
      case Sys.EXIT:
        this.exited = r[Reg.A0]!;
        return;
      case Sys.WRITE: {
        const at = r[Reg.A1]! & MASK;
        this.output += Buffer.from(this.u8.subarray(at, at + r[Reg.A2]!)).toString('latin1');
        r[Reg.A0] = r[Reg.A2]!;
        return;
      }
      case Sys.BRK: {
        const want = r[Reg.A0]! >>> 0;
        if (want !== 0 && want >= this.brk && want <= HEAP_LIMIT) this.brk = want;
        r[Reg.A0] = this.brk;
        return;
      }
      default:
        throw new BenchError(`bare switch: system call ${r[Reg.T0]} is not one it serves`);
    }
  }
}

/**
 * Run up to `limit` instructions from m.pc. Returns how many retired; stops
 * early at a `syscall` (pc left on it) and on anything it does not know.
 */
function slice(m: FlatMachine, limit: number): number {
  const regs = m.regs;
  const m8 = m.u8;
  const m16 = m.u16;
  const m32 = m.i32;
  let pc = m.pc | 0;
  let n = 0;
  while (n < limit) {
    const w = m32[(pc & MASK) >>> 2]!;
    n++;
    regs[0] = 0;
    switch (w & 0xff) {
      case 0x01: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + regs[(w >>> 16) & 15]!) | 0; pc = (pc + 4) | 0; continue;
      case 0x02: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! - regs[(w >>> 16) & 15]!) | 0; pc = (pc + 4) | 0; continue;
      case 0x03: regs[(w >>> 8) & 15] = Math.imul(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); pc = (pc + 4) | 0; continue;
      case 0x04: regs[(w >>> 8) & 15] = mulh(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); pc = (pc + 4) | 0; continue;
      case 0x05: regs[(w >>> 8) & 15] = mulhu(regs[(w >>> 12) & 15]!, regs[(w >>> 16) & 15]!); pc = (pc + 4) | 0; continue;
      case 0x06: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! / regs[(w >>> 16) & 15]!) | 0; pc = (pc + 4) | 0; continue;
      case 0x07: regs[(w >>> 8) & 15] = ((regs[(w >>> 12) & 15]! >>> 0) / (regs[(w >>> 16) & 15]! >>> 0)) | 0; pc = (pc + 4) | 0; continue;
      case 0x08: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! % regs[(w >>> 16) & 15]!) | 0; pc = (pc + 4) | 0; continue;
      case 0x09: regs[(w >>> 8) & 15] = ((regs[(w >>> 12) & 15]! >>> 0) % (regs[(w >>> 16) & 15]! >>> 0)) | 0; pc = (pc + 4) | 0; continue;
      case 0x0a: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! & regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x0b: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! | regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x0c: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! ^ regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x0d: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x0e: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >>> regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x0f: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >> regs[(w >>> 16) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x10: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! < regs[(w >>> 16) & 15]! ? 1 : 0; pc = (pc + 4) | 0; continue;
      case 0x11: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! >>> 0) < (regs[(w >>> 16) & 15]! >>> 0) ? 1 : 0; pc = (pc + 4) | 0; continue;
      case 0x12: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0; pc = (pc + 4) | 0; continue;
      case 0x13: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! < (w >> 16) ? 1 : 0; pc = (pc + 4) | 0; continue;
      case 0x14: regs[(w >>> 8) & 15] = (regs[(w >>> 12) & 15]! >>> 0) < ((w >> 16) >>> 0) ? 1 : 0; pc = (pc + 4) | 0; continue;
      case 0x15: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! & (w >>> 16); pc = (pc + 4) | 0; continue;
      case 0x16: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! | (w >>> 16); pc = (pc + 4) | 0; continue;
      case 0x17: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! ^ (w >>> 16); pc = (pc + 4) | 0; continue;
      case 0x18: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! << (w >>> 16); pc = (pc + 4) | 0; continue;
      case 0x19: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >>> (w >>> 16); pc = (pc + 4) | 0; continue;
      case 0x1a: regs[(w >>> 8) & 15] = regs[(w >>> 12) & 15]! >> (w >>> 16); pc = (pc + 4) | 0; continue;
      case 0x1b: regs[(w >>> 8) & 15] = w & 0xffff0000; pc = (pc + 4) | 0; continue;
      case 0x1c: regs[(w >>> 8) & 15] = (m8[(regs[(w >>> 12) & 15]! + (w >> 16)) & MASK]! << 24) >> 24; pc = (pc + 4) | 0; continue;
      case 0x1d: regs[(w >>> 8) & 15] = m8[(regs[(w >>> 12) & 15]! + (w >> 16)) & MASK]!; pc = (pc + 4) | 0; continue;
      case 0x1e: regs[(w >>> 8) & 15] = (m16[((regs[(w >>> 12) & 15]! + (w >> 16)) & MASK) >>> 1]! << 16) >> 16; pc = (pc + 4) | 0; continue;
      case 0x1f: regs[(w >>> 8) & 15] = m16[((regs[(w >>> 12) & 15]! + (w >> 16)) & MASK) >>> 1]!; pc = (pc + 4) | 0; continue;
      case 0x20: regs[(w >>> 8) & 15] = m32[((regs[(w >>> 12) & 15]! + (w >> 16)) & MASK) >>> 2]!; pc = (pc + 4) | 0; continue;
      case 0x21: m8[(regs[(w >>> 12) & 15]! + (w >> 16)) & MASK] = regs[(w >>> 8) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x22: m16[((regs[(w >>> 12) & 15]! + (w >> 16)) & MASK) >>> 1] = regs[(w >>> 8) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x23: m32[((regs[(w >>> 12) & 15]! + (w >> 16)) & MASK) >>> 2] = regs[(w >>> 8) & 15]!; pc = (pc + 4) | 0; continue;
      case 0x24: pc = regs[(w >>> 8) & 15] === regs[(w >>> 12) & 15] ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
      case 0x25: pc = regs[(w >>> 8) & 15] !== regs[(w >>> 12) & 15] ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
      case 0x26: pc = regs[(w >>> 8) & 15]! < regs[(w >>> 12) & 15]! ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
      case 0x27: pc = regs[(w >>> 8) & 15]! >= regs[(w >>> 12) & 15]! ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
      case 0x28: pc = (regs[(w >>> 8) & 15]! >>> 0) < (regs[(w >>> 12) & 15]! >>> 0) ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
      case 0x29: pc = (regs[(w >>> 8) & 15]! >>> 0) >= (regs[(w >>> 12) & 15]! >>> 0) ? (pc + ((w >> 16) << 2)) | 0 : (pc + 4) | 0; continue;
      case 0x2a: regs[(w >>> 8) & 15] = (pc + 4) | 0; pc = (pc + ((w >> 12) << 2)) | 0; continue;
      case 0x2b: {
        const t = (regs[(w >>> 12) & 15]! + (w >> 16)) | 0;
        regs[(w >>> 8) & 15] = (pc + 4) | 0;
        pc = t;
        continue;
      }
      default: // syscall, or something the bare switch does not do: the caller looks
        break;
    }
    n--;
    break;
  }
  m.pc = pc;
  return n;
}

/** What a run to the guest's exit printed, how many instructions it retired, and the time it took. */
export interface FlatRun {
  readonly output: string;
  readonly instructions: number;
  readonly seconds: number;
}

/**
 * Run `m` to its exit with `slice` (up to a limit of instructions from m.pc;
 * how many retired, stopping on a system call with pc on it), in slices of
 * TICK instructions as typevisor runs, serving the system calls between.
 * `who` names the loop in errors.
 */
export function runFlat(m: FlatMachine, name: string, who: string, slice: (m: FlatMachine, limit: number) => number): FlatRun {
  const t0 = performance.now();
  while (m.exited === undefined) {
    const n = slice(m, TICK);
    m.instructions += n;
    if (n === TICK) continue;
    const w = m.i32[(m.pc & MASK) >>> 2]!;
    if (w !== 0x2c) throw new BenchError(`${who}: guest ${name} reached ${bare8(w)} at ${(m.pc >>> 0).toString(16)}, which it does not run`);
    m.syscall();
    m.instructions++;
    m.pc = (m.pc + 4) | 0;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (m.exited !== 0) throw new BenchError(`${who}: guest ${name} exited with status ${m.exited}`);
  return { output: m.output.replace(/\n$/, ''), instructions: m.instructions, seconds };
}

/** Run a guest to its exit on the bare switch; returns what it printed. */
export function runBare(image: Image, name: string): FlatRun {
  return runFlat(new FlatMachine(image), name, 'bare switch', slice);
}

/** The bare switch as a peer column (`--peers switch`). */
export const bareSwitchPeer = (): PeerRunner => imagePeer({ id: 'switch', label: 'bare switch', run: runBare });
