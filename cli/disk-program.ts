/**
 * A program for the guest kernel's disk: `typevisor mkdisk prog.s` assembles
 * prog.s (a user program, linked at 0x1000 like any) and puts its TVIM image
 * on the disk as `prog`, the name the kernel's spawn and its shell run it by;
 * `prog.img` goes on as `prog` too, once it reads as an image.
 */
import { extname, basename } from 'node:path';
import { readImage, writeImage, ImageError } from '../isa/image.js';
import { loadProgram } from './load.js';

/** The disk name and bytes for a .s or .img file; undefined for another file, or after reporting what was wrong. */
export function diskProgram(file: string, data: Uint8Array, include: readonly string[]): { name: string; data: Uint8Array } | string | undefined {
  const ext = extname(file);
  const name = basename(file, ext);
  if (ext === '.s') {
    const image = loadProgram(file, { include: [...include] });
    if (!image) return `${file}: not assembled (see above)`;
    return { name, data: writeImage(image) };
  }
  if (ext === '.img') {
    try {
      readImage(data);
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
      return `${file}: not a program image: ${e.message}`;
    }
    return { name, data };
  }
  return undefined;
}
