/**
 * What pass 1 decides for each statement — where it goes, how big it is, and
 * what pass 2 has to compute to fill those bytes in. Sizes never change after
 * pass 1, which is what makes two passes enough.
 */
import type { Expr } from './expression.js';
import type { PlannedInstruction } from './instruction.js';
import type { Statement } from './reader.js';
import type { ConstSymbol, Context } from './symbols.js';

export type Plan =
  /** Nothing to emit (labels, section switches) or only zeros (padding, `.space` in .bss, broken lines). */
  | { readonly kind: 'none' }
  | { readonly kind: 'instructions'; readonly list: readonly PlannedInstruction[]; readonly pseudo: boolean }
  | { readonly kind: 'data'; readonly width: 1 | 2 | 4; readonly values: readonly Expr[] }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'fill'; readonly fill: Expr }
  | { readonly kind: 'const'; readonly symbol: ConstSymbol }
  | { readonly kind: 'entry'; readonly expr: Expr; readonly start: number; readonly end: number };

export const NOTHING: Plan = { kind: 'none' };

export interface Item {
  readonly statement: Statement;
  readonly context: Context;
  readonly size: number;
  readonly plan: Plan;
}
