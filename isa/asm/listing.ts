/**
 * The assembly listing: each source line with the address and bytes it became.
 * A pseudo-instruction or macro call lists the real instructions it expanded
 * to, one per word, indented under it:
 *
 *   00001000                          4  start:  li a0, 0x12345678
 *   00001000  1b341204                       lui a0, 0x1234
 *   00001004  16785644                       ori a0, a0, 0x5678
 *   00002000  68 65 6c 6c 6f 0a         9  msg:    .ascii "hello\n"
 */
import { shippedIncludeDir } from './include-path.js';
import { dirname, isAbsolute } from './paths.js';
import { opByName } from '../opcodes.js';
import { EMBED_DIRECTIVES } from './directives.js';
import { lex } from './lexer.js';
import { parseLine } from './statement.js';
import type { Origin } from './source-line.js';
import { bare8 } from '../hex.js';

export interface ListingEntry {
  readonly addr: number;
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly line: number;
  /** The source text of the line. */
  readonly source: string;
  /** For pseudo-instructions and macros: the real instructions, one per emitted word. */
  readonly expansion?: readonly string[];
}

interface Building {
  readonly under: Origin;
  readonly addr: number;
  readonly sectionName: string;
  /** The section's bytes (final once pass 2 ends) and this entry's run of them. */
  readonly memory: Uint8Array | undefined;
  readonly start: number;
  end: number;
  expansion: string[] | undefined;
}

/**
 * Collects entries in pass 2. Lines a macro expands to are listed under the
 * line that called the macro; their bytes join its entry while they follow on
 * in memory, and start a continuation entry when they do not.
 */
export class ListingBuilder {
  private readonly entries: Building[] = [];
  /** The latest entry of each listed line, for a macro body's bytes to join. */
  private readonly latest = new Map<Origin, Building>();

  /**
   * A line of the file itself (not of a macro body). `memory` is the section's
   * buffer (undefined for .bss), `start`/`end` the line's bytes in it.
   */
  line(under: Origin, sectionName: string, addr: number, memory: Uint8Array | undefined, start: number, end: number, expansion: readonly string[] | undefined): void {
    this.push({ under, addr, sectionName, memory, start, end: memory ? end : start, expansion: expansion ? [...expansion] : undefined });
  }

  /** Bytes a macro body line produced, listed under the call. */
  expanded(under: Origin, sectionName: string, addr: number, memory: Uint8Array | undefined, start: number, end: number, expansion: readonly string[]): void {
    if (!memory || end === start) return;
    const last = this.latest.get(under);
    if (last && last.sectionName === sectionName && last.memory === memory && last.end === start) {
      last.end = end;
      const into = (last.expansion ??= []);
      for (const e of expansion) into.push(e);
    } else {
      this.push({ under, addr, sectionName, memory, start, end, expansion: [...expansion] });
    }
  }

  private push(entry: Building): void {
    this.entries.push(entry);
    this.latest.set(entry.under, entry);
  }

  build(): ListingEntry[] {
    return this.entries.map((e) => ({
      addr: e.addr >>> 0,
      bytes: e.memory ? e.memory.slice(e.start, e.end) : new Uint8Array(0),
      file: e.under.file,
      line: e.under.line,
      source: e.under.text,
      ...(e.expansion ? { expansion: e.expansion } : {}),
    }));
  }
}

const BYTES_PER_ROW = 8;
const BYTES_WIDTH = BYTES_PER_ROW * 3 - 1;

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Whether a line holds a single machine instruction (listed as a word rather than bytes). */
function isInstructionLine(source: string): boolean {
  const { parsed } = parseLine(lex(source).tokens);
  return parsed.head?.kind === 'op' && opByName(parsed.head.name.text) !== undefined;
}

/** Whether a line embeds a whole file (listed as one line with its size, not a hex dump). */
function isEmbedLine(source: string): boolean {
  const { parsed } = parseLine(lex(source).tokens);
  return parsed.head?.kind === 'directive' && EMBED_DIRECTIVES.includes(parsed.head.name.text.toLowerCase());
}

/**
 * How a listing names a file: a file of the shipped guests/include as
 * `guests/include/NAME` (its path inside typevisor) rather than wherever the
 * package happens to be installed, which would also set the column's width.
 */
function shownName(file: string): string {
  const shipped = shippedIncludeDir();
  if (shipped !== undefined && isAbsolute(file) && dirname(file) === shipped) return `guests/include/${file.slice(shipped.length + 1)}`;
  return file;
}

export function formatListing(listing: readonly ListingEntry[]): string {
  const files = new Set(listing.map((e) => e.file));
  const where = (e: ListingEntry): string => (files.size > 1 ? `${shownName(e.file)}:${e.line}` : String(e.line));
  // A loop, not Math.max(...): a listing can have more entries than a call takes arguments.
  const whereWidth = listing.reduce((w, e) => Math.max(w, where(e).length), 4);
  const row = (addr: number | undefined, data: string, line: string, text: string): string =>
    `${addr === undefined ? ' '.repeat(8) : bare8(addr)}  ${data.padEnd(BYTES_WIDTH)}  ${line.padStart(whereWidth)}  ${text}`.trimEnd();
  const out: string[] = [];
  const dataRows = (e: ListingEntry): void => {
    // Eight bytes a row; a run of identical rows shows as one `*` (as hexdump does).
    let previous: string | undefined;
    let starred = false;
    for (let at = 0; at === 0 || at < e.bytes.length; at += BYTES_PER_ROW) {
      const chunk = Array.from(e.bytes.subarray(at, at + BYTES_PER_ROW), (b) => b.toString(16).padStart(2, '0')).join(' ');
      const last = at + BYTES_PER_ROW >= e.bytes.length;
      if (at > 0 && chunk === previous && !last) {
        if (!starred) out.push(`${' '.repeat(8)}  *`);
        starred = true;
        continue;
      }
      starred = false;
      previous = chunk;
      out.push(at === 0 ? row(e.addr, chunk, where(e), e.source) : row(e.addr + at, chunk, '', ''));
    }
  };
  const expansionRow = (addr: number | undefined, data: string, text: string): string =>
    `${addr === undefined ? ' '.repeat(8) : bare8(addr)}  ${data.padEnd(BYTES_WIDTH)}  ${' '.repeat(whereWidth)}    ${text}`.trimEnd();

  for (const e of listing) {
    if (e.expansion !== undefined && e.bytes.length === 4 * e.expansion.length) {
      out.push(row(e.addr, '', where(e), e.source));
      e.expansion.forEach((text, i) => out.push(expansionRow(e.addr + 4 * i, bare8(word(e.bytes, 4 * i)), text)));
    } else if (e.expansion !== undefined) {
      // A macro that emitted data as well: its bytes, then what it expanded to.
      dataRows(e);
      for (const text of e.expansion) out.push(expansionRow(undefined, '', text));
    } else if (isEmbedLine(e.source)) {
      out.push(row(e.addr, `[${e.bytes.length} bytes]`, where(e), e.source));
    } else if (e.bytes.length === 4 && isInstructionLine(e.source)) {
      out.push(row(e.addr, bare8(word(e.bytes, 0)), where(e), e.source));
    } else {
      dataRows(e);
    }
  }
  return out.join('\n') + (out.length > 0 ? '\n' : '');
}
