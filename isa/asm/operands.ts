/**
 * Reading operands: registers, expressions, `offset(base)` memory operands and
 * CSRs. Each reader says what it expected and what it found.
 */
import { csrNumber, CSRS } from '../csr.js';
import { ABI_NAMES, REGISTER_COUNT, registerNumber } from '../registers.js';
import { parseExpression, type Expr } from './expression.js';
import type { Token } from './lexer.js';
import type { Problem } from './reporter.js';
import type { Operand } from './statement.js';
import { didYouMean } from './suggest.js';

const REGISTER_NAMES = [...ABI_NAMES, ...Array.from({ length: REGISTER_COUNT }, (_, i) => `r${i}`)];

/** The operand's text, spaced as written. */
export function operandText(tokens: readonly Token[]): string {
  let out = '';
  tokens.forEach((t, i) => {
    if (i > 0 && t.start > tokens[i - 1]!.end) out += ' ';
    out += t.text;
  });
  return out;
}

const isPunct = (t: Token | undefined, text: string): boolean => t !== undefined && t.kind === 'punct' && t.text === text;

/** A memory operand: `off(base)` or `(base)`. */
export interface Memory {
  readonly offset: Expr | undefined;
  readonly base: number;
}

/** A CSR operand: a name from the CSR table, or an expression for its number. */
export type CsrOperand = { readonly kind: 'named'; readonly num: number } | { readonly kind: 'expr'; readonly expr: Expr };

/**
 * Reads operands of one statement, collecting what is wrong with them, so that
 * every bad operand of a line is reported, not only the first.
 */
export class OperandReader {
  readonly problems: Problem[] = [];

  get failed(): boolean {
    return this.problems.length > 0;
  }

  private fail(start: number, end: number, message: string): undefined {
    this.problems.push({ start, end, message });
    return undefined;
  }

  register(op: Operand): number | undefined {
    const t = op.tokens[0]!;
    const n = op.tokens.length === 1 && t.kind === 'ident' ? registerNumber(t.text) : undefined;
    if (n !== undefined) return n;
    const found = operandText(op.tokens);
    const hint = op.tokens.length === 1 && t.kind === 'ident' ? didYouMean(t.text, REGISTER_NAMES, true) : '';
    return this.fail(op.start, op.end, `expected a register, found '${found}'${hint}`);
  }

  /** `what` names the value in the message: "an immediate", "a branch target"… */
  expr(op: Operand, what: string): Expr | undefined {
    return this.exprOf(op.tokens, op.end, what);
  }

  private exprOf(tokens: readonly Token[], end: number, what: string): Expr | undefined {
    const t = tokens[0]!;
    if (tokens.length === 1 && t.kind === 'ident' && registerNumber(t.text) !== undefined) {
      return this.fail(t.start, t.end, `expected ${what}, found register '${t.text}'`);
    }
    const parsed = parseExpression(tokens, end);
    if ('problem' in parsed) {
      this.problems.push(parsed.problem);
      return undefined;
    }
    return parsed.expr;
  }

  memory(op: Operand): Memory | undefined {
    const ts = op.tokens;
    const n = ts.length;
    const hasBase = n >= 3 && isPunct(ts[n - 1], ')') && isPunct(ts[n - 3], '(') && ts[n - 2]!.kind === 'ident';
    if (!hasBase) {
      const found = operandText(ts);
      const hint = isPunct(ts[n - 1], ')') ? '' : `; for an absolute address write '${found}(zero)'`;
      return this.fail(op.start, op.end, `expected a memory operand 'offset(register)', found '${found}'${hint}`);
    }
    const baseToken = ts[n - 2]!;
    const base = registerNumber(baseToken.text);
    if (base === undefined) {
      return this.fail(baseToken.start, baseToken.end, `expected a base register in parentheses, found '${baseToken.text}'${didYouMean(baseToken.text, REGISTER_NAMES, true)}`);
    }
    if (n === 3) return { offset: undefined, base };
    const offset = this.exprOf(ts.slice(0, n - 3), ts[n - 3]!.start, 'an offset');
    return offset ? { offset, base } : undefined;
  }

  csr(op: Operand): CsrOperand | undefined {
    const t = op.tokens[0]!;
    if (op.tokens.length === 1 && t.kind === 'ident') {
      const num = csrNumber(t.text);
      if (num !== undefined) return { kind: 'named', num };
      if (registerNumber(t.text) !== undefined) {
        return this.fail(t.start, t.end, `expected a CSR (${CSRS.map((c) => c.name).join(', ')} or a number), found register '${t.text}'`);
      }
    }
    const expr = this.expr(op, 'a CSR name or number');
    return expr ? { kind: 'expr', expr } : undefined;
  }
}

/** Names of all CSRs, for suggestions when a CSR name is misspelt. */
export const CSR_NAMES: readonly string[] = CSRS.map((c) => c.name);
