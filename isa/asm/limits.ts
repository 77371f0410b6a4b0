/**
 * What the assembler will read before it gives up. Macros and includes can
 * multiply a short program without end (a macro that calls another twice,
 * forty deep, is a trillion lines; `.include "/dev/zero"` never ends), so the
 * reader keeps a budget and refuses, with a diagnostic at the line that ran
 * past it, rather than running out of time or memory.
 */
import type * as fs from 'node:fs';
import { nodeBuiltin } from '../host-builtin.js';

type Stats = fs.Stats;

export interface AssemblerLimits {
  /** Lines read on top of the program's own: every file it includes or embeds with `.image`, and every line a macro expands to. */
  readonly lines: number;
  /** Characters read from included and embedded files and produced by macro expansion, in all. */
  readonly bytes: number;
  /** Bytes in any one file the assembler reads (the program, `.include`, `.incbin`, `.image`). */
  readonly fileSize: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: AssemblerLimits = {
  lines: 1_000_000,
  bytes: 64 * MiB,
  // The disassembly of the largest image (a 64 MiB section) fits.
  fileSize: 256 * MiB,
};

/** Characters in one line a macro expands to. */
export const MAX_EXPANDED_LINE = MiB;

/** Lines and characters read so far, shared by a program and the programs it embeds with `.image`. */
export class Budget {
  private lines = 0;
  private bytes = 0;
  /** Set once a budget is spent: the reader stops, and nothing is assembled. */
  exhausted = false;

  constructor(readonly limits: AssemblerLimits) {}

  get linesRead(): number {
    return this.lines;
  }

  /** Spends lines and characters; past a budget, says which one (and stays exhausted). */
  spend(lines: number, chars: number): string | undefined {
    this.lines += lines;
    this.bytes += chars;
    if (this.lines > this.limits.lines) {
      this.exhausted = true;
      return `the budget of ${this.limits.lines} lines read (included and embedded files, and macro expansions)`;
    }
    if (this.bytes > this.limits.bytes) {
      this.exhausted = true;
      return `the budget of ${this.limits.bytes} characters read (included and embedded files, and macro expansions)`;
    }
    return undefined;
  }
}

function what(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function check(st: Stats, maxBytes: number): void {
  if (!st.isFile()) throw new Error(`it is ${what(st)}, not a regular file`);
  if (st.size > maxBytes) throw new Error(tooLarge(st.size, maxBytes));
}

export function tooLarge(size: number, maxBytes: number): string {
  return `it is ${size} bytes, more than the ${maxBytes} bytes a file may have`;
}

/**
 * A regular file's bytes. Anything else is refused before it is read: a
 * device may never end, and opening a FIFO waits for a writer (hence the
 * stat by name first, and the non-blocking open in case the name changed).
 * The error's message says why, in words.
 */
export function readRegularFile(file: string, maxBytes: number): Uint8Array {
  // A browser has no files: the playground hands the assembler its own readFile.
  const { closeSync, constants, fstatSync, openSync, readFileSync, statSync } = nodeBuiltin<typeof fs>('fs', `reading '${file}'`);
  check(statSync(file), maxBytes);
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    check(fstatSync(fd), maxBytes);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
