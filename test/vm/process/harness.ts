/**
 * Small programs for the process-VM tests, built with encode() so they do not
 * depend on the assembler, and a way to make one system call at a time: set
 * the registers, point pc at a `syscall` and step once.
 */
import { encode } from '../../../isa/encoding.js';
import { SECTION_EXEC, SECTION_READ, SECTION_WRITE, SECTION_ZERO, type Image, type Section } from '../../../isa/image.js';
import { Op } from '../../../isa/opcodes.js';
import { Reg } from '../../../isa/registers.js';
import { ProcessVM, type ProcessOptions } from '../../../vm/process/index.js';

export const I = (op: Op, rd = 0, rs1 = 0, rs2 = 0, imm = 0): number => encode({ op, rd, rs1, rs2, imm });
/** A store: value register, base register, offset. */
export const S = (op: Op, value: number, base: number, imm = 0): number => encode({ op, rd: 0, rs1: base, rs2: value, imm });

/** Load a 32-bit constant: one addi when it fits, else lui + ori. */
export function li(rd: number, value: number): number[] {
  const v = value | 0;
  if (v >= -32768 && v < 32768) return [I(Op.ADDI, rd, Reg.ZERO, 0, v)];
  return [I(Op.LUI, rd, 0, 0, v >>> 16), I(Op.ORI, rd, rd, 0, v & 0xffff)];
}

/** `li t0, n; syscall` */
export const sys = (n: number): number[] => [...li(Reg.T0, n), I(Op.SYSCALL)];

export const TEXT = 0x1000;
export const DATA = 0x4000;
export const RODATA = 0x6000;
export const BSS = 0x8000;

export function words(ws: readonly number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const dv = new DataView(out.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
  return out;
}

export interface ProgramParts {
  readonly text: readonly number[];
  readonly data?: Uint8Array;
  readonly rodata?: Uint8Array;
  readonly bss?: number;
  readonly symbols?: Image['symbols'];
}

/** .text at 0x1000 (R+X), .data at 0x4000 (R+W), .rodata at 0x6000 (R), .bss at 0x8000. */
export function program(parts: ProgramParts): Image {
  const sections: Section[] = [{ name: '.text', addr: TEXT, flags: SECTION_READ | SECTION_EXEC, size: parts.text.length * 4, data: words(parts.text) }];
  if (parts.data) sections.push({ name: '.data', addr: DATA, flags: SECTION_READ | SECTION_WRITE, size: parts.data.length, data: parts.data });
  if (parts.rodata) sections.push({ name: '.rodata', addr: RODATA, flags: SECTION_READ, size: parts.rodata.length, data: parts.rodata });
  if (parts.bss) sections.push({ name: '.bss', addr: BSS, flags: SECTION_READ | SECTION_WRITE | SECTION_ZERO, size: parts.bss, data: new Uint8Array(0) });
  return { entry: TEXT, sections, symbols: parts.symbols ?? [] };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Output captured in-process. */
export class Capture {
  readonly chunks: Uint8Array[] = [];
  readonly sink = (bytes: Uint8Array): void => {
    this.chunks.push(bytes.slice());
  };
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Input from a fixed buffer, handed out `max` bytes at a time. */
export function inputFrom(s: string | Uint8Array): (max: number) => Uint8Array {
  let rest = typeof s === 'string' ? text(s) : s;
  return (max) => {
    const chunk = rest.subarray(0, max);
    rest = rest.subarray(chunk.length);
    return chunk;
  };
}

export interface Harness {
  readonly vm: ProcessVM;
  readonly stdout: Capture;
  readonly stderr: Capture;
  /** Make one system call with these arguments; returns a0 as a signed number. */
  call(num: number, ...args: number[]): number;
}

/**
 * A process whose text is one `syscall` followed by `break`, 8 KiB of data at
 * DATA (the first bytes given by `data`), 4 KiB read-only at RODATA.
 */
export function harness(options: ProcessOptions & { readonly data?: Uint8Array; readonly rodata?: Uint8Array } = {}): Harness {
  const data = new Uint8Array(8192);
  if (options.data) data.set(options.data);
  const rodata = new Uint8Array(4096);
  if (options.rodata) rodata.set(options.rodata);
  const stdout = new Capture();
  const stderr = new Capture();
  const vm = new ProcessVM(program({ text: [I(Op.SYSCALL), I(Op.BREAK)], data, rodata }), {
    stdin: inputFrom(''),
    stdout: stdout.sink,
    stderr: stderr.sink,
    ...options,
  });
  const call = (num: number, ...args: number[]): number => {
    const regs = vm.machine.cpu.regs;
    regs[Reg.T0] = num;
    args.forEach((v, i) => (regs[Reg.A0 + i] = v));
    vm.machine.cpu.pc = TEXT;
    const r = vm.step(1);
    if (r.kind !== 'stepped') throw new Error(`the call stopped the program: ${JSON.stringify(r)}`);
    return regs[Reg.A0]!;
  };
  return { vm, stdout, stderr, call };
}

/** Bytes of the program's memory (through its own page table). */
export function peek(vm: ProcessVM, va: number, len: number): Uint8Array {
  const bytes = vm.machine.readVirtual(va, len);
  if (!bytes) throw new Error(`0x${va.toString(16)} is not mapped`);
  return bytes;
}

export function poke(vm: ProcessVM, va: number, bytes: Uint8Array): void {
  if (!vm.machine.writeVirtual(va, bytes)) throw new Error(`0x${va.toString(16)} is not writable`);
}

/** Write a NUL-terminated string into the program's data and return its address. */
export function cstring(vm: ProcessVM, va: number, s: string): number {
  poke(vm, va, new Uint8Array([...text(s), 0]));
  return va;
}
