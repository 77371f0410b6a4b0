/**
 * `bt`: the frame chain, found as gdb finds it without debug information —
 * by reading each function's prologue. The ABI (isa/SPEC.md) saves ra on the
 * stack in a function that calls (`push ra, ...` is `addi sp, sp, -N` then
 * `sw ra, N-4(sp)`, ...), so from the function holding pc, the prologue
 * instructions already executed say where the caller's pc and sp are. A
 * frame pointer, when a function sets one (`mv fp, sp` after its push), is
 * not needed for that and is not trusted (the kernel does not keep one).
 *
 * The chain ends at the trap vector (the frame below it is the interrupted
 * context, shown as `<trap from user mode>`), at an address no symbol
 * covers, or when a caller's sp does not grow.
 */
import { decode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';

export interface Frame {
  readonly pc: number;
  readonly sp: number;
  /** The function holding pc (nearest non-local label), if any. */
  readonly fn: string | undefined;
  readonly fnAddr: number | undefined;
}

export interface UnwindScope {
  readonly pc: number;
  readonly sp: number;
  readonly ra: number;
  /** The label starting the function that holds addr. */
  readonly functionAt: (addr: number) => { readonly name: string; readonly addr: number } | undefined;
  /** A word at a virtual address, or undefined. */
  readonly load: (va: number) => number | undefined;
}

/** How far a prologue is read. */
const MAX_PROLOGUE = 32;
const MAX_FRAMES = 64;

interface Prologue {
  /** Bytes the function took off sp, once its adjust has run. */
  readonly size: number;
  /** Where ra was saved, relative to the new sp, once that store has run. */
  readonly raSlot: number | undefined;
}

/** Read the prologue from the function's start up to (not including) pc. Stops at the first control transfer. */
function prologue(start: number, pc: number, load: (va: number) => number | undefined): Prologue {
  let size = 0;
  let raSlot: number | undefined;
  for (let a = start, n = 0; a < pc && n < MAX_PROLOGUE; a += 4, n++) {
    const w = load(a);
    const ins = w === undefined ? undefined : decode(w);
    if (ins === undefined) break;
    if (ins.op === Op.ADDI && ins.rd === Reg.SP && ins.rs1 === Reg.SP) {
      if (ins.imm < 0 && size === 0) size = -ins.imm;
      else break; // an epilogue or a second adjust: the prologue is over
    } else if (ins.op === Op.SW && ins.rs1 === Reg.SP && ins.rs2 === Reg.RA && size > 0 && raSlot === undefined) {
      raSlot = ins.imm;
    } else if (ins.op >= Op.BEQ && ins.op <= Op.JALR) break;
  }
  return { size, raSlot };
}

/** The frames from the innermost out; `end` says why the chain stopped. */
export function unwind(scope: UnwindScope): { readonly frames: Frame[]; readonly end: string | undefined } {
  const frames: Frame[] = [];
  let pc = scope.pc >>> 0;
  let sp = scope.sp >>> 0;
  let ra: number | undefined = scope.ra >>> 0;
  for (let depth = 0; depth < MAX_FRAMES; depth++) {
    // An outer frame's pc is a return address: the call is the word before it (which may end a function).
    const fn = scope.functionAt(depth === 0 ? pc : (pc - 4) >>> 0);
    frames.push({ pc, sp, fn: fn?.name, fnAddr: fn?.addr });
    if (fn === undefined) return { frames, end: depth === 0 ? undefined : 'no symbol covers the caller' };
    const p = prologue(fn.addr, pc, scope.load);
    let callerPc: number | undefined;
    let callerSp = sp;
    if (p.raSlot !== undefined) {
      callerPc = scope.load((sp + p.raSlot) >>> 0);
      callerSp = (sp + p.size) >>> 0;
    } else {
      // ra not saved (yet): it is still in the register, valid for the innermost frame only.
      callerPc = ra;
      callerSp = (sp + p.size) >>> 0;
    }
    if (depth > 0 && p.raSlot === undefined) return { frames, end: `${fn.name} keeps no saved ra` };
    if (callerPc === undefined || callerPc === 0) return { frames, end: undefined };
    if (callerSp < sp || (callerSp === sp && callerPc === pc)) return { frames, end: 'the stack does not unwind further' };
    pc = callerPc >>> 0;
    sp = callerSp;
    ra = undefined;
  }
  return { frames, end: `stopped after ${MAX_FRAMES} frames` };
}
