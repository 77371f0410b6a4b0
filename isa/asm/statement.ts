/**
 * The shape of a line: labels, then at most one statement — an assignment
 * (`NAME = expr`), a directive (`.word 1, 2`) or an operation (an instruction,
 * pseudo-instruction or macro call) — with its operands split at top-level
 * commas. What the operands mean is left to whoever knows the statement.
 */
import type { Token } from './lexer.js';
import type { Problem } from './reporter.js';

export interface LabelDef {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** `1:` — a GNU numeric label, referenced as `1b` / `1f`. */
  readonly numeric: boolean;
}

/** One comma-separated operand: its tokens and the columns it covers. */
export interface Operand {
  readonly tokens: readonly Token[];
  readonly start: number;
  readonly end: number;
}

/** A directive or operation: a name and its operands. */
export interface Call {
  readonly name: Token;
  readonly operands: readonly Operand[];
  /** Column just past the statement. */
  readonly end: number;
}

export type Head =
  | { readonly kind: 'assign'; readonly name: Token; readonly value: Operand }
  | ({ readonly kind: 'directive' } & Call)
  | ({ readonly kind: 'op' } & Call);

export interface ParsedLine {
  readonly labels: readonly LabelDef[];
  readonly head: Head | undefined;
}

/** Splits tokens at commas that are not inside parentheses. */
export function splitOperands(tokens: readonly Token[], problems: Problem[]): Operand[] {
  if (tokens.length === 0) return [];
  const operands: Operand[] = [];
  let depth = 0;
  let current: Token[] = [];
  const close = (at: Token | undefined): void => {
    if (current.length === 0) {
      const where = at ?? tokens[tokens.length - 1]!;
      problems.push({
        start: at ? where.start : where.end,
        end: at ? where.end : where.end + 1,
        message: at ? `missing operand before '${at.text}'` : `missing operand after ','`,
      });
    } else {
      operands.push({ tokens: current, start: current[0]!.start, end: current[current.length - 1]!.end });
    }
    current = [];
  };
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')') depth = Math.max(0, depth - 1);
    if (t.kind === 'punct' && t.text === ',' && depth === 0) {
      close(t);
      continue;
    }
    current.push(t);
  }
  close(undefined);
  return operands;
}

const isPunct = (t: Token | undefined, text: string): boolean => t !== undefined && t.kind === 'punct' && t.text === text;

export function parseLine(tokens: readonly Token[]): { readonly parsed: ParsedLine; readonly problems: readonly Problem[] } {
  const problems: Problem[] = [];
  const labels: LabelDef[] = [];
  let i = 0;
  for (;;) {
    const t = tokens[i];
    if (!t || !isPunct(tokens[i + 1], ':')) break;
    if (t.kind === 'ident') {
      labels.push({ name: t.text, start: t.start, end: t.end, numeric: false });
    } else if (t.kind === 'number' && /^[0-9]+$/.test(t.text)) {
      labels.push({ name: String(Number(t.text)), start: t.start, end: t.end, numeric: true });
    } else {
      problems.push({ start: t.start, end: t.end, message: `expected a label name before ':', found '${t.text}'` });
    }
    i += 2;
  }

  const first = tokens[i];
  if (!first) return { parsed: { labels, head: undefined }, problems };
  const rest = tokens.slice(i + 1);
  const end = tokens[tokens.length - 1]!.end;

  if (first.kind !== 'ident') {
    const message = isPunct(first, ':')
      ? `expected a label name before ':'`
      : `expected an instruction, directive or label, found '${first.text}'`;
    problems.push({ start: first.start, end: first.end, message });
    return { parsed: { labels, head: undefined }, problems };
  }

  if (isPunct(rest[0], '=')) {
    const valueTokens = rest.slice(1);
    if (valueTokens.length === 0) {
      problems.push({ start: rest[0]!.start, end: rest[0]!.end + 1, message: `expected a value after '='` });
      return { parsed: { labels, head: undefined }, problems };
    }
    const value: Operand = { tokens: valueTokens, start: valueTokens[0]!.start, end };
    return { parsed: { labels, head: { kind: 'assign', name: first, value } }, problems };
  }

  const operands = splitOperands(rest, problems);
  const kind = first.text.startsWith('.') ? 'directive' : 'op';
  return { parsed: { labels, head: { kind, name: first, operands, end } }, problems };
}
