/**
 * Machine instructions as the assembler plans them in pass 1 (registers known,
 * immediates still expressions) and encodes them in pass 2. Operands are read
 * according to the opcode table's formats, so a new row in OPCODES needs
 * nothing here.
 */
import { encode, EncodingError } from '../encoding.js';
import { FORMATS, type OperandKind } from '../formats.js';
import type { OpInfo } from '../opcodes.js';
import type { Evaluation } from './evaluate.js';
import type { Expr } from './expression.js';
import { CSR_NAMES, OperandReader } from './operands.js';
import type { Problem } from './reporter.js';
import type { Call } from './statement.js';
import { didYouMean } from './suggest.js';

/** What an instruction's immediate field holds, and how to get it. */
export type Immediate =
  | { readonly kind: 'value'; readonly value: number }
  /** `part` picks a half of the value, for `lui`/`ori` pairs. */
  | { readonly kind: 'expr'; readonly expr: Expr; readonly part: 'all' | 'hi' | 'lo' };

/** How the immediate's value becomes the field: as is, or as an offset from the instruction. */
export type ImmediateRole = 'imm' | 'target' | 'csr';

export interface PlannedInstruction {
  readonly info: OpInfo;
  readonly rd: number;
  readonly rs1: number;
  readonly rs2: number;
  readonly imm: Immediate;
  readonly role: ImmediateRole;
  /** Text columns to point at when the immediate does not fit. */
  readonly immStart: number;
  readonly immEnd: number;
}

export const ZERO_IMM: Immediate = { kind: 'value', value: 0 };

/** How each operand kind is named in "takes N operands (…)" messages. */
export const OPERAND_NAMES: Readonly<Record<OperandKind, string>> = {
  rd: 'rd', rs1: 'rs1', rs2: 'rs2', simm16: 'imm', uimm16: 'imm', shamt: 'shamt',
  mem: 'offset(rs1)', target16: 'target', target20: 'target', csr: 'csr', 'rs1?': 'rs1',
};

/**
 * Checks the operand count; returns the problem when it is wrong. `max` may be
 * Infinity (push/pop take a list).
 */
export function arityProblem(head: Call, names: readonly string[], min: number, max: number): Problem | undefined {
  const found = head.operands.length;
  if (found >= min && found <= max) return undefined;
  const mnemonic = head.name.text.toLowerCase();
  const list = names.length > 0 ? ` (${names.join(', ')})` : '';
  const plural = (n: number): string => (n === 1 ? '' : 's');
  const takes = max === 0 ? 'no operands'
    : max === Infinity ? `at least ${min} operand${plural(min)}${list}`
    : min === max ? `${min} operand${plural(min)}${list}`
    : `${min} or ${max} operands${list}`;
  // Too many: point at the extra ones. Too few: at the whole statement.
  const start = found > max ? head.operands[max]!.start : head.name.start;
  return { start, end: head.end, message: `'${mnemonic}' takes ${takes}, found ${found}` };
}

const WHAT: Partial<Record<OperandKind, string>> = {
  simm16: 'an immediate', uimm16: 'an immediate', shamt: 'a shift amount', target16: 'a branch target', target20: 'a jump target',
};

/** Reads a real instruction's operands by its format. */
export function planInstruction(info: OpInfo, head: Call): { readonly planned?: readonly PlannedInstruction[]; readonly problems: readonly Problem[] } {
  const kinds = FORMATS[info.format].operands;
  const optional = kinds.filter((k) => k === 'rs1?').length;
  const arity = arityProblem(head, kinds.map((k) => (k === 'rs1?' ? '[rs1]' : OPERAND_NAMES[k])), kinds.length - optional, kinds.length);
  if (arity) return { problems: [arity] };

  const r = new OperandReader();
  const fields = { rd: 0, rs1: 0, rs2: 0 };
  let imm: Immediate = ZERO_IMM;
  let role: ImmediateRole = 'imm';
  let immStart = head.name.start;
  let immEnd = head.end;
  /** `at` is the text to point at when the value does not fit. */
  const setImm = (at: { readonly start: number; readonly end: number }, e: Expr | undefined, as: ImmediateRole): void => {
    if (e) imm = { kind: 'expr', expr: e, part: 'all' };
    role = as;
    immStart = at.start;
    immEnd = at.end;
  };
  kinds.forEach((kind, i) => {
    const op = head.operands[i];
    if (!op) return;
    switch (kind) {
      case 'rd': case 'rs1': case 'rs2': case 'rs1?':
        fields[kind === 'rs1?' ? 'rs1' : kind] = r.register(op) ?? 0;
        break;
      case 'simm16': case 'uimm16': case 'shamt':
        setImm(op, r.expr(op, WHAT[kind]!), 'imm');
        break;
      case 'target16': case 'target20':
        setImm(op, r.expr(op, WHAT[kind]!), 'target');
        break;
      case 'mem': {
        const m = r.memory(op);
        if (m) fields.rs1 = m.base;
        // Point at the offset itself when it does not fit, not at the base register.
        setImm(m?.offset ?? op, m?.offset, 'imm');
        break;
      }
      case 'csr': {
        const c = r.csr(op);
        setImm(op, c?.kind === 'expr' ? c.expr : undefined, 'csr');
        if (c?.kind === 'named') imm = { kind: 'value', value: c.num };
        break;
      }
    }
  });
  if (r.failed) return { problems: r.problems };
  return { planned: [{ info, ...fields, imm, role, immStart, immEnd }], problems: [] };
}

/** Evaluates the immediate (the caller supplies evaluation) and encodes. */
export function encodePlanned(p: PlannedInstruction, pc: number, evaluateExpr: (e: Expr) => Evaluation): { readonly word: number } | { readonly problem: Problem } | { readonly poisoned: true } {
  let v: number;
  if (p.imm.kind === 'value') {
    v = p.imm.value;
  } else {
    const ev = evaluateExpr(p.imm.expr);
    if (ev.kind === 'error' && p.role === 'csr' && p.imm.expr.kind === 'symbol') {
      const name = p.imm.expr.name;
      const hint = didYouMean(name, CSR_NAMES, true) || ` (the CSRs are ${CSR_NAMES.join(', ')})`;
      return { problem: { ...ev, message: `unknown CSR '${name}'${hint}` } };
    }
    if (ev.kind === 'error') return { problem: ev };
    if (ev.kind !== 'value') return { poisoned: true };
    v = p.imm.part === 'hi' ? (ev.value >>> 16) & 0xffff : p.imm.part === 'lo' ? ev.value & 0xffff : ev.value;
  }
  const at = (message: string): { readonly problem: Problem } => ({ problem: { start: p.immStart, end: p.immEnd, message } });
  let imm = v;
  if (p.role === 'target') {
    if ((v & 3) !== 0) return at(`${p.info.format === 'B' ? 'branch' : 'jump'} target 0x${(v >>> 0).toString(16)} is not 4-byte aligned`);
    // Modulo 2^32: a target across the top of the address space is still near.
    imm = (v - pc) | 0;
  }
  try {
    return { word: encode({ op: p.info.op, rd: p.rd, rs1: p.rs1, rs2: p.rs2, imm }) };
  } catch (e) {
    if (e instanceof EncodingError) return at(e.message);
    throw e;
  }
}
