/**
 * Disks for the guest kernel's filesystem (tvfs, vm/devices/tvfs.ts):
 *
 *   typevisor mkdisk -o disk.img [--size 1M] [FILE[:CAPACITY]...]
 *   typevisor diskls disk.img
 *   typevisor diskcat disk.img NAME
 *
 * mkdisk copies host files in under their base names; CAPACITY gives a file
 * room to grow (the kernel writes within it). diskls and diskcat read what a
 * guest left behind — as the guest's next boot will see it: a transaction
 * committed to the log but not yet installed (the guest was killed in
 * between) counts as installed (installLog, on a copy; the file is not
 * changed), and diskls says so.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { fileBytes, installLog, makeTvfs, readTvfs, TvfsError, type Tvfs, type TvfsInput } from '../../vm/devices/tvfs.js';
import { parseSize } from '../../vm/memmap.js';
import { paint } from '../color.js';
import { fail, writeOut } from '../load.js';
import { diskProgram } from '../disk-program.js';
import { includeOption } from '../include-dirs.js';
import { readProblem, writeProblem } from '../../isa/fs-problem.js';

interface MkdiskOptions {
  readonly output: string;
  readonly size: string;
  readonly include: string[];
}

const SPEC = /^(.*):(\d+\s*[kmg]?i?b?)$/i;

/** `FILE[:CAPACITY]` → what goes on the disk, or a message for the user. */
function parseSpec(spec: string, include: readonly string[]): TvfsInput | string {
  const m = SPEC.exec(spec);
  const file = m ? m[1]! : spec;
  const capacity = m ? parseSize(m[2]!) : undefined;
  if (m && capacity === undefined) return `${spec}: ${m[2]} is not a size (try 4K, 1M, 8192)`;
  const name = path.basename(file);
  if (!existsSync(file)) {
    if (capacity === undefined) return `${file}: no such file (to make an empty file on the disk, give it a capacity: ${file}:4K)`;
    return { name, data: new Uint8Array(0), capacity };
  }
  let data: Uint8Array;
  try {
    data = readFileSync(file);
  } catch (e) {
    return `${file}: cannot read: ${readProblem(e)}`;
  }
  const prog = diskProgram(file, data, include);
  if (typeof prog === 'string') return prog;
  if (prog) return capacity === undefined ? prog : { ...prog, capacity };
  return capacity === undefined ? { name, data } : { name, data, capacity };
}

/** The largest disk image mkdisk builds (as large as a VM's transient disk may be). */
const MKDISK_MAX_SIZE = 1024 ** 3;

function mkdisk(specs: readonly string[], opts: MkdiskOptions): void {
  const size = parseSize(opts.size);
  if (size === undefined || size < SECTOR_SIZE || size % SECTOR_SIZE !== 0) {
    fail(`--size ${JSON.stringify(opts.size)} is not a disk size: a multiple of ${SECTOR_SIZE} bytes (try 64K, 1M)`);
    return;
  }
  // The image is built whole in memory before it is written: past this, a typed array cannot hold it (or the host's RAM).
  if (size > MKDISK_MAX_SIZE) return fail(`--size ${JSON.stringify(opts.size)} is more than mkdisk makes: at most ${MKDISK_MAX_SIZE / 1024 ** 3} GiB (the image is built in memory)`);
  const files: TvfsInput[] = [];
  for (const spec of specs) {
    const f = parseSpec(spec, opts.include);
    if (typeof f === 'string') return fail(f);
    files.push(f);
  }
  let disk: Uint8Array;
  try {
    disk = makeTvfs(files, size);
  } catch (e) {
    if (!(e instanceof TvfsError)) throw e;
    return fail(e.message);
  }
  try {
    writeFileSync(opts.output, disk);
  } catch (e) {
    return fail(`cannot write ${opts.output}: ${writeProblem(e, opts.output)}`);
  }
  writeOut(1, describe(opts.output, readTvfs(disk), 0));
}

/** The disk's directory, as diskls prints it; `installed`: sectors of a committed log counted in. */
function describe(file: string, fs: Tvfs, installed: number): string {
  const p = paint();
  const n = fs.files.length;
  const lines = [`${file}: tvfs, ${fs.sectors} sectors (${(fs.sectors * SECTOR_SIZE) / 1024} KiB), ${n} file${n === 1 ? '' : 's'}`];
  if (!fs.log) lines.push('version 1, without a log: the guest kernel refuses it (make a new disk with typevisor mkdisk)');
  if (installed > 0) lines.push(`log: a committed write of ${installed} sector${installed === 1 ? '' : 's'}, not yet installed; shown installed (the next boot installs it)`);
  if (n > 0) {
    const width = Math.max(4, ...fs.files.map((f) => f.name.length));
    lines.push(p.bold(`${'name'.padEnd(width)}  ${'size'.padStart(8)}  ${'capacity'.padStart(8)}  sectors`));
    for (const f of fs.files) {
      lines.push(`${f.name.padEnd(width)}  ${String(f.size).padStart(8)}  ${String(f.capacity * SECTOR_SIZE).padStart(8)}  ${f.start}..${f.start + f.capacity - 1}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The disk and its directory, or undefined after reporting why not. */
function open(file: string): { readonly disk: Uint8Array; readonly fs: Tvfs; readonly installed: number } | undefined {
  let disk: Uint8Array;
  try {
    disk = readFileSync(file);
  } catch (e) {
    fail(`cannot read ${file}: ${readProblem(e)}`);
    return undefined;
  }
  try {
    const after = installLog(disk);
    return { disk: after.disk, fs: readTvfs(after.disk), installed: after.installed };
  } catch (e) {
    if (!(e instanceof TvfsError)) throw e;
    fail(`${file}: ${e.message}`);
    return undefined;
  }
}

export function registerMkdisk(program: Command): void {
  program
    .command('mkdisk')
    .description('make a tvfs disk image for the guest kernel, holding host files')
    .requiredOption('-o, --output <disk.img>', 'the disk image to write')
    .option('--size <size>', 'disk size (K, M suffixes)', '1M')
    .addOption(includeOption())
    .argument('[files...]', 'FILE or FILE:CAPACITY (room to grow, e.g. poem.txt:4K); a missing FILE with a CAPACITY is created empty')
    .addHelpText('after', `
tvfs is flat: up to 15 files, names of at most 19 bytes, each file one run of
sectors that a guest may fill up to its capacity (default: its size). The
guest kernel's open/read/write/seek/close work on it (typevisor boot --disk).
Sectors 1..19 are the kernel's write-ahead log: each write (at most 8 KiB)
lands whole or not at all, even if the VM is killed; files follow it.

Programs: a FILE.s is assembled (as typevisor asm would, -I adds include
directories) and goes on the disk as FILE, its program image; a FILE.img
image goes on as FILE. The kernel's spawn, and its shell (boot --init sh),
run it by that name.

Examples:
  typevisor mkdisk -o disk.img test/fixtures/fs/text/poem.txt out.txt:4K
  typevisor mkdisk -o my.img hello.s        then at the shell's prompt: hello
  typevisor boot guests/kernel/kernel.s --disk my.img --init sh
  typevisor boot guests/kernel/kernel.s --disk disk.img
  typevisor diskls disk.img
  typevisor diskcat disk.img out.txt`)
    .action((files: string[], opts: MkdiskOptions) => mkdisk(files, opts));

  program
    .command('diskls')
    .description('list the files on a tvfs disk image')
    .argument('<disk>', 'the disk image')
    .addHelpText('after', `
Examples:
  typevisor mkdisk -o disk.img notes.txt log:4K
  typevisor diskls disk.img`)
    .action((file: string) => {
      const d = open(file);
      if (d) writeOut(1, describe(file, d.fs, d.installed));
    });

  program
    .command('diskcat')
    .description('write a file from a tvfs disk image to stdout')
    .argument('<disk>', 'the disk image')
    .argument('<name>', 'the file on the disk')
    .addHelpText('after', `
Examples:
  typevisor diskcat disk.img notes.txt
  typevisor diskcat disk.img log > log.txt     what the guest wrote there`)
    .action((file: string, name: string) => {
      const d = open(file);
      if (!d) return;
      const f = d.fs.files.find((x) => x.name === name);
      if (!f) return fail(`${file}: no file "${name}" (it has: ${d.fs.files.map((x) => x.name).join(', ') || 'nothing'})`);
      writeOut(1, fileBytes(d.disk, f));
    });
}
