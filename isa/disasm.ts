/**
 * The disassembler: one formatter for one instruction word, shared by
 * `typevisor disasm`, the execution trace, the debugger and error reports, and
 * a whole-image disassembler whose output the assembler turns back into the
 * very same image.
 *
 * Operands are rendered from the opcode table's formats (FORMATS[…].operands),
 * so a new instruction needs no code here. Pseudo-instructions are printed
 * only where the assembler turns them back into the identical single word.
 */
import { csrName } from './csr.js';
import { decode } from './encoding.js';
import { FORMATS, type Instruction, type OperandKind } from './formats.js';
import { SECTION_EXEC, SECTION_READ, SECTION_WRITE, SECTION_ZERO, type Image, type Section } from './image.js';
import { opInfo } from './opcodes.js';
import { registerName, registerNumber } from './registers.js';
import { bare8, hex8 } from './hex.js';

/** Maps an address to a label for branch and jump targets. */
export type SymbolLookup = (addr: number) => string | undefined;

/** Logical immediates read best in hex once they are more than a digit. */
const unsignedImm = (n: number): string => (n < 10 ? String(n) : `0x${n.toString(16)}`);

function operand(kind: OperandKind, ins: Instruction, pc: number, symbolAt: SymbolLookup | undefined): string | undefined {
  switch (kind) {
    case 'rd': return registerName(ins.rd);
    case 'rs1': return registerName(ins.rs1);
    case 'rs2': return registerName(ins.rs2);
    case 'simm16': case 'shamt': return String(ins.imm);
    case 'uimm16': return unsignedImm(ins.imm);
    case 'mem': return `${ins.imm}(${registerName(ins.rs1)})`;
    case 'target16': case 'target20': {
      const target = (pc + ins.imm) >>> 0;
      return symbolAt?.(target) ?? hex8(target);
    }
    case 'csr': return csrName(ins.imm);
    case 'rs1?': return ins.rs1 === 0 ? undefined : registerName(ins.rs1);
  }
}

/** The pseudo-instruction spelling of `ins`, when there is one that assembles to the same word. */
function pseudo(ins: Instruction, pc: number, symbolAt: SymbolLookup | undefined): string | undefined {
  const name = opInfo(ins.op)!.name;
  if (name === 'addi') {
    if (ins.rd === 0 && ins.rs1 === 0 && ins.imm === 0) return 'nop';
    if (ins.rs1 === 0) return `li ${registerName(ins.rd)}, ${ins.imm}`;
    if (ins.imm === 0) return `mv ${registerName(ins.rd)}, ${registerName(ins.rs1)}`;
  } else if (name === 'jal') {
    const target = operand('target20', ins, pc, symbolAt)!;
    if (ins.rd === 0) return `j ${target}`;
    if (ins.rd === 1) return `call ${target}`;
  } else if (name === 'jalr' && ins.rd === 0 && ins.imm === 0) {
    return ins.rs1 === 1 ? 'ret' : `jr ${registerName(ins.rs1)}`;
  }
  return undefined;
}

export interface FormatOptions {
  /**
   * Print `nop`, `li`, `mv`, `j`, `call`, `ret`, `jr` where they are the same
   * word (default true). An assembler listing showing what a pseudo-instruction
   * expanded to wants them off.
   */
  readonly pseudo?: boolean;
}

/**
 * One line of assembly for one word at address `pc`: `add a0, a1, a2`,
 * `lw t0, -8(sp)`, `beq a0, zero, loop`; `.word 0x…` when the word is not an
 * instruction.
 */
export function formatInstruction(word: number, pc: number, symbolAt?: SymbolLookup, options: FormatOptions = {}): string {
  const ins = decode(word);
  if (!ins) return `.word ${hex8(word)}`;
  const pretty = options.pseudo === false ? undefined : pseudo(ins, pc, symbolAt);
  if (pretty !== undefined) return pretty;
  const info = opInfo(ins.op)!;
  const operands = FORMATS[info.format].operands
    .map((kind) => operand(kind, ins, pc, symbolAt))
    .filter((s): s is string => s !== undefined);
  return operands.length === 0 ? info.name : `${info.name} ${operands.join(', ')}`;
}

/**
 * The register an instruction writes, for the tracer; undefined when it writes
 * none (stores, branches, CSR writes…) or writes only `zero`, which discards it.
 */
export function writtenRegister(word: number): number | undefined {
  const ins = decode(word);
  if (!ins) return undefined;
  const writes = FORMATS[opInfo(ins.op)!.format].operands.includes('rd');
  return writes && ins.rd !== 0 ? ins.rd : undefined;
}

// ---------------------------------------------------------------------------
// Whole images.

/** The assembler's identifier grammar; a leading `.` would make it a local label. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * A symbol name the disassembly can print and the assembler will read back as
 * that symbol. Mnemonics and CSR names are fine as labels; register names are not.
 */
export function isPrintableSymbol(name: string): boolean {
  return IDENTIFIER.test(name) && registerNumber(name) === undefined;
}

const COMMENT_COLUMN = 32;

function line(text: string, comment?: string): string {
  const body = `    ${text}`;
  return comment === undefined ? body : `${body.padEnd(COMMENT_COLUMN - 1)} ; ${comment}`;
}

function flagString(flags: number): string {
  return `${flags & SECTION_READ ? 'r' : '-'}${flags & SECTION_WRITE ? 'w' : '-'}${flags & SECTION_EXEC ? 'x' : '-'}${flags & SECTION_ZERO ? ' zero' : ''}`;
}

/** The section directive that makes the assembler produce a section with these flags. */
function sectionDirective(s: Section): '.text' | '.data' | '.bss' {
  if (s.flags & SECTION_ZERO) return '.bss';
  if (s.flags & SECTION_EXEC) return '.text';
  return '.data';
}

const isPrintable = (b: number): boolean => b >= 0x20 && b < 0x7f;
/** Bytes a string may hold besides printable ASCII, and how `.ascii` spells them (the lexer's escapes). */
const ESCAPES: ReadonlyMap<number, string> = new Map([[0x0a, '\\n'], [0x09, '\\t'], [0x0d, '\\r'], [0x22, '\\"'], [0x5c, '\\\\']]);
/** Fewer printable characters than this read better as bytes. */
const MIN_STRING = 4;
/** Bytes per `.ascii` line at most. */
const STRING_CHUNK = 48;
const WORDS_PER_LINE = 4;

/** The text run starting at `i`, if it is long enough to print as a string; `terminated` when a NUL follows it. */
function stringAt(data: Uint8Array, i: number): { readonly length: number; readonly terminated: boolean } | undefined {
  let length = 0;
  let printable = 0;
  while (i + length < data.length && length < STRING_CHUNK) {
    const b = data[i + length]!;
    if (!isPrintable(b) && !ESCAPES.has(b)) break;
    if (isPrintable(b)) printable++;
    length++;
  }
  if (printable < MIN_STRING) return undefined;
  return { length, terminated: data[i + length] === 0 };
}

function stringLiteral(bytes: Uint8Array): string {
  return `"${Array.from(bytes, (b) => ESCAPES.get(b) ?? String.fromCharCode(b)).join('')}"`;
}

/** Data as `.ascii`/`.asciz` for text, `.word` for aligned words, `.byte` for the rest. */
function dataLines(data: Uint8Array, addr: number): string[] {
  const out: string[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let i = 0;
  while (i < data.length) {
    const start = i;
    const str = stringAt(data, i);
    if (str) {
      const text = stringLiteral(data.subarray(i, i + str.length));
      i += str.length + (str.terminated ? 1 : 0);
      out.push(line(`${str.terminated ? '.asciz' : '.ascii'} ${text}`, bare8(addr + start)));
    } else if ((addr + i) % 4 === 0 && i + 4 <= data.length) {
      const words: string[] = [];
      do {
        words.push(hex8(view.getUint32(i, true)));
        i += 4;
      } while (words.length < WORDS_PER_LINE && i + 4 <= data.length && !stringAt(data, i));
      out.push(line(`.word ${words.join(', ')}`, bare8(addr + start)));
    } else {
      const bytes: string[] = [];
      do {
        bytes.push(`0x${data[i]!.toString(16).padStart(2, '0')}`);
        i++;
      } while (i < data.length && (addr + i) % 4 !== 0 && !stringAt(data, i));
      out.push(line(`.byte ${bytes.join(', ')}`, bare8(addr + start)));
    }
  }
  return out;
}

/** Cut [addr, addr+size) at every label inside it, so each label lands on its own address. */
function cutsAt(addr: number, size: number, labels: ReadonlyMap<number, readonly string[]>): number[] {
  const inside = [...labels.keys()].filter((a) => a > addr && a < addr + size).sort((a, b) => a - b);
  return [addr, ...inside, addr + size];
}

/**
 * Assembly source for a whole image. Feeding it to the assembler gives back
 * the same sections (names, addresses, flags, bytes), entry point and
 * symbols, for any image the assembler can produce — and, as the assembler
 * writes symbols in one canonical order (constants, then labels by address),
 * the identical image file.
 *
 * Every section starts with its directive and an explicit `.org`, so order and
 * addresses do not depend on the assembler's placement rules. Which directive
 * follows from the flags: ZERO → `.bss`, EXEC → `.text`, otherwise `.data`; a
 * section with another name keeps its bytes and address but is re-assembled
 * under that directive's name (the header comment records the original), and
 * two sections that map to the same directive would be merged by the
 * assembler. Labels whose names the assembler could not read back (not
 * identifiers, or spelled like a register) are left out, and so are labels
 * that lie outside every section (only an address in a section can carry a
 * label); the header comment lists them.
 */
export function disassembleImage(img: Image): string {
  const labels = new Map<number, string[]>();
  for (const sym of img.symbols) {
    if (sym.kind !== 'label' || !isPrintableSymbol(sym.name)) continue;
    const at = labels.get(sym.value) ?? [];
    at.push(sym.name);
    labels.set(sym.value, at);
  }
  const emitted = new Set<string>();
  const body: string[] = [];
  const emitLabels = (addr: number): void => {
    for (const name of labels.get(addr) ?? []) {
      if (emitted.has(name)) continue;
      emitted.add(name);
      body.push(`${name}:`);
    }
  };
  // Only labels that will be defined may stand for branch targets.
  const placeable = (addr: number): boolean => img.sections.some((s) => addr >= s.addr && addr <= s.addr + s.size);
  const symbolAt: SymbolLookup = (addr) => (placeable(addr) ? labels.get(addr)?.[0] : undefined);

  for (const s of img.sections) {
    const directive = sectionDirective(s);
    body.push('');
    body.push(directive === s.name ? directive : line(directive, `image section "${s.name}"`).trimStart());
    body.push(`.org ${hex8(s.addr)}`);
    if (s.flags & SECTION_EXEC && !(s.flags & SECTION_ZERO)) {
      const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      for (let off = 0; off < s.data.length; off += 4) {
        const pc = s.addr + off;
        const end = Math.min(pc + 4, s.addr + s.data.length);
        const cuts = cutsAt(pc, end - pc, labels);
        if (cuts.length > 2 || end - pc < 4) {
          // A label inside the word (data the program keeps in its code, e.g. a
          // string the kernel's `program` macro places in .text), or a short tail:
          // the word's bytes as data, cut at each label, so every label is defined
          // where it was and the bytes stay the same.
          for (let k = 0; k + 1 < cuts.length; k++) {
            emitLabels(cuts[k]!);
            for (const l of dataLines(s.data.subarray(cuts[k]! - s.addr, cuts[k + 1]! - s.addr), cuts[k]!)) body.push(l);
          }
          continue;
        }
        emitLabels(pc);
        const word = view.getUint32(off, true);
        body.push(line(formatInstruction(word, pc, symbolAt), `${bare8(pc)}: ${bare8(word)}`));
      }
    } else {
      const cuts = cutsAt(s.addr, s.size, labels);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const from = cuts[k]!;
        const to = cuts[k + 1]!;
        emitLabels(from);
        if (to === from) continue;
        if (s.flags & SECTION_ZERO) body.push(line(`.space ${to - from}`, bare8(from)));
        // One push per line: a large section has more lines than a call takes arguments.
        else for (const l of dataLines(s.data.subarray(from - s.addr, to - s.addr), from)) body.push(l);
      }
    }
    if (s.size > 0) emitLabels(s.addr + s.size);
  }

  const head: string[] = [];
  const entryLabel = symbolAt(img.entry);
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  head.push(`; typevisor image: entry ${hex8(img.entry)}${entryLabel ? ` (${entryLabel})` : ''}, ${plural(img.sections.length, 'section')}, ${plural(img.symbols.length, 'symbol')}`);
  for (const s of img.sections) {
    head.push(`;   ${s.name.padEnd(8)} ${hex8(s.addr)}..${hex8(s.addr + s.size)}  ${flagString(s.flags)}  ${plural(s.size, 'byte')}`);
  }
  for (const sym of img.symbols) {
    if (sym.kind === 'label' && !emitted.has(sym.name)) {
      head.push(`; label ${JSON.stringify(sym.name)} = ${hex8(sym.value)} not reproduced: ${isPrintableSymbol(sym.name) ? 'no instruction or data byte starts there' : 'not a plain identifier'}`);
    }
  }
  head.push('');
  head.push(`.entry ${entryLabel ?? hex8(img.entry)}`);
  for (const c of img.symbols) {
    if (c.kind !== 'const') continue;
    if (isPrintableSymbol(c.name)) head.push(`.equ ${c.name}, ${c.value}`);
    else head.push(`; const ${JSON.stringify(c.name)} = ${c.value} not reproduced: not a plain identifier`);
  }
  return `${[...head, ...body].join('\n')}\n`;
}
