/**
 * `typevisor asm FILE.s [-o FILE.img] [--listing]`: assemble a program into an
 * image. Every problem in the program is reported (file:line:col, the line,
 * a caret under the fault), and on any error nothing is written — an image
 * already at the output path stays as it was.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { assembleFile, formatDiagnostic, formatListing, summarize } from '../../isa/asm/index.js';
import { ImageError, writeImage } from '../../isa/image.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { colorEnabled, paintErr } from '../color.js';
import { includeDirs, includeOption } from '../include-dirs.js';
import { writeProblem } from '../../isa/fs-problem.js';

interface AsmOptions {
  readonly output?: string;
  readonly listing?: boolean;
  readonly base?: string;
  readonly kernel?: boolean;
  readonly include: string[];
}

/** `--base`: a number the assembler would accept (0x…, decimal), 4-aligned. */
function parseBase(text: string): number | undefined {
  const n = /^0x[0-9a-f_]+$/i.test(text) ? Number.parseInt(text.replace(/_/g, '').slice(2), 16) : /^\d[\d_]*$/.test(text) ? Number(text.replace(/_/g, '')) : NaN;
  return Number.isInteger(n) && n >= 0 && n < 2 ** 32 && n % 4 === 0 ? n : undefined;
}

/** `prog.s` → `prog.img`; a name without an extension gets `.img` added. */
export function defaultOutputPath(source: string): string {
  const p = path.parse(source);
  return path.join(p.dir, `${p.ext === '' ? p.base : p.name}.img`);
}

/** Write through a temporary file and rename, so a failed write never leaves half an image. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

function fail(message: string): void {
  process.stderr.write(`${paintErr().red('error:')} ${message}\n`);
  process.exitCode = 1;
}

function run(file: string, opts: AsmOptions): void {
  const out = opts.output ?? defaultOutputPath(file);
  if (path.resolve(out) === path.resolve(file)) {
    fail(`the output ${out} would overwrite the source; name another with -o`);
    return;
  }
  let base: number | undefined = opts.kernel ? RAM_BASE : undefined;
  if (opts.base !== undefined) {
    base = parseBase(opts.base);
    if (base === undefined) {
      fail(`--base ${JSON.stringify(opts.base)} is not an address: give a 4-aligned number like 0x80000000`);
      return;
    }
  }
  const result = assembleFile(file, { includeDirs: includeDirs(opts.include), ...(base === undefined ? {} : { defaultTextBase: base }) });
  const color = colorEnabled('stderr');
  const diagnostics = result.ok ? result.warnings : result.diagnostics;
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d, color)}\n`);
  if (!result.ok) {
    process.stderr.write(`${summarize(result.diagnostics)}\n`);
    process.exitCode = 1;
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = writeImage(result.image);
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    fail(`the image cannot be written: ${err.message} (an assembler bug: please report it with the source)`);
    return;
  }
  try {
    writeAtomically(out, bytes);
  } catch (err) {
    fail(`cannot write ${out}: ${writeProblem(err, out)}`);
    return;
  }
  if (opts.listing) process.stdout.write(formatListing(result.listing));
  else if (process.stdout.isTTY) {
    process.stdout.write(`wrote ${out} (${bytes.length} bytes, entry 0x${result.image.entry.toString(16).padStart(8, '0')})\n`);
  }
}

export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description('assemble a source file into an executable image')
    .argument('<file>', 'assembly source, e.g. prog.s')
    .option('-o, --output <image>', 'where to write the image (default: FILE with .s replaced by .img)')
    .option('--listing', 'print a listing to stdout: address, bytes, source line, and what each pseudo-instruction or macro expanded to')
    .option('--base <addr>', 'where .text starts when the source has no .org (default 0x1000, where user programs link)')
    .option('--kernel', 'link at RAM (0x80000000), as typevisor boot does for a kernel without .org')
    .addOption(includeOption())
    .addHelpText('after', `
Examples:
  $ typevisor asm hello.s                 writes hello.img
  $ typevisor asm hello.s -o out/a.img --listing
  $ typevisor asm guests/kernel/kernel.s --kernel --listing
  $ typevisor asm prog.s -I ../mylib      .include "util.inc" from ../mylib

\`.include "sys.inc"\` and "lib.inc" work from any folder: a name not found
beside the file using it is looked for in each -I DIR, then in
$TYPEVISOR_INCLUDE (DIR:DIR…), then in the guests/include shipped with
typevisor.

Every error in the program (and the files it includes) is reported as
FILE:LINE:COL with the line and a caret under the fault; then the command
exits with status 1 and writes nothing. Warnings go to stderr and do not stop
the image from being written.
`)
    .action((file: string, opts: AsmOptions) => run(file, opts));
}
