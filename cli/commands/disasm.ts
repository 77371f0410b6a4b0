/**
 * `typevisor disasm FILE.img`: print an image as assembly source that
 * re-assembles to the same image. A malformed image is reported with the
 * field and file offset at fault, and exit status 1.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { disassembleImage } from '../../isa/disasm.js';
import { IMAGE_MAGIC, ImageError, loadImageFile } from '../../isa/image.js';
import { paintErr } from '../color.js';

const SOURCE_EXTENSIONS = new Set(['.s', '.asm', '.S']);

/** Assembly source handed to disasm by mistake: by its name, or by a first line of text where the magic should be. */
function looksLikeSource(path: string): boolean {
  if (SOURCE_EXTENSIONS.has(extname(path))) return true;
  try {
    const head = readFileSync(path).subarray(0, 64);
    if (head.length === 0 || new TextDecoder().decode(head.subarray(0, 4)) === IMAGE_MAGIC) return false;
    return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f));
  } catch {
    return false;
  }
}

function complain(message: string): void {
  process.stderr.write(`${paintErr().red('error:')} ${message}\n`);
  process.exitCode = 1;
}

export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description('print an image as assembly source that re-assembles to the same image')
    .argument('<image>', 'an image file written by the assembler')
    .action((file: string) => {
      if (looksLikeSource(file)) {
        complain(`${file} looks like assembly source; disasm reads assembled images: run \`typevisor asm ${file}\` first, then disassemble the .img it writes`);
        return;
      }
      try {
        process.stdout.write(disassembleImage(loadImageFile(file)));
      } catch (err) {
        if (!(err instanceof ImageError)) throw err;
        complain(err.message);
      }
    });
}
