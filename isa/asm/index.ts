/**
 * The typevisor assembler: source text in, an executable image (or every
 * problem with it) out. Never throws for bad input.
 *
 *   const r = assemble(text, { filename: 'prog.s' });
 *   if (!r.ok) for (const d of r.diagnostics) console.error(formatDiagnostic(d));
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { USER_TEXT_BASE } from '../syscalls.js';
import { Assembler, type AssembleResult } from './assembler.js';
import type { Diagnostic } from './diagnostic.js';
import { Reader, whyUnreadable } from './reader.js';
import { Reporter } from './reporter.js';

export type { AssembleResult } from './assembler.js';
export { formatDiagnostic, summarize, type Diagnostic } from './diagnostic.js';
export { formatListing, type ListingEntry } from './listing.js';

export interface AssembleOptions {
  /** Used in diagnostics and to resolve `.include`. */
  readonly filename: string;
  /** Default: fs.readFileSync(path, 'utf8'). A throw becomes a diagnostic at the `.include`. */
  readonly readFile?: (path: string) => string;
  /** Where `.text` goes without an `.org`. Default USER_TEXT_BASE (0x1000). */
  readonly defaultTextBase?: number;
}

const readUtf8 = (p: string): string => readFileSync(p, 'utf8');

export function assemble(source: string, options: AssembleOptions): AssembleResult {
  const reporter = new Reporter();
  const reader = new Reader(reporter, options.readFile ?? readUtf8);
  reader.readText(options.filename, source, [], [path.resolve(options.filename)]);
  const assembler = new Assembler(reporter, options.defaultTextBase ?? USER_TEXT_BASE, reader.macroNames());
  return assembler.assemble(reader.statements);
}

export function assembleFile(file: string, options: Omit<AssembleOptions, 'filename' | 'readFile'> = {}): AssembleResult {
  let source: string;
  try {
    source = readUtf8(file);
  } catch (e) {
    const d: Diagnostic = { file, line: 1, col: 1, length: 1, severity: 'error', message: `cannot read '${file}': ${whyUnreadable(e)}`, sourceLine: '' };
    return { ok: false, diagnostics: [d] };
  }
  return assemble(source, { ...options, filename: file });
}
