/**
 * The current user program's own symbols, found the way a kernel-aware
 * debugger finds them: through the kernel's data structures, named by the
 * kernel image's symbols. The guest kernel (guests/kernel) keeps the running
 * process in `curproc`; its `P_PROG` field points at its program-table entry
 * (`.word name, image, flags, args`), and `image` at the program's TVIM image,
 * embedded in the kernel by `.image` — symbols included. A kernel without
 * those symbols simply has no user programs to name.
 */
import { readImage, HEADER_SIZE, type Image } from '../../isa/image.js';
import { Symbols } from '../process/symbols.js';

/** The largest embedded image read (a bound on a corrupt header). */
const MAX_IMAGE = 4 << 20;

export interface UserProgram {
  /** Where its image sits in the kernel (identifies the program). */
  readonly imageAddr: number;
  readonly name: string;
  readonly image: Image;
  readonly symbols: Symbols;
  readonly byName: ReadonlyMap<string, number>;
}

export class UserPrograms {
  private readonly cache = new Map<number, UserProgram | null>();

  constructor(
    private readonly kernelSymbol: (name: string) => number | undefined,
    private readonly load: (va: number) => number | undefined,
    private readonly loadBytes: (va: number, len: number) => Uint8Array | undefined,
  ) {}

  /** The program the kernel's current process runs, if the kernel says. */
  current(): UserProgram | undefined {
    const curproc = this.kernelSymbol('curproc');
    const pProg = this.kernelSymbol('P_PROG');
    if (curproc === undefined || pProg === undefined) return undefined;
    const proc = this.load(curproc);
    if (proc === undefined || proc === 0) return undefined;
    const entry = this.load((proc + pProg) >>> 0);
    if (entry === undefined || entry === 0) return undefined;
    const imageAddr = this.load((entry + 4) >>> 0);
    const nameAddr = this.load(entry >>> 0);
    if (imageAddr === undefined || nameAddr === undefined) return undefined;
    return this.program(imageAddr >>> 0, nameAddr >>> 0) ?? undefined;
  }

  private program(imageAddr: number, nameAddr: number): UserProgram | null {
    const known = this.cache.get(imageAddr);
    if (known !== undefined) return known;
    let found: UserProgram | null = null;
    const header = this.loadBytes(imageAddr, HEADER_SIZE);
    const size = header === undefined ? 0 : new DataView(header.buffer, header.byteOffset).getUint32(0x10, true);
    const bytes = size >= HEADER_SIZE && size <= MAX_IMAGE ? this.loadBytes(imageAddr, size) : undefined;
    if (bytes !== undefined) {
      try {
        const image = readImage(bytes);
        const byName = new Map<string, number>();
        for (const s of image.symbols) if (!byName.has(s.name)) byName.set(s.name, s.value >>> 0);
        found = { imageAddr, name: this.string(nameAddr), image, symbols: new Symbols(image), byName };
      } catch {
        // Not an image after all: no symbols for it.
      }
    }
    this.cache.set(imageAddr, found);
    return found;
  }

  private string(va: number): string {
    const bytes = this.loadBytes(va, 32) ?? new Uint8Array(0);
    const end = bytes.indexOf(0);
    return String.fromCharCode(...bytes.subarray(0, end < 0 ? bytes.length : end));
  }
}
