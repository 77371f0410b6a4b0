/**
 * A small, obviously-correct reference interpreter for differential tests.
 *
 * It shares nothing with vm/ but the decoder (isa/encoding.ts): no TLB, no
 * typed-array tricks, no slices — one instruction at a time, BigInt where
 * arithmetic could overflow, the page-table walk written out from SPEC.md.
 * Traps go to the caller, as in the machine's trapToHost mode.
 */
import { decode } from '../../isa/encoding.js';
import { Op } from '../../isa/opcodes.js';

export const RAM_BASE = 0x8000_0000;

export interface RefTrap {
  readonly cause: number;
  readonly badaddr: number;
  readonly pc: number;
}

const V = 1, R = 2, W = 4, X = 8, U = 16, A = 32, D = 64;
const C = {
  MISALIGNED_FETCH: 0, FETCH_FAULT: 1, ILLEGAL: 2, PRIVILEGED: 3, BREAKPOINT: 4,
  MISALIGNED_LOAD: 5, LOAD_FAULT: 6, MISALIGNED_STORE: 7, STORE_FAULT: 8, SYSCALL: 9, DIVZERO: 10,
};

const s32 = (x: bigint | number): number => Number(BigInt.asIntN(32, BigInt(x)));
const u32 = (x: number): number => x >>> 0;

export class Reference {
  readonly regs = new Array<number>(16).fill(0);
  pc = 0;
  user = false;
  instret = 0;
  halted = false;
  /** status, tvec, epc, cause, badaddr, scratch, ptbase, timecmp, ie (by CSR number). */
  readonly csr = new Array<number>(9).fill(0);
  /** The time at which the timer interrupt becomes pending. */
  deadline = Infinity;

  get ptbase(): number {
    return this.csr[6]!;
  }
  set ptbase(v: number) {
    this.csr[6] = v;
  }

  private readCsr(n: number): number | undefined {
    if (n === 9) return this.instret >= this.deadline ? 1 : 0;
    if (n === 10) return s32(this.instret);
    if (n === 11) return s32(Math.floor(this.instret / 2 ** 32));
    return n < 9 ? s32(this.csr[n]!) : undefined;
  }

  private writeCsr(n: number, v: number): void {
    if (n === 0) v &= 7;
    if (n === 6) v = u32(v & ~0xffe);
    if (n === 7) this.deadline = this.instret + s32(v - s32(this.instret));
    if (n === 8) v &= 0xf;
    this.csr[n] = v;
  }

  /** A pending, enabled interrupt the CPU takes before the next instruction, if any. */
  interrupt(): RefTrap | undefined {
    const pending = this.instret >= this.deadline ? 1 : 0;
    if ((this.csr[0]! & 1) === 0 || (pending & this.csr[8]!) === 0) return undefined;
    return { cause: 0x8000_0000, badaddr: 0, pc: this.pc };
  }

  constructor(readonly mem: Uint8Array) {}

  private ramIndex(pa: number, len: number): number {
    const off = u32(pa) - RAM_BASE;
    return off >= 0 && off + len <= this.mem.length ? off : -1;
  }

  private word(off: number): number {
    return u32(this.mem[off]! | (this.mem[off + 1]! << 8) | (this.mem[off + 2]! << 16) | (this.mem[off + 3]! << 24));
  }

  private setWord(off: number, v: number): void {
    for (let i = 0; i < 4; i++) this.mem[off + i] = (v >>> (8 * i)) & 0xff;
  }

  /** Physical RAM offset for an access, or -1 (fault). Sets A/D like the hardware. */
  private translate(va: number, need: number, store: boolean): number {
    va = u32(va);
    let pa = va;
    if (this.ptbase & 1) {
      const root = u32(this.ptbase & ~0xfff);
      const l1 = this.ramIndex(root + Math.floor(va / 2 ** 22) * 4, 4);
      if (l1 < 0) return -1;
      const pde = this.word(l1);
      if (!(pde & V) || pde & (R | W | X)) return -1;
      const l0 = this.ramIndex(u32(pde & ~0xfff) + ((va >>> 12) & 0x3ff) * 4, 4);
      if (l0 < 0) return -1;
      const pte = this.word(l0);
      if (!(pte & V)) return -1;
      if (this.user && !(pte & U)) return -1;
      if ((pte & need) !== need) return -1;
      pa = u32((pte & ~0xfff) + (va & 0xfff));
      if (this.ramIndex(pa, 1) < 0) return -1; // no memory there: the access faults, A/D stay as they were
      const want = store ? A | D : A;
      if ((pte & want) !== want) this.setWord(l0, u32(pte | want));
    }
    return this.ramIndex(pa, 1);
  }

  /** Execute one instruction. Returns the trap it raised, if any (the instruction then did not retire). */
  step(): RefTrap | undefined {
    const irq = this.interrupt();
    if (irq) return irq;
    const pc = this.pc;
    const trap = (cause: number, badaddr: number): RefTrap => ({ cause, badaddr: u32(badaddr), pc });
    if (pc % 4 !== 0) return trap(C.MISALIGNED_FETCH, pc);
    const fo = this.translate(pc, X, false);
    if (fo < 0) return trap(C.FETCH_FAULT, pc);
    const w = this.word(fo);
    const d = decode(w);
    if (!d) return trap(C.ILLEGAL, w);
    const r = this.regs;
    const a = r[d.rs1]! | 0; // registers hold 32-bit two's complement values
    const b = r[d.rs2]! | 0;
    let next = u32(pc + 4);
    let out: number | undefined;
    switch (d.op) {
      case Op.ADD: out = s32(a + b); break;
      case Op.SUB: out = s32(a - b); break;
      case Op.MUL: out = s32(BigInt(a) * BigInt(b)); break;
      case Op.MULH: out = s32((BigInt(a) * BigInt(b)) >> 32n); break;
      case Op.MULHU: out = s32((BigInt(u32(a)) * BigInt(u32(b))) >> 32n); break;
      case Op.DIV: if (b === 0) return trap(C.DIVZERO, 0); out = a === -0x80000000 && b === -1 ? a : s32(BigInt(a) / BigInt(b)); break;
      case Op.DIVU: if (b === 0) return trap(C.DIVZERO, 0); out = s32(BigInt(u32(a)) / BigInt(u32(b))); break;
      case Op.REM: if (b === 0) return trap(C.DIVZERO, 0); out = a === -0x80000000 && b === -1 ? 0 : s32(BigInt(a) % BigInt(b)); break;
      case Op.REMU: if (b === 0) return trap(C.DIVZERO, 0); out = s32(BigInt(u32(a)) % BigInt(u32(b))); break;
      case Op.AND: out = a & b; break;
      case Op.OR: out = a | b; break;
      case Op.XOR: out = a ^ b; break;
      case Op.SLL: out = s32(BigInt(u32(a)) << BigInt(b & 31)); break;
      case Op.SRL: out = s32(u32(a) >>> (b & 31)); break;
      case Op.SRA: out = a >> (b & 31); break;
      case Op.SLT: out = a < b ? 1 : 0; break;
      case Op.SLTU: out = u32(a) < u32(b) ? 1 : 0; break;
      case Op.ADDI: out = s32(a + d.imm); break;
      case Op.SLTI: out = a < d.imm ? 1 : 0; break;
      case Op.SLTIU: out = u32(a) < u32(d.imm) ? 1 : 0; break;
      case Op.ANDI: out = a & d.imm; break;
      case Op.ORI: out = a | d.imm; break;
      case Op.XORI: out = a ^ d.imm; break;
      case Op.SLLI: out = s32(BigInt(u32(a)) << BigInt(d.imm)); break;
      case Op.SRLI: out = s32(u32(a) >>> d.imm); break;
      case Op.SRAI: out = a >> d.imm; break;
      case Op.LUI: out = s32(d.imm * 65536); break;
      case Op.LB: case Op.LBU: case Op.LH: case Op.LHU: case Op.LW: {
        const size = d.op === Op.LW ? 4 : d.op === Op.LH || d.op === Op.LHU ? 2 : 1;
        const va = u32(a + d.imm);
        if (va % size !== 0) return trap(C.MISALIGNED_LOAD, va);
        const o = this.translate(va, R, false);
        if (o < 0) return trap(C.LOAD_FAULT, va);
        let v = 0;
        for (let i = size - 1; i >= 0; i--) v = v * 256 + this.mem[o + i]!;
        if (d.op === Op.LB) v = (v << 24) >> 24;
        else if (d.op === Op.LH) v = (v << 16) >> 16;
        out = s32(v);
        break;
      }
      case Op.SB: case Op.SH: case Op.SW: {
        const size = d.op === Op.SW ? 4 : d.op === Op.SH ? 2 : 1;
        const va = u32(a + d.imm);
        if (va % size !== 0) return trap(C.MISALIGNED_STORE, va);
        const o = this.translate(va, W, true);
        if (o < 0) return trap(C.STORE_FAULT, va);
        for (let i = 0; i < size; i++) this.mem[o + i] = (b >>> (8 * i)) & 0xff;
        break;
      }
      case Op.BEQ: if (a === b) next = u32(pc + d.imm); break;
      case Op.BNE: if (a !== b) next = u32(pc + d.imm); break;
      case Op.BLT: if (a < b) next = u32(pc + d.imm); break;
      case Op.BGE: if (a >= b) next = u32(pc + d.imm); break;
      case Op.BLTU: if (u32(a) < u32(b)) next = u32(pc + d.imm); break;
      case Op.BGEU: if (u32(a) >= u32(b)) next = u32(pc + d.imm); break;
      case Op.JAL: out = s32(pc + 4); next = u32(pc + d.imm); break;
      case Op.JALR: out = s32(pc + 4); next = u32(a + d.imm); break;
      case Op.SYSCALL: return trap(C.SYSCALL, 0);
      case Op.BREAK: return trap(C.BREAKPOINT, 0);
      default: {
        // Privileged instructions, straight from SPEC.md.
        if (this.user) return trap(C.PRIVILEGED, w);
        const csr = d.imm;
        switch (d.op) {
          case Op.TLBFLUSH: break;
          case Op.SRET: {
            const st = this.csr[0]!;
            this.user = (st & 4) === 0;
            this.csr[0] = (st & 2 ? 1 : 0) | 2;
            next = u32(this.csr[2]!);
            break;
          }
          case Op.WFI: break; // nothing to wait for here: interrupts are checked before every instruction
          case Op.HALT: this.halted = true; break;
          case Op.CSRR: {
            const v = this.readCsr(csr);
            if (v === undefined) return trap(C.ILLEGAL, w);
            out = v;
            break;
          }
          case Op.CSRW: case Op.CSRRW: case Op.CSRS: case Op.CSRC: {
            const old = this.readCsr(csr);
            if (old === undefined || csr === 9 || csr === 10 || csr === 11) return trap(C.ILLEGAL, w);
            const v = d.op === Op.CSRS ? old | a : d.op === Op.CSRC ? old & ~a : a;
            this.writeCsr(csr, v);
            if (d.op === Op.CSRRW) out = old;
            break;
          }
          default: return trap(C.ILLEGAL, w); // an opcode in the table this interpreter does not know
        }
      }
    }
    if (out !== undefined && d.rd !== 0) r[d.rd] = out;
    this.pc = next;
    this.instret++;
    return undefined;
  }
}
