/**
 * Encoder and decoder, both driven by the opcode table's formats.
 * `decode(encode(i))` is `i`, and `encode(decode(w))` is `w` for every word that
 * decodes at all: the disassembler's round-trip property rests on this.
 */
import { FORMATS, type Format, type Instruction } from './formats.js';
import { opInfo } from './opcodes.js';

export class EncodingError extends Error {
  override readonly name = 'EncodingError';
}

const fitsSigned = (v: number, bits: number): boolean => v >= -(2 ** (bits - 1)) && v < 2 ** (bits - 1);
const fitsUnsigned = (v: number, bits: number): boolean => v >= 0 && v < 2 ** bits;

function checkReg(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 15) throw new EncodingError(`${what} must be a register 0..15, got ${v}`);
  return v;
}

/** Encode one instruction. Throws EncodingError when an operand does not fit. */
export function encode(ins: Instruction): number {
  const info = opInfo(ins.op);
  if (!info || info.op !== ins.op) throw new EncodingError(`unknown opcode 0x${ins.op.toString(16)}`);
  const op = ins.op & 0xff;
  const rd = checkReg(ins.rd, 'rd');
  const rs1 = checkReg(ins.rs1, 'rs1');
  const rs2 = checkReg(ins.rs2, 'rs2');
  const imm = ins.imm;
  switch (info.format) {
    case 'R':
      return (op | (rd << 8) | (rs1 << 12) | (rs2 << 16)) >>> 0;
    case 'I': case 'L': case 'JR':
      if (!fitsSigned(imm, 16)) throw new EncodingError(`immediate ${imm} does not fit in 16 signed bits (-32768..32767)`);
      return (op | (rd << 8) | (rs1 << 12) | ((imm & 0xffff) << 16)) >>> 0;
    case 'S':
      if (!fitsSigned(imm, 16)) throw new EncodingError(`offset ${imm} does not fit in 16 signed bits (-32768..32767)`);
      return (op | (rs2 << 8) | (rs1 << 12) | ((imm & 0xffff) << 16)) >>> 0;
    case 'IU':
      if (!fitsUnsigned(imm, 16)) throw new EncodingError(`immediate ${imm} does not fit in 16 unsigned bits (0..65535)`);
      return (op | (rd << 8) | (rs1 << 12) | (imm << 16)) >>> 0;
    case 'SH':
      if (!fitsUnsigned(imm, 5)) throw new EncodingError(`shift amount ${imm} is not in 0..31`);
      return (op | (rd << 8) | (rs1 << 12) | (imm << 16)) >>> 0;
    case 'U':
      if (!fitsUnsigned(imm, 16)) throw new EncodingError(`immediate ${imm} does not fit in 16 unsigned bits (0..65535)`);
      return (op | (rd << 8) | (imm << 16)) >>> 0;
    case 'B': {
      if (imm % 4 !== 0) throw new EncodingError(`branch offset ${imm} is not a multiple of 4`);
      const w = imm / 4;
      if (!fitsSigned(w, 16)) throw new EncodingError(`branch target is ${imm} bytes away; a branch reaches ±128 KiB`);
      return (op | (rs1 << 8) | (rs2 << 12) | ((w & 0xffff) << 16)) >>> 0;
    }
    case 'J': {
      if (imm % 4 !== 0) throw new EncodingError(`jump offset ${imm} is not a multiple of 4`);
      const w = imm / 4;
      if (!fitsSigned(w, 20)) throw new EncodingError(`jump target is ${imm} bytes away; jal reaches ±2 MiB (use jalr for further)`);
      return (op | (rd << 8) | ((w & 0xfffff) << 12)) >>> 0;
    }
    case 'N':
      return op >>> 0;
    case 'CR': case 'CW': case 'CRW':
      if (!fitsUnsigned(imm, 16)) throw new EncodingError(`CSR number ${imm} is not in 0..65535`);
      return (op | (info.format === 'CW' ? 0 : rd << 8) | (info.format === 'CR' ? 0 : rs1 << 12) | (imm << 16)) >>> 0;
    case 'F':
      return (op | (rs1 << 12)) >>> 0;
  }
}

/** Decode a word, or return undefined when it is not a valid instruction. */
export function decode(word: number): Instruction | undefined {
  const w = word | 0;
  const info = opInfo(w & 0xff);
  if (!info) return undefined;
  const a = (w >>> 8) & 15;
  const b = (w >>> 12) & 15;
  const c = (w >>> 16) & 15;
  const hi = w >>> 16;
  const op = info.op;
  switch (info.format as Format) {
    case 'R':
      if (w >>> 20 !== 0) return undefined;
      return { op, rd: a, rs1: b, rs2: c, imm: 0 };
    case 'I': case 'L': case 'JR':
      return { op, rd: a, rs1: b, rs2: 0, imm: w >> 16 };
    case 'S':
      return { op, rd: 0, rs1: b, rs2: a, imm: w >> 16 };
    case 'IU':
      return { op, rd: a, rs1: b, rs2: 0, imm: hi };
    case 'SH':
      if (hi > 31) return undefined;
      return { op, rd: a, rs1: b, rs2: 0, imm: hi };
    case 'U':
      if (b !== 0) return undefined;
      return { op, rd: a, rs1: 0, rs2: 0, imm: hi };
    case 'B':
      return { op, rd: 0, rs1: a, rs2: b, imm: (w >> 16) * 4 };
    case 'J':
      return { op, rd: a, rs1: 0, rs2: 0, imm: (w >> 12) * 4 };
    case 'N':
      if (w >>> 8 !== 0) return undefined;
      return { op, rd: 0, rs1: 0, rs2: 0, imm: 0 };
    case 'CR':
      if (b !== 0) return undefined;
      return { op, rd: a, rs1: 0, rs2: 0, imm: hi };
    case 'CW':
      if (a !== 0) return undefined;
      return { op, rd: 0, rs1: b, rs2: 0, imm: hi };
    case 'CRW':
      return { op, rd: a, rs1: b, rs2: 0, imm: hi };
    case 'F':
      if (a !== 0 || hi !== 0) return undefined;
      return { op, rd: 0, rs1: b, rs2: 0, imm: 0 };
  }
}

export function formatOf(op: number): Format | undefined {
  return opInfo(op)?.format;
}

export { FORMATS };
