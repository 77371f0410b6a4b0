/**
 * Constant expressions: C's operators and precedence, `.` for the current
 * address, `hi()`/`lo()` for the halves of a 32-bit value. Parsing keeps every
 * node's columns so a problem found later (an undefined symbol, a division by
 * zero) points at exactly the text at fault.
 */
import type { Token } from './lexer.js';
import type { Problem } from './reporter.js';

export type UnaryOp = '-' | '+' | '~' | '!';
export type BinaryOp =
  | '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '>>>'
  | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';
export type FunctionName = 'hi' | 'lo';

interface Span {
  readonly start: number;
  readonly end: number;
}

export type Expr = Span & (
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'symbol'; readonly name: string }
  | { readonly kind: 'numlabel'; readonly label: string; readonly direction: 'b' | 'f' }
  | { readonly kind: 'dot' }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly opStart: number; readonly opEnd: number }
  | { readonly kind: 'call'; readonly fn: FunctionName; readonly arg: Expr }
);

/** Binding power of each binary operator: higher binds tighter (C's order). */
const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5,
  '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '<<': 8, '>>': 8, '>>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

const FUNCTIONS: readonly FunctionName[] = ['hi', 'lo'];

/**
 * How deep parentheses, unary operators and function calls may nest. The
 * parser recurses once per level, so without a limit a long enough run of
 * `(((…` would overflow the JS stack. A chain of binary operators
 * (`1+1+…+1`) does not nest: it is parsed in a loop, at any length.
 */
export const MAX_EXPRESSION_DEPTH = 256;

class ParseFailure {
  constructor(readonly problem: Problem) {}
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[], private readonly endCol: number) {}

  parseAll(): Expr {
    const e = this.binary(0);
    const t = this.tokens[this.pos];
    if (t) {
      const message = t.kind === 'punct' && t.text === ')'
        ? `unmatched ')'`
        : `expected an operator or the end of the expression, found '${t.text}'`;
      this.fail(t, message);
    }
    return e;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private fail(at: Token | undefined, message: string): never {
    const start = at ? at.start : this.endCol;
    const end = at ? at.end : this.endCol + 1;
    throw new ParseFailure({ start, end, message });
  }

  /** Enters one level of nesting at `t`, or refuses it there. */
  private nest(t: Token): void {
    if (++this.depth > MAX_EXPRESSION_DEPTH) this.fail(t, `expressions nest more than ${MAX_EXPRESSION_DEPTH} deep`);
  }

  private binary(minPrec: number): Expr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'punct' || !(t.text in PRECEDENCE)) return left;
      const op = t.text as BinaryOp;
      const prec = PRECEDENCE[op];
      if (prec <= minPrec) return left;
      this.pos++;
      const right = this.binary(prec);
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end, opStart: t.start, opEnd: t.end };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t && t.kind === 'punct' && (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!')) {
      this.nest(t);
      this.pos++;
      const arg = this.unary();
      this.depth--;
      return { kind: 'unary', op: t.text, arg, start: t.start, end: arg.end };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) return this.fail(undefined, 'expected a value, found the end of the operand');
    this.pos++;
    switch (t.kind) {
      case 'number':
      case 'char':
        return { kind: 'number', value: t.value, start: t.start, end: t.end };
      case 'numlabel':
        return { kind: 'numlabel', label: String(Number(t.text.slice(0, -1))), direction: t.text.slice(-1).toLowerCase() as 'b' | 'f', start: t.start, end: t.end };
      case 'ident':
        return this.symbolOrCall(t);
      case 'string':
        return this.fail(t, `expected a value, found the string ${t.text}`);
      case 'punct':
        if (t.text === '.') return { kind: 'dot', start: t.start, end: t.end };
        if (t.text === '(') {
          this.nest(t);
          const inner = this.binary(0);
          this.depth--;
          const close = this.peek();
          if (!close || close.kind !== 'punct' || close.text !== ')') this.fail(close, `expected ')' to close the '(' at column ${t.start + 1}${close ? `, found '${close.text}'` : ''}`);
          this.pos++;
          return { ...inner, start: t.start, end: close.end };
        }
        return this.fail(t, `expected a value, found '${t.text}'`);
    }
  }

  private symbolOrCall(t: Token): Expr {
    const open = this.peek();
    if (!open || open.kind !== 'punct' || open.text !== '(') return { kind: 'symbol', name: t.text, start: t.start, end: t.end };
    const fn = t.text.toLowerCase() as FunctionName;
    if (!FUNCTIONS.includes(fn)) this.fail(t, `unknown function '${t.text}' (the functions are ${FUNCTIONS.map((f) => `${f}()`).join(' and ')})`);
    this.nest(open);
    this.pos++;
    const arg = this.binary(0);
    this.depth--;
    const close = this.peek();
    if (!close || close.kind !== 'punct' || close.text !== ')') this.fail(close, `expected ')' to close ${fn}(${close ? `, found '${close.text}'` : ''}`);
    this.pos++;
    return { kind: 'call', fn, arg, start: t.start, end: close.end };
  }
}

/** Parses the tokens as one expression; `endCol` is where a missing token would have been. */
export function parseExpression(tokens: readonly Token[], endCol: number): { readonly expr: Expr } | { readonly problem: Problem } {
  try {
    return { expr: new Parser(tokens, endCol).parseAll() };
  } catch (e) {
    if (e instanceof ParseFailure) return { problem: e.problem };
    throw e;
  }
}
