/**
 * Collects diagnostics as the assembler goes, so one run reports every problem
 * in the program, in the order the lines were read (not the order the passes
 * found them in).
 */
import type { Diagnostic } from './diagnostic.js';
import type { SourceLine } from './source-line.js';

/** A problem found by a part that knows columns but not lines (lexer, parsers, evaluator). */
export interface Problem {
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

interface Entry {
  readonly order: number;
  readonly seq: number;
  readonly diagnostic: Diagnostic;
}

export class Reporter {
  private readonly entries: Entry[] = [];
  private readonly seen = new Set<string>();
  private errorCount = 0;

  get hasErrors(): boolean {
    return this.errorCount > 0;
  }

  error(line: SourceLine, start: number, end: number, message: string, notes: readonly string[] = []): void {
    this.add('error', line, start, end, message, notes);
  }

  warning(line: SourceLine, start: number, end: number, message: string, notes: readonly string[] = []): void {
    this.add('warning', line, start, end, message, notes);
  }

  problem(line: SourceLine, p: Problem): void {
    this.error(line, p.start, p.end, p.message);
  }

  /**
   * A diagnostic from another assembly (a program embedded with `.image`),
   * kept at its own place, with `note` and `line`'s context added, and sorted
   * as if it were on `line`.
   */
  adopt(line: SourceLine, d: Diagnostic, note: string): void {
    const diagnostic: Diagnostic = { ...d, notes: [...(d.notes ?? []), note, ...line.notes] };
    if (d.severity === 'error') this.errorCount++;
    this.entries.push({ order: line.order, seq: this.entries.length, diagnostic });
  }

  /** Every diagnostic so far, in reading order. */
  all(): readonly Diagnostic[] {
    return [...this.entries]
      .sort((a, b) => a.order - b.order || a.diagnostic.col - b.diagnostic.col || a.seq - b.seq)
      .map((e) => e.diagnostic);
  }

  warnings(): readonly Diagnostic[] {
    return this.all().filter((d) => d.severity === 'warning');
  }

  private add(severity: Diagnostic['severity'], line: SourceLine, start: number, end: number, message: string, extra: readonly string[]): void {
    const span = line.span(start, end);
    const notes = [...extra, ...line.notes];
    const diagnostic: Diagnostic = {
      file: line.origin.file,
      line: line.origin.line,
      col: span.start + 1,
      length: span.end - span.start,
      severity,
      message,
      sourceLine: line.origin.text,
      ...(notes.length > 0 ? { notes } : {}),
    };
    // A macro body line expanded twice with the same fault is two problems (the
    // notes differ); the same fault found by two passes is one.
    const key = JSON.stringify([diagnostic.file, diagnostic.line, diagnostic.col, message, notes, line.order]);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (severity === 'error') this.errorCount++;
    this.entries.push({ order: line.order, seq: this.entries.length, diagnostic });
  }
}
