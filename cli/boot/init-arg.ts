/**
 * `typevisor boot --init NAME`: the first program the guest kernel starts.
 *
 * The boot protocol has one register (a0 = RAM size) and every monitor
 * boots the same image, so the name travels inside the image: the kernel
 * keeps a NUL-filled buffer at the symbol `boot_init` (guests/kernel/
 * spawnv.s) and starts the program named there, from its program table or
 * from its tvfs disk, instead of its boot programs. This writes the name into
 * that buffer's bytes, in a copy of the image; the kernel source is unchanged.
 */
import { SECTION_ZERO, type Image } from '../../isa/image.js';

export const BOOT_INIT_SYMBOL = 'boot_init';
/** The buffer's size in the kernel (NAME_MAX, memlayout.inc), its NUL included. */
export const BOOT_INIT_SIZE = 32;

/** The image with `name` in its boot_init buffer; throws an Error whose message is for the user. */
export function withInit(image: Image, name: string): Image {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length === 0) throw new Error('--init: give a program name, e.g. --init sh');
  if (bytes.length >= BOOT_INIT_SIZE) throw new Error(`--init ${name}: at most ${BOOT_INIT_SIZE - 1} bytes`);
  if (bytes.includes(0)) throw new Error('--init: the name may not contain a NUL byte');
  const sym = image.symbols.find((s) => s.name === BOOT_INIT_SYMBOL && s.kind === 'label');
  if (!sym) throw new Error(`--init: this kernel has no ${BOOT_INIT_SYMBOL} symbol, so it cannot be told what to start (guests/kernel/kernel.s can)`);
  const at = sym.value >>> 0;
  const index = image.sections.findIndex((s) => (s.flags & SECTION_ZERO) === 0 && at >= s.addr >>> 0 && at + BOOT_INIT_SIZE <= (s.addr >>> 0) + s.data.length);
  if (index < 0) throw new Error(`--init: the kernel's ${BOOT_INIT_SYMBOL} (0x${at.toString(16)}) is not inside a section with ${BOOT_INIT_SIZE} bytes of data`);
  const section = image.sections[index]!;
  const data = section.data.slice();
  const off = at - (section.addr >>> 0);
  data.fill(0, off, off + BOOT_INIT_SIZE);
  data.set(bytes, off);
  const sections = image.sections.map((s, i) => (i === index ? { ...s, data } : s));
  return { ...image, sections };
}
