/**
 * Image → a user address space: check the image fits the user layout, map
 * each section at its link address with the permissions its flags ask for,
 * copy its bytes (zero-fill for bss), map the stack, and start the heap after
 * the highest section. See address-space.ts for the layout.
 */
import { SECTION_EXEC, SECTION_WRITE, SECTION_ZERO, type Image, type Section } from '../../isa/image.js';
import { USER_LIMIT, USER_STACK_TOP, USER_TEXT_BASE } from '../../isa/syscalls.js';
import type { PhysicalMemory } from '../memory.js';
import { PTE_R, PTE_W, PTE_X, type Mmu } from '../mmu.js';
import { OutOfMemoryError } from '../pagetable.js';
import { AddressSpace, HEAP_LIMIT, STACK_BOTTOM } from './address-space.js';
import { hex8 } from '../../isa/hex.js';

/** An image the process VM cannot run, and why, in words for the user. */
export class LoadError extends Error {
  override readonly name = 'LoadError';
}

function describe(s: Section): string {
  return `section ${s.name} (${hex8(s.addr)}..${hex8(s.addr + s.size)})`;
}

/** Throws LoadError unless every section sits in the part of the user range sections may use. */
export function checkUserLayout(image: Image): void {
  for (const s of image.sections) {
    if (s.size === 0) continue;
    const end = s.addr + s.size;
    if (s.addr >= USER_LIMIT || end > USER_LIMIT) {
      throw new LoadError(
        `this image links at ${hex8(s.addr)} (${s.name}), in kernel space (${hex8(USER_LIMIT)} and up) — boot it with \`typevisor boot\``,
      );
    }
    if (s.addr < USER_TEXT_BASE) {
      throw new LoadError(
        `${describe(s)} overlaps page 0, which stays unmapped so that null pointers trap — link user programs at ${hex8(USER_TEXT_BASE)} or above`,
      );
    }
    if (end > HEAP_LIMIT) {
      throw new LoadError(
        `${describe(s)} reaches into the stack (${hex8(STACK_BOTTOM)}..${hex8(USER_STACK_TOP)}) or the guard page under it — user sections must end by ${hex8(HEAP_LIMIT)}`,
      );
    }
  }
}

function permissions(s: Section): number {
  return PTE_R | ((s.flags & SECTION_WRITE) !== 0 ? PTE_W : 0) | ((s.flags & SECTION_EXEC) !== 0 ? PTE_X : 0);
}

/** Build the address space for `image` in `memory`. Throws LoadError. */
export function loadImage(memory: PhysicalMemory, mmu: Mmu, image: Image): AddressSpace {
  checkUserLayout(image);
  try {
    const space = new AddressSpace(memory, mmu);
    let top = USER_TEXT_BASE;
    for (const s of image.sections) {
      if (s.size === 0) continue;
      space.map(s.addr, s.size, permissions(s));
      // Fresh frames are zeroed, so a ZERO section needs nothing more.
      if ((s.flags & SECTION_ZERO) === 0) space.copyIn(s.addr, s.data);
      top = Math.max(top, s.addr + s.size);
    }
    space.mapStack();
    space.startHeap(top);
    return space;
  } catch (err) {
    if (!(err instanceof OutOfMemoryError)) throw err;
    const kib = memory.size / 1024;
    throw new LoadError(`the image does not fit in ${kib} KiB of memory — give the machine more with --mem`, { cause: err });
  }
}
