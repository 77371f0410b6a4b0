/**
 * The typevisor assembler: source text in, an executable image (or every
 * problem with it) out. Never throws for bad input.
 *
 *   const r = assemble(text, { filename: 'prog.s' });
 *   if (!r.ok) for (const d of r.diagnostics) console.error(formatDiagnostic(d));
 */
import { USER_TEXT_BASE } from '../syscalls.js';
import { Assembler, type AssembleResult } from './assembler.js';
import type { Diagnostic } from './diagnostic.js';
import { Budget, DEFAULT_LIMITS, readRegularFile, type AssemblerLimits } from './limits.js';
import { Reader, whyUnreadable } from './reader.js';
import { Reporter } from './reporter.js';
import { resolvePath } from './paths.js';

export type { AssembleResult } from './assembler.js';
export { formatDiagnostic, summarize, type Diagnostic } from './diagnostic.js';
export { formatListing, type ListingEntry } from './listing.js';
export { DEFAULT_LIMITS, type AssemblerLimits } from './limits.js';
export { INCLUDE_ENV, includeDirsFromEnv, shippedIncludeDir } from './include-path.js';

export interface AssembleOptions {
  /** Used in diagnostics and to resolve `.include`. */
  readonly filename: string;
  /** Default: fs.readFileSync(path, 'utf8'). A throw becomes a diagnostic at the `.include`. */
  readonly readFile?: (path: string) => string;
  /** Where `.text` goes without an `.org`. Default USER_TEXT_BASE (0x1000). */
  readonly defaultTextBase?: number;
  /** How much the assembler reads before refusing (limits.ts); each one left out keeps its default. */
  readonly limits?: Partial<AssemblerLimits>;
  /**
   * Where a relative `.include`/`.incbin`/`.image` name is looked for when it
   * is not beside the file using it, before the shipped guests/include
   * (include-path.ts). The CLI passes `-I` and TYPEVISOR_INCLUDE here.
   */
  readonly includeDirs?: readonly string[];
}

/** A regular file's text; anything else (a device, a FIFO, a directory) or a file past the size limit is refused. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const readUtf8 = (p: string, maxBytes: number): string => utf8.decode(readRegularFile(p, maxBytes));

export function assemble(source: string, options: AssembleOptions): AssembleResult {
  const reporter = new Reporter();
  const limits: AssemblerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const reader = new Reader(reporter, options.readFile ?? ((p) => readUtf8(p, limits.fileSize)), new Budget(limits), options.includeDirs ?? []);
  reader.readText(options.filename, source, [], [resolvePath(options.filename)], false);
  // What was read before a budget ran out is not the program: say only why it stopped.
  if (reader.exhausted) return { ok: false, diagnostics: reporter.all() };
  const assembler = new Assembler(reporter, options.defaultTextBase ?? USER_TEXT_BASE, reader.macroNames());
  return assembler.assemble(reader.statements);
}

export function assembleFile(file: string, options: Omit<AssembleOptions, 'filename' | 'readFile'> = {}): AssembleResult {
  let source: string;
  try {
    source = readUtf8(file, options.limits?.fileSize ?? DEFAULT_LIMITS.fileSize);
  } catch (e) {
    const d: Diagnostic = { file, line: 1, col: 1, length: 1, severity: 'error', message: `cannot read '${file}': ${whyUnreadable(e)}`, sourceLine: '' };
    return { ok: false, diagnostics: [d] };
  }
  return assemble(source, { ...options, filename: file });
}
