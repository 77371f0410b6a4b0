/**
 * The guest as the kernel debugger reads it: virtual addresses through the
 * guest's own page tables, the kernel's symbols and the current user
 * program's, function starts for the unwinder, expressions. Everything the
 * commands look at goes through here; nothing here runs the guest.
 */
import { formatInstruction } from '../../isa/disasm.js';
import { SECTION_EXEC, type Image } from '../../isa/image.js';
import { Reg } from '../../isa/registers.js';
import { Csr } from '../../isa/csr.js';
import { Symbols } from '../process/symbols.js';
import { evaluateExpression, type Scope, type Value } from './expression.js';
import { addressLabel } from './format.js';
import { resolve } from './page-walk.js';
import type { DebugTarget } from './target.js';
import { unwind, type Frame } from './unwind.js';
import { UserPrograms } from './user-programs.js';

export class GuestView {
  private readonly symbols: Symbols;
  private readonly byName = new Map<string, number>();
  /** Function starts (non-local labels in code), sorted. */
  private readonly functions: { readonly addr: number; readonly name: string }[] = [];
  private readonly code: { readonly lo: number; readonly hi: number }[];
  private readonly kernelBase: number;
  readonly programs: UserPrograms;

  constructor(
    private readonly target: DebugTarget,
    image: Image,
  ) {
    this.symbols = new Symbols(image);
    this.kernelBase = Math.min(...image.sections.map((s) => s.addr >>> 0), 0xffff_ffff);
    this.code = image.sections.filter((s) => (s.flags & SECTION_EXEC) !== 0).map((s) => ({ lo: s.addr >>> 0, hi: (s.addr + s.size) >>> 0 }));
    for (const s of image.symbols) if (!this.byName.has(s.name)) this.byName.set(s.name, s.value >>> 0);
    for (const s of image.symbols) {
      const a = s.value >>> 0;
      if (s.kind === 'label' && !s.name.startsWith('.') && this.inCode(a)) this.functions.push({ addr: a, name: s.name });
    }
    this.functions.sort((a, b) => a.addr - b.addr);
    this.programs = new UserPrograms((n) => this.byName.get(n), this.loadWord, (va, len) => this.loadBytes(va, len));
  }

  /** A symbol of the kernel image only. */
  kernelSymbol(name: string): number | undefined {
    return this.byName.get(name);
  }

  inCode(a: number): boolean {
    return this.code.some((c) => a >= c.lo && a < c.hi);
  }

  /** The kernel's label for an address, or the current user program's below the kernel. */
  near = (a: number): string | undefined => {
    const k = this.symbols.near(a);
    if (k !== undefined || this.inKernel(a)) return k;
    const p = this.programs.current();
    const u = p?.symbols.near(a);
    return u === undefined ? undefined : `${p!.name}:${u}`;
  };

  labelAt = (a: number): string | undefined => this.symbols.at(a) ?? (this.inKernel(a) ? undefined : this.programs.current()?.symbols.at(a));

  /** At or above the kernel's lowest section: the kernel's, not a user program's. */
  inKernel(a: number): boolean {
    return a >>> 0 >= this.kernelBase;
  }

  /** A kernel symbol, else one of the current user program's (`main`, or `hello:main`). */
  symbolValue = (name: string): number | undefined => {
    const k = this.byName.get(name);
    if (k !== undefined) return k;
    const colon = name.indexOf(':');
    const p = this.programs.current();
    if (p === undefined) return undefined;
    if (colon >= 0) return name.slice(0, colon) === p.name ? p.byName.get(name.slice(colon + 1)) : undefined;
    return p.byName.get(name);
  };

  functionAt = (addr: number): { readonly name: string; readonly addr: number } | undefined => {
    if (!this.inCode(addr >>> 0)) return undefined;
    let best: { readonly name: string; readonly addr: number } | undefined;
    for (const f of this.functions) {
      if (f.addr > addr >>> 0) break;
      best = f;
    }
    return best;
  };

  /** The guest-physical address of a virtual one, in the guest's current address space. */
  physical(va: number): number | undefined {
    return resolve(this.target.memory, this.target.cpu, va);
  }

  loadBytes(va: number, len: number): Uint8Array | undefined {
    const out = new Uint8Array(len);
    const mem = this.target.memory;
    for (let i = 0; i < len; ) {
      const a = (va + i) >>> 0;
      const pa = this.physical(a);
      const off = pa === undefined ? -1 : mem.offsetOf(pa, 1);
      if (off < 0) return undefined;
      const n = Math.min(len - i, 4096 - (a & 0xfff), mem.size - off);
      out.set(mem.u8.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  loadWord = (va: number): number | undefined => {
    const b = this.loadBytes(va, 4);
    return b === undefined ? undefined : (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24));
  };

  scope(): Scope {
    const cpu = this.target.cpu;
    return {
      reg: (n) => cpu.regs[n]!,
      pc: cpu.pc,
      csr: (n) => this.csrValue(n),
      symbol: this.symbolValue,
      load: this.loadWord,
    };
  }

  csrValue(n: number): number {
    const cpu = this.target.cpu;
    if (n === Csr.TIME) return cpu.time >>> 0;
    if (n === Csr.TIMEH) return Math.floor(cpu.time / 0x1_0000_0000) >>> 0;
    return cpu.csr[n]!;
  }

  evaluate(text: string): Value {
    return evaluateExpression(text, this.scope());
  }

  instructionLine(pc: number): string {
    const w = this.loadWord(pc);
    const text = w === undefined ? '(nothing mapped there)' : formatInstruction(w, pc, this.labelAt);
    return `${addressLabel(pc, this.near)}: ${text}`;
  }

  frames(): { frames: Frame[]; end: string | undefined; trapAt: number | undefined } {
    const cpu = this.target.cpu;
    const r = unwind({ pc: cpu.pc, sp: cpu.regs[Reg.SP]!, ra: cpu.regs[Reg.RA]!, functionAt: this.functionAt, load: this.loadWord });
    // The trap vector's frame is the last: below it is whatever the trap interrupted.
    const tvec = (cpu.csr[Csr.TVEC]! & ~3) >>> 0;
    const i = r.frames.findIndex((f) => f.fnAddr === tvec);
    if (i >= 0) return { frames: r.frames.slice(0, i + 1), end: undefined, trapAt: i };
    return { ...r, trapAt: undefined };
  }
}
