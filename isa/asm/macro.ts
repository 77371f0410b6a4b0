/**
 * Macros: a named run of body lines with `\param` placeholders, and `\@` for a
 * number unique to each expansion (so a body can make labels of its own).
 * `\()` expands to nothing; it ends a parameter name, as in `\reg\()_saved`.
 *
 * Expansion builds the substituted text together with a column map back to
 * the body line, so a diagnostic can point at `\reg` in the definition while
 * quoting what `\reg` became.
 */
import type { Problem } from './reporter.js';
import type { Origin, Segment } from './source-line.js';

export interface Macro {
  readonly name: string;
  readonly params: readonly string[];
  readonly body: readonly Origin[];
  /** `file:line:col` of the name in the `.macro` line. */
  readonly definedAt: string;
}

export interface Expansion {
  readonly text: string;
  readonly segments: readonly Segment[];
  readonly problems: readonly Problem[];
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Inside a quoted literal these are escapes (`"\n"`, `"\x41"`), never
 * parameters, so a parameter called `n` cannot eat a newline in a string.
 */
const ESCAPE = /^(?:[ntr]$|x[0-9a-fA-F]{2})/;

export function describeParams(m: Macro): string {
  return m.params.length === 0 ? 'none' : m.params.join(', ');
}

export function expandLine(m: Macro, body: Origin, args: readonly string[], unique: number): Expansion {
  const text = body.text;
  const segments: Segment[] = [];
  const problems: Problem[] = [];
  let out = '';
  let literalFrom = 0;
  const flushLiteral = (upTo: number): void => {
    if (upTo > literalFrom) {
      segments.push({ start: out.length, end: out.length + (upTo - literalFrom), originStart: literalFrom, originEnd: upTo, literal: true });
      out += text.slice(literalFrom, upTo);
    }
  };
  const substitute = (at: number, length: number, replacement: string): void => {
    flushLiteral(at);
    segments.push({ start: out.length, end: out.length + replacement.length, originStart: at, originEnd: at + length, literal: false });
    out += replacement;
    literalFrom = at + length;
  };

  let quote: string | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (!quote && (c === ';' || c === '#')) break;
    if (c === '"' || c === "'") {
      if (!quote) quote = c;
      else if (quote === c) quote = undefined;
      i++;
      continue;
    }
    if (c !== '\\') {
      i++;
      continue;
    }
    const next = text.slice(i + 1);
    if (next.startsWith('@')) {
      substitute(i, 2, String(unique));
      i += 2;
      continue;
    }
    if (next.startsWith('()')) {
      substitute(i, 3, '');
      i += 3;
      continue;
    }
    const name = PARAM_NAME.exec(next)?.[0];
    const index = name === undefined ? -1 : m.params.indexOf(name);
    const isEscape = quote !== undefined && name !== undefined && ESCAPE.test(name);
    if (name !== undefined && index >= 0 && !isEscape) {
      substitute(i, 1 + name.length, args[index] ?? '');
      i += 1 + name.length;
      continue;
    }
    if (name !== undefined && !quote) {
      problems.push({
        start: out.length + (i - literalFrom),
        end: out.length + (i - literalFrom) + 1 + name.length,
        message: `'\\${name}' is not a parameter of macro \`${m.name}\` (parameters: ${describeParams(m)})`,
      });
    }
    // An escape in a literal (or a stray backslash the lexer will report): keep it and the next character.
    i += quote ? 2 : 1;
  }
  flushLiteral(text.length);
  return { text: out, segments, problems };
}
