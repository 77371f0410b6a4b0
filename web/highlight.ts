/**
 * Syntax colouring for the editor, from the assembler's own lexer: a token
 * is coloured for what the assembler will take it to be (mnemonic,
 * directive, register, number, string, label), so the colours never
 * disagree with the assembler. Diagnostics are drawn on their line: the
 * columns they point at underlined, the message after the line's text.
 */
import { lex } from '../isa/asm/lexer.js';
import type { Diagnostic } from '../isa/asm/index.js';
import { registerNumber } from '../isa/registers.js';

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function tokenClass(kind: string, text: string, first: boolean, isLabel: boolean): string {
  if (kind === 'number' || kind === 'char' || kind === 'numlabel') return 'tk-num';
  if (kind === 'string') return 'tk-str';
  if (kind === 'punct') return 'tk-punct';
  if (isLabel) return 'tk-label';
  if (text.startsWith('.') && first) return 'tk-dir';
  if (first) return 'tk-op';
  if (registerNumber(text) !== undefined) return 'tk-reg';
  return 'tk-sym';
}

/** One source line as HTML spans. `marks` are [start, end) columns to underline. */
function lineHtml(line: string, marks: readonly (readonly [number, number])[]): string {
  const { tokens } = lex(line);
  const cls: (string | undefined)[] = new Array<string | undefined>(line.length).fill(undefined);
  let first = true;
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    const isLabel = t.kind === 'ident' && next?.kind === 'punct' && (next.text === ':' || next.text === '=');
    const c = tokenClass(t.kind, t.text, first && !isLabel, isLabel);
    for (let k = t.start; k < t.end; k++) cls[k] = c;
    if (t.kind === 'ident' && !isLabel) first = false;
    if (isLabel && next?.text === '=') first = false;
  });
  // The comment: from the first ';' past the last token (the lexer stops there).
  const after = tokens.length ? tokens[tokens.length - 1]!.end : 0;
  const semi = line.indexOf(';', after);
  if (semi >= 0) for (let k = semi; k < line.length; k++) cls[k] = 'tk-comment';
  const marked = new Array<boolean>(line.length + 1).fill(false);
  for (const [s, e] of marks) for (let k = Math.max(0, s); k < Math.max(e, s + 1); k++) marked[k] = true;
  let html = '';
  let k = 0;
  while (k < line.length || (k === line.length && marked[k] && line.length === k && k === 0)) {
    const c = cls[k];
    const m = marked[k];
    let j = k + 1;
    while (j < line.length && cls[j] === c && marked[j] === m) j++;
    const text = escape(line.slice(k, j) || ' ');
    const inner = c ? `<span class="${c}">${text}</span>` : text;
    html += m ? `<span class="tk-error">${inner}</span>` : inner;
    k = j;
    if (line.length === 0) break;
  }
  // A mark past the end of the line (a missing operand) shows as one underlined space.
  if (line.length > 0 && marked[line.length]) html += '<span class="tk-error"> </span>';
  return html;
}

/** The editor's overlay: every line coloured, each diagnostic of `file` underlined and said after its line. */
export function highlight(source: string, diagnostics: readonly Diagnostic[], file: string): string {
  const byLine = new Map<number, Diagnostic[]>();
  for (const d of diagnostics) if (d.file === file) byLine.set(d.line, [...(byLine.get(d.line) ?? []), d]);
  return source
    .split('\n')
    .map((line, i) => {
      const ds = byLine.get(i + 1) ?? [];
      const html = lineHtml(line, ds.map((d) => [d.col - 1, d.col - 1 + d.length] as const));
      const notes = ds.map((d) => `<span class="diag-note diag-${d.severity}">  ← ${escape(d.severity)}: ${escape(d.message)}</span>`).join('');
      return html + notes;
    })
    .join('\n');
}
