/**
 * Embedding files in a program: `.incbin "file"` places a file's raw bytes,
 * `.image "prog.s"` assembles another program on its own — a separate user
 * program, `.text` at 0x1000 unless it says otherwise — and places its whole
 * image file (TVIM, as `writeImage` writes it).
 *
 * Why: the guest kernel carries its user programs inside its own image (there
 * is no filesystem to load them from at boot), and each must stay an
 * independent program with its own addresses and symbols, exactly what
 * `typevisor asm prog.s` would write.
 *
 * The reader calls this, as it handles `.include`: it knows the file a line
 * was written in (paths are relative to it), the readFile to use, and the
 * chain of files being read — which also catches a program that embeds itself.
 * The bytes ride on the statement to pass 1, where the directive places them.
 * `.incbin` reads the file from disk itself: readFile returns text.
 * Problems inside the embedded program are reported as its own diagnostics
 * (its file, line and column) with a note pointing at the `.image` line.
 */
import { ImageError, writeImage } from '../image.js';
import { USER_TEXT_BASE } from '../syscalls.js';
import { Assembler } from './assembler.js';
import { readRegularFile } from './limits.js';
import { resolvePath } from './paths.js';
import type { Statement } from './reader.js';
import { Reporter } from './reporter.js';
import type { SourceLine } from './source-line.js';
import type { Token } from './lexer.js';
import type { Call } from './statement.js';

/** A reader for the embedded program (a fresh one: its macros and symbols are its own). */
export interface ProgramReader {
  readonly statements: readonly Statement[];
  /** A budget ran out while reading it (reported): it must not be assembled. */
  readonly exhausted: boolean;
  readText(file: string, text: string, notes: readonly string[], stack: readonly string[]): void;
  macroNames(): string[];
}

export interface EmbedContext {
  readonly reporter: Reporter;
  readonly readFile: (path: string) => string;
  /** The most bytes `.incbin` reads from one file. */
  readonly fileSize: number;
  /** Resolved paths of the files being read, outermost first. */
  readonly stack: readonly string[];
  readonly newReader: (reporter: Reporter) => ProgramReader;
  /** Why a read failed, in words. */
  readonly whyUnreadable: (e: unknown) => string;
}

/** A file named by a directive: the string token, the name as written, and the path to read. */
export interface FileOperand {
  readonly token: Token;
  readonly name: string;
  readonly target: string;
  /** Every path tried, in order (include-path.ts), for the message when none could be read. */
  readonly searched: readonly string[];
}

/** " (looked for …)" after a failed read: where the name was looked for, when that is not just the name. */
export function lookedFor(file: FileOperand): string {
  if (file.searched.length > 1) return ` (looked for ${file.searched.map((p) => `'${p}'`).join(', ')})`;
  return file.target === file.name ? '' : ` (looked for '${file.target}')`;
}

/** The bytes an `.incbin` or `.image` line places, or undefined after reporting why there are none. */
export function embed(line: SourceLine, head: Call, file: FileOperand, ctx: EmbedContext): Uint8Array | undefined {
  const directive = head.name.text.toLowerCase();
  const { token: t, name, target } = file;
  const looked = lookedFor(file);
  const cannot = (e: unknown): undefined => {
    ctx.reporter.error(line, t.start, t.end, `cannot ${directive === '.image' ? 'assemble' : 'read'} '${name}': ${ctx.whyUnreadable(e)}${looked}`);
    return undefined;
  };

  if (directive === '.incbin') {
    try {
      return new Uint8Array(readRegularFile(target, ctx.fileSize));
    } catch (e) {
      return cannot(e);
    }
  }

  const resolved = resolvePath(target);
  if (ctx.stack.includes(resolved)) {
    ctx.reporter.error(line, t.start, t.end, `'${name}' is already being read: a program cannot embed itself, or a file that includes it`);
    return undefined;
  }
  let text: string;
  try {
    text = ctx.readFile(target);
  } catch (e) {
    return cannot(e);
  }
  const reporter = new Reporter();
  const reader = ctx.newReader(reporter);
  reader.readText(target, text, [], [...ctx.stack, resolved]);
  if (reader.exhausted) {
    const note = `in program embedded with '.image' at ${line.place(head.name.start)}`;
    for (const d of reporter.all()) ctx.reporter.adopt(line, d, note);
    return undefined;
  }
  const result = new Assembler(reporter, USER_TEXT_BASE, reader.macroNames()).assemble(reader.statements);
  const note = `in program embedded with '.image' at ${line.place(head.name.start)}`;
  for (const d of result.ok ? result.warnings : result.diagnostics) ctx.reporter.adopt(line, d, note);
  if (!result.ok) return undefined;
  try {
    return writeImage(result.image);
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    ctx.reporter.error(line, t.start, t.end, `'${name}' assembles, but its image cannot be written: ${e.message}`);
    return undefined;
  }
}
