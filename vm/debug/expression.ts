/**
 * Expressions as gdb users type them, for the kernel debugger's print, set,
 * x, break ... if and display:
 *
 *   0x8000_1000   42   'A'          numbers and a character
 *   a0  sp  pc  $status  $cause      registers, pc, CSRs (with a $)
 *   trap_vector  proc+16  hello:_start   symbols of the kernel, and the current user program's
 *   *sp  *(sp+8)  sp[2]  curproc[0] a word loaded through the guest's page tables
 *   + - * / % & | ^ << >> ~ !  == != < <= > >= && ||  ( )
 *
 * Arithmetic is 32-bit; comparisons give 0 or 1 and are unsigned (addresses).
 * `p[i]` is the word at p + 4*i, as C indexes an int array. A parse error
 * names the column; a load from an address nothing maps is an error, never 0.
 */
import { registerNumber } from '../../isa/registers.js';
import { csrNumber } from '../../isa/csr.js';

export type Value = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** What names stand for, and how a word is loaded. */
export interface Scope {
  readonly reg: (n: number) => number;
  readonly pc: number;
  /** The CSRs ($name); none for a user program (the process VM), which cannot read them. */
  readonly csr?: (n: number) => number;
  readonly symbol: (name: string) => number | undefined;
  /** The word at a virtual address as the guest would load it, or undefined if nothing maps it. */
  readonly load: (va: number) => number | undefined;
}

class EvalError extends Error {}

const TOKEN = /\s*(0x[0-9a-fA-F_]+|\d[\d_]*|'[^']'|\$?[A-Za-z_.][\w.$]*(?::[A-Za-z_.][\w.$]*)?|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!()[\]<>])/y;

function tokenize(text: string): { readonly tokens: string[]; readonly columns: number[] } {
  const tokens: string[] = [];
  const columns: number[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new EvalError(`unexpected '${text.slice(at).trim()[0]}' at column ${at + 1 + (text.slice(at).length - text.slice(at).trimStart().length)}`);
    tokens.push(m[1]!);
    columns.push(at + m[0].indexOf(m[1]!) + 1);
    at = TOKEN.lastIndex;
  }
  return { tokens, columns };
}

/** Binary operators by precedence, loosest first. */
const LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

function apply(op: string, a: number, b: number): number {
  const ua = a >>> 0;
  const ub = b >>> 0;
  switch (op) {
    case '||': return ua !== 0 || ub !== 0 ? 1 : 0;
    case '&&': return ua !== 0 && ub !== 0 ? 1 : 0;
    case '|': return (a | b) >>> 0;
    case '^': return (a ^ b) >>> 0;
    case '&': return (a & b) >>> 0;
    case '==': return ua === ub ? 1 : 0;
    case '!=': return ua !== ub ? 1 : 0;
    case '<': return ua < ub ? 1 : 0;
    case '<=': return ua <= ub ? 1 : 0;
    case '>': return ua > ub ? 1 : 0;
    case '>=': return ua >= ub ? 1 : 0;
    case '<<': return (a << (b & 31)) >>> 0;
    case '>>': return ua >>> (b & 31);
    case '+': return (a + b) >>> 0;
    case '-': return (a - b) >>> 0;
    case '*': return Math.imul(a, b) >>> 0;
    case '/':
    case '%':
      if (ub === 0) throw new EvalError('division by zero');
      return op === '/' ? Math.floor(ua / ub) >>> 0 : ua % ub;
    default: throw new EvalError(`unknown operator ${op}`);
  }
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: string[], private readonly columns: number[], private readonly scope: Scope) {}

  parse(): number {
    if (this.tokens.length === 0) throw new EvalError('an expression is missing');
    const v = this.binary(0);
    if (this.i < this.tokens.length) throw new EvalError(`unexpected '${this.tokens[this.i]}' at column ${this.columns[this.i]}`);
    return v;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private expect(t: string): void {
    if (this.peek() !== t) throw new EvalError(this.peek() === undefined ? `'${t}' is missing at the end` : `expected '${t}' at column ${this.columns[this.i]}, found '${this.peek()}'`);
    this.i++;
  }

  private binary(level: number): number {
    if (level === LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = this.peek();
      if (op === undefined || !LEVELS[level]!.includes(op)) return left;
      this.i++;
      left = apply(op, left, this.binary(level + 1));
    }
  }

  private unary(): number {
    const t = this.peek();
    if (t === '-') return (this.i++, -this.unary() >>> 0);
    if (t === '+') return (this.i++, this.unary());
    if (t === '~') return (this.i++, ~this.unary() >>> 0);
    if (t === '!') return (this.i++, this.unary() === 0 ? 1 : 0);
    if (t === '*') return (this.i++, this.load(this.unary()));
    return this.postfix();
  }

  private postfix(): number {
    let v = this.primary();
    while (this.peek() === '[') {
      this.i++;
      const index = this.binary(0);
      this.expect(']');
      v = this.load((v + Math.imul(index, 4)) >>> 0);
    }
    return v;
  }

  private load(va: number): number {
    const w = this.scope.load(va >>> 0);
    if (w === undefined) throw new EvalError(`cannot read the word at 0x${(va >>> 0).toString(16).padStart(8, '0')}: nothing maps it`);
    return w >>> 0;
  }

  private primary(): number {
    const t = this.peek();
    const col = this.columns[this.i];
    if (t === undefined) throw new EvalError('an operand is missing at the end');
    this.i++;
    if (t === '(') {
      const v = this.binary(0);
      this.expect(')');
      return v;
    }
    if (/^0x/i.test(t)) {
      const n = Number.parseInt(t.slice(2).replace(/_/g, ''), 16);
      if (n > 0xffffffff) throw new EvalError(`${t} does not fit in 32 bits`);
      return n >>> 0;
    }
    if (/^\d/.test(t)) {
      const n = Number(t.replace(/_/g, ''));
      if (n > 0xffffffff) throw new EvalError(`${t} does not fit in 32 bits`);
      return n >>> 0;
    }
    if (t.startsWith("'")) return t.charCodeAt(1);
    if (t.startsWith('$')) {
      const n = csrNumber(t.slice(1));
      if (n !== undefined && this.scope.csr) return this.scope.csr(n) >>> 0;
      if (t === '$pc') return this.scope.pc >>> 0;
      const r = registerNumber(t.slice(1));
      if (r !== undefined) return this.scope.reg(r) >>> 0;
      throw new EvalError(this.scope.csr ? `'${t}' at column ${col} is not a CSR (status, tvec, epc, cause, badaddr, scratch, ptbase, timecmp, ie, ip, time)` : `'${t}': a user program has no CSRs to read`);
    }
    if (t.toLowerCase() === 'pc') return this.scope.pc >>> 0;
    const r = registerNumber(t);
    if (r !== undefined) return this.scope.reg(r) >>> 0;
    const s = this.scope.symbol(t);
    if (s !== undefined) return s >>> 0;
    if (/^[-+*/%&|^~!()[\]<>=]/.test(t)) throw new EvalError(`unexpected '${t}' at column ${col}`);
    throw new EvalError(this.scope.csr ? `'${t}' is not a number, a register, a CSR ($name) or a symbol` : `'${t}' is not a number, a register or a label`);
  }
}

/** The value of an expression, or what is wrong with it (one line). */
export function evaluateExpression(text: string, scope: Scope): Value {
  try {
    const { tokens, columns } = tokenize(text);
    return { ok: true, value: new Parser(tokens, columns, scope).parse() };
  } catch (e) {
    if (e instanceof EvalError) return { ok: false, error: e.message };
    throw e;
  }
}
