/**
 * Instruction formats: where each operand lives in the 32-bit word.
 *
 *   31            20 19  16 15  12 11   8 7      0
 *  |     0        |  rs2 |  rs1 |  rd  | opcode |   R
 *  |       imm16         |  rs1 |  rd  | opcode |   I  IU  SH  L  JR  (U: rs1 = 0)
 *  |       imm16         |  rs1 |  rs2 | opcode |   S   (store: value register in the rd slot)
 *  |       imm16 (words) |  rs2 |  rs1 | opcode |   B
 *  |          imm20 (words)     |  rd  | opcode |   J
 *  |       csr           |  rs1 |  rd  | opcode |   CR (rs1 = 0)  CW (rd = 0)  CRW
 *  |         0           |  rs1 |  0   | opcode |   F
 *  |              0             |  0   | opcode |   N
 *
 * The immediate sits in the top half so the interpreter gets it sign-extended
 * with a single `word >> 16`. Fields a format does not use must be zero: a word
 * with stray bits there is not an instruction (illegal-instruction trap), which
 * keeps decode → encode a bijection the disassembler round-trip relies on.
 */

export type Format = 'R' | 'I' | 'IU' | 'SH' | 'U' | 'L' | 'S' | 'B' | 'J' | 'JR' | 'N' | 'CR' | 'CW' | 'CRW' | 'F';

/** Kinds of operand as written in assembly. */
export type OperandKind =
  | 'rd' | 'rs1' | 'rs2'
  | 'simm16' | 'uimm16' | 'shamt'
  | 'mem'       // imm16(rs1)
  | 'target16'  // branch target: an address, encoded as a word offset from pc
  | 'target20'  // jal target
  | 'csr'
  | 'rs1?';     // optional register (tlbflush)

export interface FormatInfo {
  readonly format: Format;
  /** Operands in assembly order. `mem` covers both the offset and the base register. */
  readonly operands: readonly OperandKind[];
  readonly layout: string;
}

export const FORMATS: Readonly<Record<Format, FormatInfo>> = {
  R: { format: 'R', operands: ['rd', 'rs1', 'rs2'], layout: '[31:20]=0 [19:16]=rs2 [15:12]=rs1 [11:8]=rd [7:0]=op' },
  I: { format: 'I', operands: ['rd', 'rs1', 'simm16'], layout: '[31:16]=imm16 (signed) [15:12]=rs1 [11:8]=rd [7:0]=op' },
  IU: { format: 'IU', operands: ['rd', 'rs1', 'uimm16'], layout: '[31:16]=imm16 (unsigned) [15:12]=rs1 [11:8]=rd [7:0]=op' },
  SH: { format: 'SH', operands: ['rd', 'rs1', 'shamt'], layout: '[31:21]=0 [20:16]=shamt [15:12]=rs1 [11:8]=rd [7:0]=op' },
  U: { format: 'U', operands: ['rd', 'uimm16'], layout: '[31:16]=imm16 [15:12]=0 [11:8]=rd [7:0]=op' },
  L: { format: 'L', operands: ['rd', 'mem'], layout: '[31:16]=imm16 (signed) [15:12]=rs1 (base) [11:8]=rd [7:0]=op' },
  S: { format: 'S', operands: ['rs2', 'mem'], layout: '[31:16]=imm16 (signed) [15:12]=rs1 (base) [11:8]=rs2 (value) [7:0]=op' },
  B: { format: 'B', operands: ['rs1', 'rs2', 'target16'], layout: '[31:16]=offset/4 (signed) [15:12]=rs2 [11:8]=rs1 [7:0]=op' },
  J: { format: 'J', operands: ['rd', 'target20'], layout: '[31:12]=offset/4 (signed) [11:8]=rd [7:0]=op' },
  JR: { format: 'JR', operands: ['rd', 'rs1', 'simm16'], layout: '[31:16]=imm16 (signed) [15:12]=rs1 [11:8]=rd [7:0]=op' },
  N: { format: 'N', operands: [], layout: '[31:8]=0 [7:0]=op' },
  CR: { format: 'CR', operands: ['rd', 'csr'], layout: '[31:16]=csr [15:12]=0 [11:8]=rd [7:0]=op' },
  CW: { format: 'CW', operands: ['csr', 'rs1'], layout: '[31:16]=csr [15:12]=rs1 [11:8]=0 [7:0]=op' },
  CRW: { format: 'CRW', operands: ['rd', 'csr', 'rs1'], layout: '[31:16]=csr [15:12]=rs1 [11:8]=rd [7:0]=op' },
  F: { format: 'F', operands: ['rs1?'], layout: '[31:16]=0 [15:12]=rs1 (0 = all) [11:8]=0 [7:0]=op' },
};

/**
 * A decoded instruction. `imm` means what the format says: a sign- or
 * zero-extended immediate, a shift amount, a CSR number, or, for B and J, the
 * byte offset from the instruction's own address.
 */
export interface Instruction {
  readonly op: number;
  readonly rd: number;
  readonly rs1: number;
  readonly rs2: number;
  readonly imm: number;
}
