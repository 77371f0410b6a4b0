/**
 * An encoded instruction as assembly text, for the listing's expansion lines
 * (what a pseudo-instruction or macro became). One helper per format, driven
 * by the opcode table, like the encoder.
 */
import { csrName } from '../csr.js';
import { decode } from '../encoding.js';
import { opInfo } from '../opcodes.js';
import { registerName } from '../registers.js';

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const addr = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** `pc` turns branch and jump offsets back into the addresses they reach. */
export function renderInstruction(word: number, pc: number): string {
  const ins = decode(word);
  const info = ins ? opInfo(ins.op) : undefined;
  if (!ins || !info) return `.word ${hex(word)}`;
  const r = registerName;
  const n = info.name;
  switch (info.format) {
    case 'R': return `${n} ${r(ins.rd)}, ${r(ins.rs1)}, ${r(ins.rs2)}`;
    case 'I': case 'SH': case 'JR': return `${n} ${r(ins.rd)}, ${r(ins.rs1)}, ${ins.imm}`;
    case 'IU': return `${n} ${r(ins.rd)}, ${r(ins.rs1)}, ${ins.imm > 9 ? hex(ins.imm) : ins.imm}`;
    case 'U': return `${n} ${r(ins.rd)}, ${hex(ins.imm)}`;
    case 'L': return `${n} ${r(ins.rd)}, ${ins.imm}(${r(ins.rs1)})`;
    case 'S': return `${n} ${r(ins.rs2)}, ${ins.imm}(${r(ins.rs1)})`;
    case 'B': return `${n} ${r(ins.rs1)}, ${r(ins.rs2)}, ${addr(pc + ins.imm)}`;
    case 'J': return `${n} ${r(ins.rd)}, ${addr(pc + ins.imm)}`;
    case 'N': return n;
    case 'CR': return `${n} ${r(ins.rd)}, ${csrName(ins.imm)}`;
    case 'CW': return `${n} ${csrName(ins.imm)}, ${r(ins.rs1)}`;
    case 'CRW': return `${n} ${r(ins.rd)}, ${csrName(ins.imm)}, ${r(ins.rs1)}`;
    case 'F': return ins.rs1 === 0 ? n : `${n} ${r(ins.rs1)}`;
  }
}
