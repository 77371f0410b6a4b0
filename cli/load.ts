/**
 * What several commands share: turning a FILE.s or FILE.img argument into an
 * image (reporting every problem the way `typevisor asm` does), and parsing
 * sizes and counts with errors that name the option.
 */
import { extname } from 'node:path';
import { assemble, formatDiagnostic, summarize } from '../isa/asm/index.js';
import { ImageError, loadImageFile, type Image } from '../isa/image.js';
import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import { DEFAULT_TIER, TIERS } from '../vm/machine.js';
import { parseSize } from '../vm/memmap.js';
import { writeAllSync } from '../vm/process/host-io.js';
import { colorEnabled, paintErr } from './color.js';
import { includeDirs } from './include-dirs.js';
import { readProblem } from '../isa/fs-problem.js';

export const SOURCE_EXTENSIONS = new Set(['.s', '.asm', '.S']);

const encoder = new TextEncoder();

/** Synchronous, ordered output to a host fd. */
export function writeOut(fd: number, bytes: Uint8Array | string): void {
  writeAllSync(fd, typeof bytes === 'string' ? encoder.encode(bytes) : bytes);
}

export function fail(message: string, code = 1): void {
  writeOut(2, `${paintErr().red('error:')} ${message}\n`);
  process.exitCode = code;
}

export interface LoadOptions {
  /** Where `.text` goes when the source has no `.org` (kernels: RAM_BASE). */
  readonly defaultTextBase?: number;
  /** `-I` directories (TYPEVISOR_INCLUDE is added after them). */
  readonly include?: readonly string[];
}

/** The image for FILE.s (assembled in memory) or FILE.img, or undefined after reporting why not. */
export function loadProgram(file: string, options: LoadOptions = {}): Image | undefined {
  if (SOURCE_EXTENSIONS.has(extname(file))) {
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      fail(`cannot read ${file}: ${readProblem(e)}`);
      return undefined;
    }
    const result = assemble(source, { filename: file, includeDirs: includeDirs(options.include), ...(options.defaultTextBase !== undefined ? { defaultTextBase: options.defaultTextBase } : {}) });
    const diagnostics = result.ok ? result.warnings : result.diagnostics;
    // Asked only when there is something to paint: it may make process.stderr (see cli/color.ts).
    const color = diagnostics.length > 0 && colorEnabled('stderr');
    for (const d of diagnostics) writeOut(2, `${formatDiagnostic(d, color)}\n`);
    if (!result.ok) {
      writeOut(2, `${summarize(result.diagnostics)}\n`);
      process.exitCode = 1;
      return undefined;
    }
    return result.image;
  }
  try {
    return loadImageFile(file);
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    fail(`${err.message}${extname(file) === '.img' ? '' : ' (to use assembly source, name it FILE.s)'}`);
    return undefined;
  }
}

/** A size like 16M for an option; undefined (after reporting) if malformed. */
export function parseMem(text: string, option = '--mem'): number | undefined {
  const n = parseSize(text);
  // 0 is a size, just not one anything can have: say so rather than "not a size".
  if (n === 0) {
    fail(`${option} must be more than 0 (try 16M, 512K, 1G)`);
    return undefined;
  }
  if (n === undefined || n < 0) {
    fail(`${option} ${JSON.stringify(text)} is not a size (try 16M, 512K, 1G)`);
    return undefined;
  }
  if (option === '--mem' && (n % 4096 !== 0 || n > 1024 ** 3)) {
    fail(`${option} must be a multiple of 4K up to 1G, got ${text}`);
    return undefined;
  }
  return n;
}

/** A positive whole number for an option; null (after reporting) if malformed. */
export function parseCount(text: string, option: string): number | null {
  const clean = text.replace(/_/g, '');
  const n = /^\d+$/.test(clean) ? Number(clean) : NaN;
  if (!(n > 0) || !Number.isSafeInteger(n)) {
    fail(`${option} ${JSON.stringify(text)} is not a positive whole number`);
    return null;
  }
  return n;
}

/** `--tier`: the same option, worded the same, on every command that runs guest code. */
export function tierOption(): Option {
  return new Option('--tier <tier>', 'execution tier: interp (the interpreter alone: its WebAssembly core, the JavaScript loop for slow paths) or jit (hot code translated to JavaScript)').choices(TIERS).default(DEFAULT_TIER);
}
