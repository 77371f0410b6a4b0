/**
 * Evaluates expressions in 32-bit arithmetic. Values are kept as signed 32-bit
 * numbers; `0xffffffff` and `-1` are the same value, as they are in a register.
 *
 * In the first pass a symbol that is not defined yet may still be defined
 * further down, so the answer can be `unknown`; in the second pass the
 * environment turns that into an error of its own.
 */
import type { BinaryOp, Expr, UnaryOp } from './expression.js';

/** What the environment says about a name, `.` or a numeric label. */
export type Resolution =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'error'; readonly message: string }
  /** Failed where it was defined, and already reported there. */
  | { readonly kind: 'poison' };

export type Evaluation =
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'error'; readonly start: number; readonly end: number; readonly message: string }
  | { readonly kind: 'poison' };

export interface Environment {
  symbol(name: string): Resolution;
  numericLabel(label: string, direction: 'b' | 'f'): Resolution;
  dot(): Resolution;
}

const UNKNOWN: Evaluation = { kind: 'unknown' };

function resolved(r: Resolution, e: Expr): Evaluation {
  return r.kind === 'error' ? { kind: 'error', start: e.start, end: e.end, message: r.message } : r;
}

function value(v: number): Evaluation {
  return { kind: 'value', value: v | 0 };
}

function shift(op: '<<' | '>>' | '>>>', a: number, n: number): number {
  if (op === '<<') return a << n;
  return op === '>>' ? a >> n : (a >>> n) | 0;
}

function unary(op: UnaryOp, a: number): number {
  switch (op) {
    case '-': return -a;
    case '+': return a;
    case '~': return ~a;
    case '!': return a === 0 ? 1 : 0;
  }
}

function binary(e: Extract<Expr, { kind: 'binary' }>, a: number, b: number): Evaluation {
  const op: BinaryOp = e.op;
  switch (op) {
    case '*': return value(Math.imul(a, b));
    case '/': case '%':
      if (b === 0) return { kind: 'error', start: e.right.start, end: e.right.end, message: `division by zero: the right side of '${op}' is 0` };
      return value(op === '/' ? Math.trunc(a / b) : a % b);
    case '+': return value(a + b);
    case '-': return value(a - b);
    case '<<': case '>>': case '>>>':
      if (b < 0 || b > 31) return { kind: 'error', start: e.right.start, end: e.right.end, message: `shift count ${b} is out of range (0..31)` };
      return value(shift(op, a, b));
    case '<': return value(a < b ? 1 : 0);
    case '<=': return value(a <= b ? 1 : 0);
    case '>': return value(a > b ? 1 : 0);
    case '>=': return value(a >= b ? 1 : 0);
    case '==': return value(a === b ? 1 : 0);
    case '!=': return value(a !== b ? 1 : 0);
    case '&': return value(a & b);
    case '^': return value(a ^ b);
    case '|': return value(a | b);
    case '&&': return value(a !== 0 && b !== 0 ? 1 : 0);
    case '||': return value(a !== 0 || b !== 0 ? 1 : 0);
  }
}

/**
 * How deep evaluation may recurse. One expression nests at most
 * MAX_EXPRESSION_DEPTH deep, but a constant defined in terms of another,
 * defined in terms of another… goes deeper with every link, and would
 * otherwise overflow the JS stack.
 */
export const MAX_EVALUATION_DEPTH = 1024;

let depth = 0;

export function evaluate(e: Expr, env: Environment): Evaluation {
  if (depth >= MAX_EVALUATION_DEPTH) {
    return { kind: 'error', start: e.start, end: e.end, message: `expressions and the constants they use nest more than ${MAX_EVALUATION_DEPTH} deep` };
  }
  depth++;
  try {
    return evaluateNode(e, env);
  } finally {
    depth--;
  }
}

function evaluateNode(e: Expr, env: Environment): Evaluation {
  switch (e.kind) {
    case 'number': return value(e.value);
    case 'symbol': return resolved(env.symbol(e.name), e);
    case 'numlabel': return resolved(env.numericLabel(e.label, e.direction), e);
    case 'dot': return resolved(env.dot(), e);
    case 'unary': {
      const a = evaluate(e.arg, env);
      if (a.kind !== 'value') return a;
      return value(unary(e.op, a.value));
    }
    case 'call': {
      const a = evaluate(e.arg, env);
      if (a.kind !== 'value') return a;
      return value(e.fn === 'hi' ? (a.value >>> 16) & 0xffff : a.value & 0xffff);
    }
    case 'binary': return evaluateChain(e, env);
  }
}

/**
 * A run of binary operators (`1+1+…+1`) is a tree as deep as the run is long,
 * down its left side: walk that side in a loop, so a long chain costs no
 * stack. The other sides are only as deep as the parser's nesting limit.
 */
function evaluateChain(top: Extract<Expr, { kind: 'binary' }>, env: Environment): Evaluation {
  const chain: Extract<Expr, { kind: 'binary' }>[] = [];
  let leftmost: Expr = top;
  while (leftmost.kind === 'binary') {
    chain.push(leftmost);
    leftmost = leftmost.left;
  }
  let a = evaluate(leftmost, env);
  for (let i = chain.length - 1; i >= 0; i--) {
    const e = chain[i]!;
    // Report the leftmost real problem; an unknown side only means "not yet".
    if (a.kind === 'error' || a.kind === 'poison') return a;
    const b = evaluate(e.right, env);
    if (b.kind === 'error' || b.kind === 'poison') return b;
    a = a.kind === 'unknown' || b.kind === 'unknown' ? UNKNOWN : binary(e, a.value, b.value);
  }
  return a;
}

/** The value's two readings, for messages: `-1 (0xffffffff)`. */
export function describeValue(v: number): string {
  return v >= -0x8000 && v <= 0xffff ? String(v) : `${v} (0x${(v >>> 0).toString(16)})`;
}
