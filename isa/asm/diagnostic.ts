/**
 * Diagnostics: what the assembler says about a program, and how it is printed.
 *
 * The printed form follows the compilers people already read every day:
 *
 *   prog.s:7:16: error: immediate 70000 does not fit in 16 signed bits (-32768..32767)
 *       addi a0, a0, 70000
 *                    ^~~~~
 *   prog.s:12:5: note: in expansion of macro `bump`
 *
 * A note that names a place carries it as a trailing ` at FILE:LINE:COL` (or
 * ` from FILE:LINE:COL`), so the `notes` field stays plain strings that read
 * well on their own, and the printer can still lead with the location.
 */

export interface Diagnostic {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  /** How many characters the caret underline covers (>= 1). */
  readonly length: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** The text of that line. */
  readonly sourceLine: string;
  /** e.g. "in expansion of macro `push2` at prog.s:12:5". */
  readonly notes?: readonly string[];
}

// Raw ANSI rather than chalk: isa/ stays free of terminal concerns. Colour goes
// only on the severity and the caret, where the eye should land.
const RED = '\x1b[1;31m';
const MAGENTA = '\x1b[1;35m';
const GREEN = '\x1b[1;32m';
const RESET = '\x1b[0m';

const NOTE_PLACE = /^(.*) (at|from) (.+):(\d+):(\d+)$/s;

/** The note's own place, when it names one, and its text without it. */
function splitNote(note: string): { readonly place: string | undefined; readonly text: string } {
  const m = NOTE_PLACE.exec(note);
  if (!m) return { place: undefined, text: note };
  const text = m[2] === 'from' ? `${m[1]!} from here` : m[1]!;
  return { place: `${m[3]!}:${m[4]!}:${m[5]!}`, text };
}

/** Spaces up to the column, keeping tabs so the caret lines up however tabs are shown. */
function caretIndent(sourceLine: string, col: number): string {
  let out = '';
  for (let i = 0; i < col - 1; i++) out += sourceLine[i] === '\t' ? '\t' : ' ';
  return out;
}

export function formatDiagnostic(d: Diagnostic, color = false): string {
  const paint = (code: string, s: string): string => (color ? `${code}${s}${RESET}` : s);
  const here = `${d.file}:${d.line}:${d.col}`;
  const label = d.severity === 'error' ? paint(RED, 'error:') : paint(MAGENTA, 'warning:');
  const out = [`${here}: ${label} ${d.message}`];
  if (d.sourceLine !== '') {
    out.push(d.sourceLine);
    out.push(caretIndent(d.sourceLine, d.col) + paint(GREEN, '^' + '~'.repeat(Math.max(0, d.length - 1))));
  }
  for (const note of d.notes ?? []) {
    const { place, text } = splitNote(note);
    out.push(`${place ?? here}: note: ${text}`);
  }
  return out.join('\n');
}

/** `2 errors`, `1 error, 3 warnings`: the summary line a command prints last. */
export function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts = [count(errors, 'error')];
  if (warnings > 0) parts.push(count(warnings, 'warning'));
  return parts.join(', ');
}
