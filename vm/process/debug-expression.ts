/**
 * The debugger's addresses and values: `0x2000`, `64`, `sp`, `pc`, `msg`,
 * `loop+8`, `sp-4+a0`, `*sp`, `buf[2]`, `(a0+3) & ~3` — one grammar with the
 * kernel debugger's (vm/debug/expression.ts), in 32-bit arithmetic.
 */
import { evaluateExpression } from '../debug/expression.js';

export type Evaluated = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** What names in an expression stand for. */
export interface ExpressionScope {
  readonly regs: Int32Array;
  readonly pc: number;
  /** Labels and constants of the image. */
  readonly symbols: ReadonlyMap<string, number>;
  /** A word of the program's memory, or undefined where it cannot read. */
  readonly load?: (va: number) => number | undefined;
}

/** A whole number for a count argument: decimal or 0x hex, `_` allowed; undefined unless positive. */
export function parsePositive(text: string): number | undefined {
  const clean = text.replace(/_/g, '');
  const n = /^\d+$/.test(clean) ? Number(clean) : /^0x[0-9a-f]+$/i.test(clean) ? Number.parseInt(clean.slice(2), 16) : NaN;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The value of an expression, in the grammar the kernel debugger uses
 * (vm/debug/expression.ts): besides sums, `*ADDR` and `p[i]` load a word as
 * the program would (when the scope can load), and C's operators work.
 */
export function evaluate(text: string, scope: ExpressionScope): Evaluated {
  return evaluateExpression(text, {
    reg: (n) => scope.regs[n]!,
    pc: scope.pc,
    symbol: (name) => scope.symbols.get(name),
    load: scope.load ?? (() => undefined),
  });
}
