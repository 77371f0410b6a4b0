/**
 * The debugger's addresses: `0x2000`, `64`, `sp`, `pc`, `msg`, `loop+8`,
 * `sp-4+a0` — numbers, registers and symbols joined by + and -, in 32-bit
 * arithmetic. Nothing fancier: an address is what people type here.
 */
import { registerNumber } from '../../isa/registers.js';

export type Evaluated = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** What names in an expression stand for. */
export interface ExpressionScope {
  readonly regs: Int32Array;
  readonly pc: number;
  /** Labels and constants of the image. */
  readonly symbols: ReadonlyMap<string, number>;
}

/** A whole number for a count argument: decimal or 0x hex, `_` allowed; undefined unless positive. */
export function parsePositive(text: string): number | undefined {
  const clean = text.replace(/_/g, '');
  const n = /^\d+$/.test(clean) ? Number(clean) : /^0x[0-9a-f]+$/i.test(clean) ? Number.parseInt(clean.slice(2), 16) : NaN;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

function term(text: string, scope: ExpressionScope): Evaluated {
  const clean = text.replace(/_/g, '');
  if (/^0x[0-9a-f]+$/i.test(clean)) return { ok: true, value: Number.parseInt(clean.slice(2), 16) };
  if (/^\d+$/.test(clean)) return { ok: true, value: Number(clean) };
  const reg = registerNumber(text);
  if (reg !== undefined) return { ok: true, value: scope.regs[reg]! >>> 0 };
  if (text.toLowerCase() === 'pc') return { ok: true, value: scope.pc >>> 0 };
  const sym = scope.symbols.get(text);
  if (sym !== undefined) return { ok: true, value: sym >>> 0 };
  return { ok: false, error: `'${text}' is not a number, a register or a label` };
}

export function evaluate(text: string, scope: ExpressionScope): Evaluated {
  const parts = text.split(/([+-])/);
  let total = 0;
  let sign = 1;
  for (let i = 0; i < parts.length; i += 2) {
    const t = parts[i]!.trim();
    if (t === '' && i === 0 && parts.length > 1) {
      // A leading sign: `-4`.
      sign = parts[1] === '-' ? -1 : 1;
      continue;
    }
    if (t === '') return { ok: false, error: `'${text}' is not an expression: a term is missing` };
    const v = term(t, scope);
    if (!v.ok) return v;
    if (v.value > 0xffffffff) return { ok: false, error: `${t} does not fit in 32 bits` };
    total += sign * v.value;
    sign = parts[i + 1] === '-' ? -1 : 1;
  }
  return { ok: true, value: total >>> 0 };
}
