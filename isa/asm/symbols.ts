/**
 * The symbol table: labels, `=`/`.equ` constants, local labels and GNU numeric
 * labels, and the environment expressions are evaluated in.
 *
 * Names: `main:` is a label and opens a scope; `.loop:` after it is the local
 * label `main.loop` (written `.loop` inside the scope, `main.loop` anywhere).
 * `1:` is a numeric label, found by `1b` (the nearest one before) or `1f` (the
 * nearest one after); it may be defined any number of times.
 *
 * A constant keeps its expression and the context it was written in (scope,
 * `.`, position) and is evaluated when first needed, so it may use labels
 * defined after it.
 */
import { registerNumber } from '../registers.js';
import type { Environment, Resolution } from './evaluate.js';
import { evaluate } from './evaluate.js';
import type { Expr } from './expression.js';
import type { Reporter } from './reporter.js';
import type { SectionState } from './sections.js';
import type { SourceLine } from './source-line.js';
import { nearest } from './suggest.js';

/** Where a statement sits: what `.`, `.local` and `1b` mean there. */
export interface Context {
  readonly scope: string | undefined;
  readonly section: SectionState;
  readonly offset: number;
  /** Reading position: labels of statement i are at 2i, its body at 2i + 1. */
  readonly position: number;
}

interface Definition {
  readonly name: string;
  readonly line: SourceLine;
  readonly start: number;
  readonly end: number;
}

export interface LabelSymbol extends Definition {
  readonly kind: 'label';
  readonly section: SectionState;
  readonly offset: number;
}

export interface ConstSymbol extends Definition {
  readonly kind: 'const';
  readonly expr: Expr;
  readonly context: Context;
  state: 'pending' | 'evaluating' | 'done' | 'failed';
  value: number;
}

export type AsmSymbol = LabelSymbol | ConstSymbol;

interface NumericLabel {
  readonly position: number;
  readonly section: SectionState;
  readonly offset: number;
}

/** Index of the first label whose position is greater than `position` (binary search). */
function firstAfter(list: readonly NumericLabel[], position: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.position > position) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Longest symbol name the image format stores. */
const MAX_NAME_BYTES = 255;

export class Symbols {
  private readonly byName = new Map<string, AsmSymbol>();
  private readonly numeric = new Map<string, NumericLabel[]>();

  constructor(private readonly reporter: Reporter) {}

  /** Every symbol, in the order it was defined. */
  all(): readonly AsmSymbol[] {
    return [...this.byName.values()];
  }

  get(name: string): AsmSymbol | undefined {
    return this.byName.get(name);
  }

  /** `.loop` in scope `main` is `main.loop`; undefined when a local name has no scope. */
  fullName(name: string, scope: string | undefined): string | undefined {
    if (!name.startsWith('.')) return name;
    return scope === undefined ? undefined : scope + name;
  }

  /** Checks a name can be defined here; reports and returns undefined when not. */
  checkNew(written: string, scope: string | undefined, line: SourceLine, start: number, end: number): string | undefined {
    if (registerNumber(written) !== undefined) {
      this.reporter.error(line, start, end, `'${written}' is a register name; it cannot also name a symbol`);
      return undefined;
    }
    const full = this.fullName(written, scope);
    if (full === undefined) {
      this.reporter.error(line, start, end, `local label '${written}' has no enclosing label: put a label without a leading '.' above it`);
      return undefined;
    }
    if (new TextEncoder().encode(full).length > MAX_NAME_BYTES) {
      this.reporter.error(line, start, end, `symbol name is longer than ${MAX_NAME_BYTES} bytes`);
      return undefined;
    }
    const earlier = this.byName.get(full);
    if (earlier) {
      const what = earlier.kind === 'label' ? 'label' : 'symbol';
      this.reporter.error(line, start, end, `${what} '${full}' is already defined`, [`first definition of '${full}' at ${earlier.line.place(earlier.start)}`]);
      return undefined;
    }
    return full;
  }

  add(sym: AsmSymbol): void {
    this.byName.set(sym.name, sym);
  }

  addNumeric(label: string, n: NumericLabel): void {
    const list = this.numeric.get(label) ?? [];
    list.push(n);
    this.numeric.set(label, list);
  }

  /** An environment for a statement; `final` is pass 2, where every name must resolve. */
  environment(ctx: Context, final: boolean): Environment {
    const unknown: Resolution = { kind: 'unknown' };
    const address = (section: SectionState, offset: number): Resolution => {
      const base = final ? section.base : section.knownBase();
      return base === undefined ? unknown : { kind: 'value', value: (base + offset) | 0 };
    };
    return {
      dot: () => address(ctx.section, ctx.offset),
      numericLabel: (label, direction) => {
        const list = this.numeric.get(label) ?? [];
        // Definitions are in reading order: the first one past this position splits them.
        const after = firstAfter(list, ctx.position);
        const found = direction === 'b' ? list[after - 1] : list[after];
        if (found) return address(found.section, found.offset);
        if (!final) return unknown;
        const where = direction === 'b' ? 'before' : 'after';
        return { kind: 'error', message: `no numeric label '${label}:' ${where} this line (for '${label}${direction}')` };
      },
      symbol: (name) => {
        const full = this.fullName(name, ctx.scope);
        const sym = full === undefined ? undefined : this.byName.get(full);
        if (!sym) return final ? { kind: 'error', message: this.undefinedMessage(name, ctx.scope) } : unknown;
        if (sym.kind === 'label') return address(sym.section, sym.offset);
        return this.constValue(sym, final);
      },
    };
  }

  /** A constant's value; in pass 2 a failure is reported once, at its definition. */
  constValue(sym: ConstSymbol, final: boolean): Resolution {
    switch (sym.state) {
      case 'done': return { kind: 'value', value: sym.value };
      case 'failed': return { kind: 'poison' };
      case 'evaluating':
        return final ? { kind: 'error', message: `'${sym.name}' is defined in terms of itself` } : { kind: 'unknown' };
      case 'pending': break;
    }
    sym.state = 'evaluating';
    const ev = evaluate(sym.expr, this.environment(sym.context, final));
    if (ev.kind === 'value') {
      sym.state = 'done';
      sym.value = ev.value;
      return ev;
    }
    if (!final) {
      sym.state = 'pending';
      return { kind: 'unknown' };
    }
    sym.state = 'failed';
    if (ev.kind === 'error') this.reporter.error(sym.line, ev.start, ev.end, ev.message);
    return { kind: 'poison' };
  }

  private undefinedMessage(name: string, scope: string | undefined): string {
    if (name.startsWith('.') && scope === undefined) return `local label '${name}' used outside any label's scope`;
    const full = this.fullName(name, scope)!;
    const candidates: string[] = [];
    for (const n of this.byName.keys()) {
      candidates.push(n);
      if (scope !== undefined && n.startsWith(`${scope}.`)) candidates.push(n.slice(scope.length));
    }
    const guess = nearest(name, candidates);
    const shown = name === full ? `'${name}'` : `'${name}' (${full})`;
    const register = registerNumber(name) !== undefined ? '; registers cannot be used in expressions' : '';
    return `undefined symbol ${shown}${guess === undefined ? register : `; did you mean '${guess}'?`}`;
  }
}
