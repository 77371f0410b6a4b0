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

/**
 * A file that is plainly not an image: assembly source by its name, or text
 * where the magic should be — which may be source or anything else
 * (/etc/passwd), so only the name says "source".
 */
function notAnImage(path: string): string | undefined {
  if (SOURCE_EXTENSIONS.has(extname(path))) {
    return `${path} looks like assembly source; disasm reads assembled images: run \`typevisor asm ${path}\` first, then disassemble the .img it writes`;
  }
  let head: Uint8Array;
  try {
    head = readFileSync(path).subarray(0, 64);
  } catch {
    return undefined; // loadImageFile says why it cannot be read
  }
  // The magic, or the start of it: an image, maybe cut off (loadImageFile says where), not text.
  if (IMAGE_MAGIC.startsWith(new TextDecoder().decode(head.subarray(0, 4)))) return undefined;
  if (!head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f))) return undefined;
  return `${path} is a text file, not a typevisor image (an image starts with "${IMAGE_MAGIC}"); if it is assembly source, assemble it first: typevisor asm ${path} -o FILE.img`;
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
    .addHelpText('after', `
Examples:
  typevisor asm hello.s && typevisor disasm hello.img
  typevisor disasm hello.img > again.s && typevisor asm again.s -o again.img
  cmp hello.img again.img                identical, byte for byte

Each instruction line ends with a comment giving its address and word. The
output re-assembles to the identical image file: the same sections, entry,
symbols and symbol order. A malformed image is reported with the field and
file offset at fault (exit status 1).
`)
    .action((file: string) => {
      const why = notAnImage(file);
      if (why !== undefined) {
        complain(why);
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
