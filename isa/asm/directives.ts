/**
 * Directives: what each one takes, and the size and plan it gives pass 1.
 * `.include` and `.macro`/`.endm` are the reader's business; by the time a
 * statement gets here they have done their work.
 */
import type { Expr } from './expression.js';
import type { Token } from './lexer.js';
import { arityProblem } from './instruction.js';
import { operandText } from './operands.js';
import { NOTHING, type Plan } from './plan.js';
import { alignUp, type SectionName, type SectionState } from './sections.js';
import type { Call, Operand } from './statement.js';
import { didYouMean } from './suggest.js';

/** What the assembler lends a directive in pass 1. */
export interface DirectiveContext {
  readonly call: Call;
  /** The bytes the reader found for `.incbin` / `.image` (embed.ts). */
  readonly embedded: Uint8Array | undefined;
  /** The current section. */
  readonly section: SectionState;
  switchTo(name: SectionName): void;
  /** Marks the current section as holding content (its base is settled from here on). */
  place(): void;
  /** Parses an operand as an expression, reporting what is wrong. */
  expr(op: Operand, what: string): Expr | undefined;
  /** The value pass 1 already knows, or undefined (reported: unknown or invalid). */
  known(e: Expr, what: string): number | undefined;
  error(start: number, end: number, message: string, notes?: readonly string[]): void;
  defineConst(name: Token, value: Operand): Plan;
  entry(expr: Expr, op: Operand): Plan;
  global(name: Token): void;
}

export interface Placement {
  readonly size: number;
  readonly plan: Plan;
}

const EMPTY: Placement = { size: 0, plan: NOTHING };

interface Directive {
  /** Operand names for "takes N operands (…)" messages. */
  readonly operands: readonly string[];
  readonly min: number;
  readonly max: number;
  /** Allowed in .bss, which holds only zeros. */
  readonly inBss: boolean;
  readonly run: (ctx: DirectiveContext) => Placement;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function section(name: SectionName): Directive {
  return { operands: [], min: 0, max: 0, inBss: true, run: (ctx) => (ctx.switchTo(name), EMPTY) };
}

function single(ctx: DirectiveContext, what: string): number | undefined {
  const e = ctx.expr(ctx.call.operands[0]!, what);
  return e ? ctx.known(e, what) : undefined;
}

function org(ctx: DirectiveContext): Placement {
  const v = single(ctx, `the '.org' address`);
  if (v === undefined) return EMPTY;
  const target = v >>> 0;
  const s = ctx.section;
  const op = ctx.call.operands[0]!;
  if (!s.started) {
    if (target % 4 !== 0) {
      ctx.error(op.start, op.end, `a section must start at a 4-byte aligned address; ${hex(target)} is not`);
      return EMPTY;
    }
    s.explicitBase = target;
    ctx.place();
    return EMPTY;
  }
  const base = s.knownBase();
  if (base === undefined) {
    ctx.error(ctx.call.name.start, op.end, `'.org' after content in ${s.name} needs the section's address, which is only settled after pass 1; start ${s.name} with its own '.org'`);
    return EMPTY;
  }
  const here = base + s.size;
  if (target < here) {
    ctx.error(op.start, op.end, `'.org ${hex(target)}' would move backwards: ${s.name} is already at ${hex(here)}`);
    return EMPTY;
  }
  return { size: target - here, plan: NOTHING };
}

/** Largest `.align` allowed: sixteen pages. */
const MAX_ALIGN = 65536;

function align(ctx: DirectiveContext): Placement {
  const n = single(ctx, `the '.align' boundary`);
  if (n === undefined) return EMPTY;
  const op = ctx.call.operands[0]!;
  if (n < 1 || n > MAX_ALIGN || (n & (n - 1)) !== 0) {
    ctx.error(op.start, op.end, `'.align' takes a power of two (a number of bytes, 1..${MAX_ALIGN}), found ${n}`);
    return EMPTY;
  }
  ctx.place();
  const s = ctx.section;
  const base = s.knownBase();
  // With the base unknown, align the offset and make the section start on the boundary.
  if (base === undefined) s.alignment = Math.max(s.alignment, n);
  const here = (base ?? 0) + s.size;
  return { size: alignUp(here, n) - here, plan: NOTHING };
}

function data(width: 1 | 2 | 4): Directive {
  return {
    operands: ['values'], min: 1, max: Infinity, inBss: false,
    run: (ctx) => {
      const values = ctx.call.operands.map((op) => ctx.expr(op, 'a value'));
      ctx.place();
      const size = width * values.length;
      if (values.some((v) => v === undefined)) return { size, plan: NOTHING };
      return { size, plan: { kind: 'data', width, values: values as Expr[] } };
    },
  };
}

const NUL = new Uint8Array(1);

function text(terminate: boolean): Directive {
  return {
    operands: ['strings'], min: 1, max: Infinity, inBss: false,
    run: (ctx) => {
      const parts: Uint8Array[] = [];
      let failed = false;
      for (const op of ctx.call.operands) {
        const t = op.tokens[0]!;
        if (op.tokens.length !== 1 || t.kind !== 'string') {
          ctx.error(op.start, op.end, `'${ctx.call.name.text.toLowerCase()}' takes strings in double quotes, found '${operandText(op.tokens)}'`);
          failed = true;
          continue;
        }
        parts.push(t.bytes!);
        if (terminate) parts.push(NUL);
      }
      ctx.place();
      // Copied string by string: spreading a long string's bytes into one call would overflow the stack.
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
      return { size: bytes.length, plan: failed ? NOTHING : { kind: 'bytes', bytes } };
    },
  };
}

function space(ctx: DirectiveContext): Placement {
  const [sizeOp, fillOp] = ctx.call.operands;
  const n = single(ctx, `the '.space' size`);
  const fill = fillOp ? ctx.expr(fillOp, 'a fill byte') : undefined;
  if (n === undefined) return EMPTY;
  if (n < 0) {
    ctx.error(sizeOp!.start, sizeOp!.end, `'.space' size must not be negative, found ${n}`);
    return EMPTY;
  }
  ctx.place();
  return { size: n, plan: fill ? { kind: 'fill', fill } : NOTHING };
}

function equ(ctx: DirectiveContext): Placement {
  const [nameOp, valueOp] = ctx.call.operands;
  const t = nameOp!.tokens[0]!;
  if (nameOp!.tokens.length !== 1 || t.kind !== 'ident') {
    ctx.error(nameOp!.start, nameOp!.end, `expected a symbol name, found '${operandText(nameOp!.tokens)}'`);
    return EMPTY;
  }
  return { size: 0, plan: ctx.defineConst(t, valueOp!) };
}

function entry(ctx: DirectiveContext): Placement {
  const op = ctx.call.operands[0]!;
  const e = ctx.expr(op, 'an entry address');
  return { size: 0, plan: e ? ctx.entry(e, op) : NOTHING };
}

function global(ctx: DirectiveContext): Placement {
  for (const op of ctx.call.operands) {
    const t = op.tokens[0]!;
    if (op.tokens.length !== 1 || t.kind !== 'ident') ctx.error(op.start, op.end, `expected a symbol name, found '${operandText(op.tokens)}'`);
    else ctx.global(t);
  }
  return EMPTY;
}

function embedded(ctx: DirectiveContext): Placement {
  const bytes = ctx.embedded ?? new Uint8Array(0);
  ctx.place();
  return { size: bytes.length, plan: { kind: 'bytes', bytes } };
}

const DIRECTIVES: ReadonlyMap<string, Directive> = new Map<string, Directive>([
  ['.text', section('.text')],
  ['.data', section('.data')],
  ['.bss', section('.bss')],
  ['.org', { operands: ['address'], min: 1, max: 1, inBss: true, run: org }],
  ['.align', { operands: ['bytes'], min: 1, max: 1, inBss: true, run: align }],
  ['.word', data(4)],
  ['.half', data(2)],
  ['.byte', data(1)],
  ['.ascii', text(false)],
  ['.asciz', text(true)],
  ['.space', { operands: ['size', 'fill'], min: 1, max: 2, inBss: true, run: space }],
  ['.equ', { operands: ['name', 'value'], min: 2, max: 2, inBss: true, run: equ }],
  ['.entry', { operands: ['address'], min: 1, max: 1, inBss: true, run: entry }],
  ['.global', { operands: ['names'], min: 1, max: Infinity, inBss: true, run: global }],
  // The reader has included the file (and checked the operand) already.
  ['.include', { operands: ['"file"'], min: 0, max: Infinity, inBss: true, run: () => EMPTY }],
  // The reader has read the file, or assembled the program, already (embed.ts).
  ['.incbin', { operands: ['"file"'], min: 1, max: 1, inBss: false, run: embedded }],
  ['.image', { operands: ['"prog.s"'], min: 1, max: 1, inBss: false, run: embedded }],
]);

/** Directives the reader turns into bytes (embed.ts). */
export const EMBED_DIRECTIVES: readonly string[] = ['.incbin', '.image'];

export const DIRECTIVE_NAMES: readonly string[] = [...DIRECTIVES.keys(), '.macro', '.endm'];

export function isDirective(name: string): boolean {
  return DIRECTIVE_NAMES.includes(name.toLowerCase());
}

/** Runs a directive in pass 1; problems it finds go through `ctx.error`. */
export function runDirective(ctx: DirectiveContext): Placement {
  const name = ctx.call.name.text.toLowerCase();
  const d = DIRECTIVES.get(name);
  if (!d) {
    const t = ctx.call.name;
    ctx.error(t.start, t.end, `unknown directive '${t.text}'${didYouMean(t.text, DIRECTIVE_NAMES, true)}`);
    return EMPTY;
  }
  const arity = arityProblem(ctx.call, d.operands, d.min, d.max);
  if (arity) {
    ctx.error(arity.start, arity.end, arity.message);
    return EMPTY;
  }
  if (!d.inBss && ctx.section.name === '.bss') {
    ctx.error(ctx.call.name.start, ctx.call.end, `'${name}' puts data in .bss, which holds only zeros; use '.space' there, or switch to .data`);
    return EMPTY;
  }
  return d.run(ctx);
}
