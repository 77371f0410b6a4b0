/**
 * The three sections and where they go.
 *
 * A section's contents are laid out in pass 1 as offsets from its start. Where
 * the start is depends on `.org` and, for a section without one, on the size
 * of the section before it, so it is fixed only after pass 1:
 *
 *   .text  defaultTextBase (0x1000), unless its first statement is `.org`
 *   .data  the first 4 KiB page boundary after the end of .text, so text can be
 *          mapped read+exec and data read+write
 *   .bss   the first 4-byte boundary after .data (a page after .text if there
 *          is no data)
 *
 * A section placed that way starts at a multiple of the largest `.align` in
 * it, so alignment worked out from offsets in pass 1 still holds.
 */
import { SECTION_EXEC, SECTION_READ, SECTION_WRITE, SECTION_ZERO } from '../image.js';
import type { SourceLine } from './source-line.js';

export type SectionName = '.text' | '.data' | '.bss';
export const SECTION_NAMES: readonly SectionName[] = ['.text', '.data', '.bss'];

export const SECTION_FLAGS: Readonly<Record<SectionName, number>> = {
  '.text': SECTION_READ | SECTION_EXEC,
  '.data': SECTION_READ | SECTION_WRITE,
  '.bss': SECTION_READ | SECTION_WRITE | SECTION_ZERO,
};

export const PAGE_SIZE = 4096;
/** Larger than any program this machine runs; a guard against `.space 0x7fffffff` eating the host's memory. */
export const MAX_SECTION_SIZE = 64 * 1024 * 1024;

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class SectionState {
  /** Set by a `.org` that comes before any content. */
  explicitBase: number | undefined;
  /** Content (or a `.org`) has been placed: a later `.org` pads instead of moving the section. */
  started = false;
  /** Bytes so far: the offset of the next statement. */
  size = 0;
  /** Largest `.align` seen while the base was not known. */
  alignment = 1;
  /** The first line that placed something here, for diagnostics about the whole section. */
  firstLine: SourceLine | undefined;
  /** Final, after layout. */
  base = 0;

  constructor(readonly name: SectionName, private readonly defaultBase: number | undefined) {}

  /** Base address, if pass 1 can already know it. */
  knownBase(): number | undefined {
    if (!this.started) return undefined;
    return this.explicitBase ?? this.defaultBase;
  }

  start(line: SourceLine): void {
    if (!this.started) this.firstLine = line;
    this.started = true;
  }
}

/** Assigns every section its base once pass 1 knows all the sizes. */
export function placeSections(text: SectionState, data: SectionState, bss: SectionState, defaultTextBase: number): void {
  // Executable sections hold whole instruction words.
  text.size = alignUp(text.size, 4);
  text.base = text.explicitBase ?? defaultTextBase;
  const textEnd = text.base + text.size;
  data.base = data.explicitBase ?? alignUp(textEnd, Math.max(PAGE_SIZE, data.alignment));
  const bssAfter = data.size > 0 ? { end: data.base + data.size, align: 4 } : { end: textEnd, align: PAGE_SIZE };
  bss.base = bss.explicitBase ?? alignUp(bssAfter.end, Math.max(bssAfter.align, bss.alignment));
}
