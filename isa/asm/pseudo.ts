/**
 * Pseudo-instructions: names for common instruction sequences. Each expands to
 * real instructions in pass 1, and its size is fixed there: `li` picks its
 * shortest form only when the value is already known, otherwise it takes the
 * two-instruction form that fits any value, so no address moves in pass 2.
 */
import { Op, opInfo, type OpInfo } from '../opcodes.js';
import { Reg } from '../registers.js';
import type { Expr } from './expression.js';
import { arityProblem, ZERO_IMM, type Immediate, type ImmediateRole, type PlannedInstruction } from './instruction.js';
import { OperandReader } from './operands.js';
import type { Problem } from './reporter.js';
import type { Call, Operand } from './statement.js';

export interface PseudoContext {
  /** The expression's value if pass 1 already knows it (no forward references). */
  known(e: Expr): number | undefined;
}

interface Expand {
  readonly r: OperandReader;
  readonly ops: readonly Operand[];
  readonly head: Call;
  readonly ctx: PseudoContext;
}

interface Pseudo {
  readonly operands: readonly string[];
  readonly min: number;
  readonly max: number;
  /** Size in words when the line is broken and cannot be expanded. */
  readonly nominalWords: (operandCount: number) => number;
  readonly expand: (x: Expand) => PlannedInstruction[] | undefined;
}

const info = (op: Op): OpInfo => opInfo(op)!;

interface Fields {
  readonly rd?: number;
  readonly rs1?: number;
  readonly rs2?: number;
  readonly imm?: Immediate;
  readonly role?: ImmediateRole;
  /** The operand the immediate came from, for diagnostics. */
  readonly from?: Operand;
}

function make(x: Expand, op: Op, f: Fields): PlannedInstruction {
  return {
    info: info(op),
    rd: f.rd ?? 0, rs1: f.rs1 ?? 0, rs2: f.rs2 ?? 0,
    imm: f.imm ?? ZERO_IMM,
    role: f.role ?? 'imm',
    immStart: f.from?.start ?? x.head.name.start,
    immEnd: f.from?.end ?? x.head.end,
  };
}

const whole = (expr: Expr): Immediate => ({ kind: 'expr', expr, part: 'all' });
const value = (v: number): Immediate => ({ kind: 'value', value: v });

/** `op rd, rs` → one instruction built from the two registers. */
function twoRegs(build: (x: Expand, rd: number, rs: number) => PlannedInstruction[], words = 1): Pseudo {
  return {
    operands: ['rd', 'rs'], min: 2, max: 2, nominalWords: () => words,
    expand: (x) => {
      const rd = x.r.register(x.ops[0]!);
      const rs = x.r.register(x.ops[1]!);
      return rd === undefined || rs === undefined ? undefined : build(x, rd, rs);
    },
  };
}

/** `op rs, target` → a branch comparing rs with zero; `zeroFirst` puts zero on the left. */
function branchZero(op: Op, zeroFirst: boolean): Pseudo {
  return {
    operands: ['rs', 'target'], min: 2, max: 2, nominalWords: () => 1,
    expand: (x) => {
      const rs = x.r.register(x.ops[0]!);
      const t = x.r.expr(x.ops[1]!, 'a branch target');
      if (rs === undefined || !t) return undefined;
      const [rs1, rs2] = zeroFirst ? [Reg.ZERO, rs] : [rs, Reg.ZERO];
      return [make(x, op, { rs1, rs2, imm: whole(t), role: 'target', from: x.ops[1]! })];
    },
  };
}

/** `op a, b, target` → the branch with the operands the other way round. */
function branchSwapped(op: Op): Pseudo {
  return {
    operands: ['rs1', 'rs2', 'target'], min: 3, max: 3, nominalWords: () => 1,
    expand: (x) => {
      const a = x.r.register(x.ops[0]!);
      const b = x.r.register(x.ops[1]!);
      const t = x.r.expr(x.ops[2]!, 'a branch target');
      if (a === undefined || b === undefined || !t) return undefined;
      return [make(x, op, { rs1: b, rs2: a, imm: whole(t), role: 'target', from: x.ops[2]! })];
    },
  };
}

/** `op target` → `jal link, target`. */
function jump(link: Reg): Pseudo {
  return {
    operands: ['target'], min: 1, max: 1, nominalWords: () => 1,
    expand: (x) => {
      const t = x.r.expr(x.ops[0]!, 'a jump target');
      return t ? [make(x, Op.JAL, { rd: link, imm: whole(t), role: 'target', from: x.ops[0]! })] : undefined;
    },
  };
}

/** The instructions `li` uses for a value it knows: as few as the value needs. */
function loadKnown(x: Expand, rd: number, v: number, from: Operand): PlannedInstruction[] {
  if (v >= -0x8000 && v <= 0x7fff) return [make(x, Op.ADDI, { rd, rs1: Reg.ZERO, imm: value(v), from })];
  if (v >= 0 && v <= 0xffff) return [make(x, Op.ORI, { rd, rs1: Reg.ZERO, imm: value(v), from })];
  const hi = make(x, Op.LUI, { rd, imm: value((v >>> 16) & 0xffff), from });
  if ((v & 0xffff) === 0) return [hi];
  return [hi, make(x, Op.ORI, { rd, rs1: rd, imm: value(v & 0xffff), from })];
}

/** `lui rd, hi(e)` + `ori rd, rd, lo(e)`: loads any 32-bit value. */
function loadAny(x: Expand, rd: number, e: Expr, from: Operand): PlannedInstruction[] {
  return [
    make(x, Op.LUI, { rd, imm: { kind: 'expr', expr: e, part: 'hi' }, from }),
    make(x, Op.ORI, { rd, rs1: rd, imm: { kind: 'expr', expr: e, part: 'lo' }, from }),
  ];
}

function load(what: string, alwaysLong: boolean): Pseudo {
  return {
    operands: ['rd', what === 'an immediate' ? 'imm' : 'symbol'], min: 2, max: 2, nominalWords: () => 2,
    expand: (x) => {
      const rd = x.r.register(x.ops[0]!);
      const e = x.r.expr(x.ops[1]!, what);
      if (rd === undefined || !e) return undefined;
      const v = alwaysLong ? undefined : x.ctx.known(e);
      return v === undefined ? loadAny(x, rd, e, x.ops[1]!) : loadKnown(x, rd, v, x.ops[1]!);
    },
  };
}

/** push/pop: the first register listed sits at the highest address, so the same list pairs them up. */
function stack(direction: 'push' | 'pop'): Pseudo {
  return {
    operands: ['registers'], min: 1, max: Infinity, nominalWords: (n) => n + 1,
    expand: (x) => {
      const regs = x.ops.map((op) => x.r.register(op));
      if (regs.some((r) => r === undefined)) return undefined;
      const n = regs.length;
      const adjust = make(x, Op.ADDI, { rd: Reg.SP, rs1: Reg.SP, imm: value(direction === 'push' ? -4 * n : 4 * n) });
      const moves = regs.map((r, i) => {
        const slot = value(4 * (n - 1 - i));
        return direction === 'push'
          ? make(x, Op.SW, { rs2: r!, rs1: Reg.SP, imm: slot, from: x.ops[i]! })
          : make(x, Op.LW, { rd: r!, rs1: Reg.SP, imm: slot, from: x.ops[i]! });
      });
      return direction === 'push' ? [adjust, ...moves] : [...moves, adjust];
    },
  };
}

const fixed = (build: (x: Expand) => PlannedInstruction[]): Pseudo => ({ operands: [], min: 0, max: 0, nominalWords: () => 1, expand: build });

const PSEUDOS: ReadonlyMap<string, Pseudo> = new Map<string, Pseudo>([
  ['nop', fixed((x) => [make(x, Op.ADDI, {})])],
  ['mv', twoRegs((x, rd, rs) => [make(x, Op.ADDI, { rd, rs1: rs })])],
  ['not', twoRegs((x, rd, rs) => [make(x, Op.SUB, { rd, rs1: Reg.ZERO, rs2: rs }), make(x, Op.ADDI, { rd, rs1: rd, imm: value(-1) })], 2)],
  ['neg', twoRegs((x, rd, rs) => [make(x, Op.SUB, { rd, rs1: Reg.ZERO, rs2: rs })])],
  ['seqz', twoRegs((x, rd, rs) => [make(x, Op.SLTIU, { rd, rs1: rs, imm: value(1) })])],
  ['snez', twoRegs((x, rd, rs) => [make(x, Op.SLTU, { rd, rs1: Reg.ZERO, rs2: rs })])],
  ['li', load('an immediate', false)],
  ['la', load('an address', true)],
  ['j', jump(Reg.ZERO)],
  ['call', jump(Reg.RA)],
  ['jr', {
    operands: ['rs'], min: 1, max: 1, nominalWords: () => 1,
    expand: (x) => {
      const rs = x.r.register(x.ops[0]!);
      return rs === undefined ? undefined : [make(x, Op.JALR, { rs1: rs })];
    },
  }],
  ['ret', fixed((x) => [make(x, Op.JALR, { rs1: Reg.RA })])],
  ['beqz', branchZero(Op.BEQ, false)],
  ['bnez', branchZero(Op.BNE, false)],
  ['bltz', branchZero(Op.BLT, false)],
  ['bgez', branchZero(Op.BGE, false)],
  ['blez', branchZero(Op.BGE, true)],
  ['bgtz', branchZero(Op.BLT, true)],
  ['bgt', branchSwapped(Op.BLT)],
  ['ble', branchSwapped(Op.BGE)],
  ['bgtu', branchSwapped(Op.BLTU)],
  ['bleu', branchSwapped(Op.BGEU)],
  ['push', stack('push')],
  ['pop', stack('pop')],
]);

export const PSEUDO_NAMES: readonly string[] = [...PSEUDOS.keys()];

export function isPseudo(name: string): boolean {
  return PSEUDOS.has(name.toLowerCase());
}

/** Size in bytes a broken pseudo-instruction line is given, so later addresses stay put. */
export function nominalPseudoSize(head: Call): number {
  const p = PSEUDOS.get(head.name.text.toLowerCase());
  return p ? 4 * p.nominalWords(head.operands.length) : 4;
}

export function expandPseudo(head: Call, ctx: PseudoContext): { readonly planned?: readonly PlannedInstruction[]; readonly problems: readonly Problem[] } {
  const p = PSEUDOS.get(head.name.text.toLowerCase())!;
  const arity = arityProblem(head, p.operands, p.min, p.max);
  if (arity) return { problems: [arity] };
  const r = new OperandReader();
  const planned = p.expand({ r, ops: head.operands, head, ctx });
  return r.failed || !planned ? { problems: r.problems } : { planned, problems: [] };
}
