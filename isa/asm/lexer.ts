/**
 * Splits one line into tokens. Comments (`;` or `#` to the end of the line)
 * are dropped here, outside string and character literals.
 *
 * The lexer never stops at a bad character: it reports it and goes on, so the
 * rest of the line still gets looked at.
 */
import type { Problem } from './reporter.js';

export type TokenKind =
  | 'ident'     // mnemonics, directives (`.word`), registers, symbols (`main.loop`)
  | 'number'    // value holds it, already reduced to 32 bits (signed)
  | 'numlabel'  // `1b`, `2f`: a reference to a GNU numeric label
  | 'char'      // 'a': value holds the code point
  | 'string'    // "…": bytes holds the decoded UTF-8
  | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written. */
  readonly text: string;
  /** 0-based columns [start, end) in the line. */
  readonly start: number;
  readonly end: number;
  readonly value: number;
  readonly bytes: Uint8Array | undefined;
}

export interface Lexed {
  readonly tokens: readonly Token[];
  readonly problems: readonly Problem[];
}

const PUNCT = ['>>>', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', ',', '(', ')', ':', '=', '+', '-', '*', '/', '%', '~', '!', '&', '^', '|', '<', '>', '.'];

// Character classes by code, not by regular expression: `typevisor run hello.s` lexes the ~340 lines of
// sys.inc and lib.inc on every run with the assembler's code still cold (V8's interpreter), where a
// RegExp.test per character was the lexer's largest cost (see cli/chunk-loader.ts).
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** [A-Za-z0-9_] */
const isWordPart = (c: number): boolean => isLetter(c) || isDigit(c) || c === 95;
/** [A-Za-z_.] */
const isIdentStart = (c: number): boolean => isLetter(c) || c === 95 || c === 46;
/** [A-Za-z0-9_.] */
const isIdentPart = (c: number): boolean => isWordPart(c) || c === 46;
/** What /\s/ matches: ASCII space, tab, line breaks, and beyond ASCII whatever the regular expression says. */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(String.fromCharCode(c)));

const utf8 = new TextEncoder();

function token(kind: TokenKind, text: string, start: number, value = 0, bytes?: Uint8Array): Token {
  return { kind, text, start, end: start + text.length, value, bytes };
}

/** Value of a number literal written with an optional 0x/0b/0o prefix and `_` separators. */
export function parseNumber(text: string): { readonly value: number } | { readonly problem: string } {
  // Plain decimal or 0x hex that fits in 32 bits, the common case: no BigInt (the general path's answer, | 0).
  if (/^(?:[0-9]{1,9}|0[xX][0-9a-fA-F]{1,8})$/.test(text)) return { value: Number(text) | 0 };
  const clean = text.replace(/_/g, '');
  const prefix = clean.slice(0, 2).toLowerCase();
  const digits = { '0x': /^[0-9a-f]+$/i, '0b': /^[01]+$/, '0o': /^[0-7]+$/ }[prefix];
  const body = digits ? clean.slice(2) : clean;
  if (!(digits ?? /^[0-9]+$/).test(body) || text.endsWith('_') || text.startsWith('_')) {
    return { problem: `invalid number '${text}'` };
  }
  const big = BigInt(digits ? `${prefix}${body}` : body);
  if (big > 0xffff_ffffn) return { problem: `number ${text} does not fit in 32 bits` };
  return { value: Number(BigInt.asIntN(32, big)) };
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };

/**
 * Reads a quoted literal starting at `start` (the quote). Returns the bytes it
 * stands for and where it ends, or a problem.
 */
function readQuoted(line: string, start: number, problems: Problem[]): { readonly end: number; readonly bytes: number[]; readonly closed: boolean } {
  const quote = line[start]!;
  const bytes: number[] = [];
  let i = start + 1;
  while (i < line.length && line[i] !== quote) {
    const c = line[i]!;
    const code = line.charCodeAt(i);
    if (code < 128 && c !== '\\') {
      bytes.push(code); // ASCII: its own UTF-8
      i++;
      continue;
    }
    if (c !== '\\') {
      const cp = line.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...utf8.encode(ch));
      i += ch.length;
      continue;
    }
    const e = line[i + 1];
    if (e === undefined) break;
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
      bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      const shown = e === 'x' ? line.slice(i, i + 4) : `\\${e}`;
      problems.push({ start: i, end: i + shown.length, message: `unknown escape '${shown}' (known: \\n \\t \\r \\0 \\\\ \\' \\" \\xHH)` });
      i += 2;
    }
  }
  const closed = line[i] === quote;
  return { end: closed ? i + 1 : i, bytes, closed };
}

/** A character that starts no token and is not a space or a comment. */
function isStray(line: string, i: number): boolean {
  const c = line[i]!;
  return !/[\s;#0-9"'\\]/.test(c) && !isIdentStart(line.charCodeAt(i)) && !PUNCT.some((p) => line.startsWith(p, i));
}

export function lex(line: string): Lexed {
  const tokens: Token[] = [];
  const problems: Problem[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const code = line.charCodeAt(i);
    if (isSpace(code)) {
      i++;
      continue;
    }
    if (c === ';' || c === '#') break;

    if (isDigit(code)) {
      let j = i + 1;
      while (j < line.length && isWordPart(line.charCodeAt(j))) j++;
      const text = line.slice(i, j);
      if (/^[0-9]+[bf]$/i.test(text) && !/^0b[01]/i.test(text)) {
        tokens.push(token('numlabel', text, i));
      } else {
        const n = parseNumber(text);
        if ('problem' in n) problems.push({ start: i, end: j, message: n.problem });
        tokens.push(token('number', text, i, 'value' in n ? n.value : 0));
      }
      i = j;
      continue;
    }

    if (isIdentStart(code) && !(c === '.' && !(i + 1 < line.length && isIdentPart(line.charCodeAt(i + 1))))) {
      let j = i + 1;
      while (j < line.length && isIdentPart(line.charCodeAt(j))) j++;
      tokens.push(token('ident', line.slice(i, j), i));
      i = j;
      continue;
    }

    if (c === '"' || c === "'") {
      const q = readQuoted(line, i, problems);
      const text = line.slice(i, q.end);
      const what = c === '"' ? 'string' : 'character literal';
      if (!q.closed) {
        problems.push({ start: i, end: Math.max(q.end, i + 1), message: `unterminated ${what}: missing closing ${c}` });
      }
      if (c === '"') {
        tokens.push(token('string', text, i, 0, Uint8Array.from(q.bytes)));
      } else {
        const chars = [...new TextDecoder().decode(Uint8Array.from(q.bytes))];
        const singleByte = q.bytes.length === 1;
        if (q.closed && q.bytes.length === 0) problems.push({ start: i, end: q.end, message: 'empty character literal' });
        else if (q.closed && !singleByte && chars.length !== 1) {
          problems.push({ start: i, end: q.end, message: `character literal ${text} holds ${chars.length} characters; use a string ("…") for more than one` });
        }
        const value = singleByte ? q.bytes[0]! : (chars[0]?.codePointAt(0) ?? 0);
        tokens.push(token('char', text, i, value));
      }
      i = q.end;
      continue;
    }

    const p = PUNCT.find((s) => line.startsWith(s, i));
    if (p) {
      tokens.push(token('punct', p, i));
      i += p.length;
      continue;
    }

    if (c === '\\') {
      problems.push({ start: i, end: i + 1, message: `stray '\\': macro parameters (\\name) are only replaced inside a .macro body` });
      i++;
      continue;
    }
    // A run of characters no token starts with is one problem, not one per character.
    const width = (at: number): number => String.fromCodePoint(line.codePointAt(at)!).length;
    let j = i + width(i);
    while (j < line.length && isStray(line, j)) j += width(j);
    const run = line.slice(i, j);
    const plural = [...run].length > 1 ? 's' : '';
    problems.push({ start: i, end: j, message: `unexpected character${plural} '${run}'` });
    i = j;
  }
  return { tokens, problems };
}
