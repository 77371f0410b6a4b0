/**
 * The two passes.
 *
 * Pass 1 walks the statements in reading order: defines labels and constants,
 * reads every operand, expands pseudo-instructions, and fixes each statement's
 * section, offset and size. Then the sections are placed. Pass 2 walks the
 * same plan with every address known: evaluates the expressions, encodes the
 * instructions, fills in the bytes and the listing.
 *
 * Every fault is reported where it is found and the walk goes on, so one run
 * reports them all; a line that failed in pass 1 keeps its usual size (later
 * addresses stay right) and is skipped in pass 2.
 */
import { CSR_COUNT, CSRS } from '../csr.js';
import type { Image, ImageSymbol, Section } from '../image.js';
import { opByName, OPCODES } from '../opcodes.js';
import type { Diagnostic } from './diagnostic.js';
import { isDirective, runDirective, type DirectiveContext, type Placement } from './directives.js';
import { describeValue, evaluate, type Evaluation } from './evaluate.js';
import type { Expr } from './expression.js';
import { encodePlanned, planInstruction, type PlannedInstruction } from './instruction.js';
import type { Token } from './lexer.js';
import { ListingBuilder, type ListingEntry } from './listing.js';
import { OperandReader } from './operands.js';
import { NOTHING, type Item, type Plan } from './plan.js';
import { expandPseudo, isPseudo, nominalPseudoSize, PSEUDO_NAMES } from './pseudo.js';
import type { Statement } from './reader.js';
import { formatInstruction } from '../disasm.js';
import { Reporter, type Problem } from './reporter.js';
import { MAX_SECTION_SIZE, placeSections, SECTION_FLAGS, SectionState, type SectionName } from './sections.js';
import type { SourceLine } from './source-line.js';
import type { Call, Operand } from './statement.js';
import { didYouMean } from './suggest.js';
import { Symbols, type ConstSymbol, type Context } from './symbols.js';
import { hex8 } from '../hex.js';

export type AssembleResult =
  | { readonly ok: true; readonly image: Image; readonly listing: readonly ListingEntry[]; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

const MNEMONICS = [...OPCODES.map((o) => o.name), ...PSEUDO_NAMES];
const DATA_RANGE: Readonly<Record<1 | 2 | 4, { readonly min: number; readonly max: number; readonly name: string }>> = {
  1: { min: -0x80, max: 0xff, name: 'a byte' },
  2: { min: -0x8000, max: 0xffff, name: 'a half-word' },
  4: { min: -0x8000_0000, max: 0xffff_ffff, name: 'a word' },
};
const DATA_DIRECTIVE = { 1: '.byte', 2: '.half', 4: '.word' } as const;

/** A value pass 1 needed (a size, an address) but could not know yet. */
interface Deferred {
  readonly line: SourceLine;
  readonly expr: Expr;
  readonly what: string;
  readonly context: Context;
}

export class Assembler {
  private readonly symbols: Symbols;
  private readonly sections: Readonly<Record<SectionName, SectionState>>;
  private current: SectionState;
  private scope: string | undefined;
  private readonly items: Item[] = [];
  private readonly deferred: Deferred[] = [];
  private readonly globals: { readonly token: Token; readonly line: SourceLine; readonly scope: string | undefined }[] = [];
  private entry: { readonly line: SourceLine; readonly start: number; readonly end: number; value?: number } | undefined;
  private readonly oversized = new Set<SectionState>();
  /** Sections whose last instruction was misaligned (reported once per run). */
  private readonly misalignedRun = new Set<SectionState>();

  constructor(
    private readonly reporter: Reporter,
    private readonly defaultTextBase: number,
    private readonly macroNames: readonly string[],
  ) {
    this.symbols = new Symbols(reporter);
    this.sections = {
      '.text': new SectionState('.text', defaultTextBase),
      '.data': new SectionState('.data', undefined),
      '.bss': new SectionState('.bss', undefined),
    };
    this.current = this.sections['.text'];
  }

  assemble(statements: readonly Statement[]): AssembleResult {
    statements.forEach((st, i) => this.pass1(st, i));
    const { '.text': text, '.data': data, '.bss': bss } = this.sections;
    placeSections(text, data, bss, this.defaultTextBase);
    this.explainDeferred();
    this.checkPlacement();
    const { buffers, listing } = this.pass2();
    const entry = this.entryPoint();
    this.checkGlobals();
    if (this.reporter.hasErrors) return { ok: false, diagnostics: this.reporter.all() };
    const sections: Section[] = Object.values(this.sections)
      .filter((s) => s.size > 0)
      .map((s) => ({ name: s.name, addr: s.base, flags: SECTION_FLAGS[s.name], size: s.size, data: buffers.get(s) ?? new Uint8Array(0) }));
    return { ok: true, image: { entry, sections, symbols: this.exportedSymbols() }, listing, warnings: this.reporter.warnings() };
  }

  // ---------------------------------------------------------------- pass 1

  private here(position: number): Context {
    return { scope: this.scope, section: this.current, offset: this.current.size, position };
  }

  private pass1(st: Statement, index: number): void {
    for (const label of st.labels) this.defineLabel(st.line, label.name, label.numeric, label.start, label.end, 2 * index);
    const position = 2 * index + 1;
    const placed = st.broken ? this.nominal(st) : this.plan(st, position);
    let size = placed.size;
    let plan = placed.plan;
    const context = this.here(position);
    if (context.section.size + size > MAX_SECTION_SIZE) {
      if (!this.oversized.has(context.section)) {
        const call = st.head?.kind === 'assign' ? undefined : st.head;
        this.reporter.error(st.line, call?.name.start ?? 0, call?.end ?? st.line.text.length, `this makes ${context.section.name} larger than ${MAX_SECTION_SIZE / (1024 * 1024)} MiB`);
      }
      this.oversized.add(context.section);
      size = 0;
      plan = NOTHING;
    }
    this.items.push({ statement: st, context, size, plan });
    this.current.size += size;
  }

  private defineLabel(line: SourceLine, name: string, numeric: boolean, start: number, end: number, position: number): void {
    const at = { section: this.current, offset: this.current.size };
    if (numeric) {
      this.symbols.addNumeric(name, { position, ...at });
      return;
    }
    const full = this.symbols.checkNew(name, this.scope, line, start, end);
    if (full !== undefined) this.symbols.add({ kind: 'label', name: full, line, start, end, ...at });
    if (!name.startsWith('.')) this.scope = name;
  }

  /** The size a broken line would have had, so the addresses after it stay right. */
  private nominal(st: Statement): Placement {
    const head = st.head;
    if (head?.kind !== 'op' || this.current.name === '.bss') return { size: 0, plan: NOTHING };
    this.current.start(st.line);
    return { size: opByName(head.name.text) ? 4 : nominalPseudoSize(head), plan: NOTHING };
  }

  private plan(st: Statement, position: number): Placement {
    const head = st.head;
    if (!head) return { size: 0, plan: NOTHING };
    switch (head.kind) {
      case 'assign': return { size: 0, plan: this.defineConst(st.line, head.name, head.value, position) };
      case 'directive': return runDirective(this.directiveContext(st.line, head, position, st.embedded));
      case 'op': return this.instruction(st.line, head, position);
    }
  }

  private defineConst(line: SourceLine, name: Token, value: Operand, position: number): Plan {
    const r = new OperandReader();
    const expr = r.expr(value, 'a value');
    for (const p of r.problems) this.reporter.problem(line, p);
    const full = this.symbols.checkNew(name.text, this.scope, line, name.start, name.end);
    if (full === undefined || !expr) return NOTHING;
    const symbol: ConstSymbol = { kind: 'const', name: full, line, start: name.start, end: name.end, expr, context: this.here(position), state: 'pending', value: 0 };
    this.symbols.add(symbol);
    this.symbols.constValue(symbol, false);
    return { kind: 'const', symbol };
  }

  private unknownInstruction(call: Call): Problem {
    const name = call.name.text;
    let hint = didYouMean(name, [...MNEMONICS, ...this.macroNames], true);
    if (!hint && isDirective(`.${name}`)) hint = `; did you mean '.${name.toLowerCase()}'?`;
    if (!hint && call.operands.length === 0) hint = `; a label needs a ':' after it`;
    return { start: call.name.start, end: call.name.end, message: `unknown instruction '${name}'${hint}` };
  }

  private instruction(line: SourceLine, call: Call, position: number): Placement {
    const info = opByName(call.name.text);
    if (!info && !isPseudo(call.name.text)) {
      this.reporter.problem(line, this.unknownInstruction(call));
      return { size: 4, plan: NOTHING };
    }
    if (this.current.name === '.bss') {
      this.reporter.error(line, call.name.start, call.end, `instructions cannot go in .bss, which holds only zeros; switch to .text first`);
      return { size: 0, plan: NOTHING };
    }
    this.current.start(line);
    const context = this.here(position);
    const result = info
      ? planInstruction(info, call)
      : expandPseudo(call, { known: (e) => this.knownQuietly(e, context) });
    for (const p of result.problems) this.reporter.problem(line, p);
    const list = result.planned;
    if (!list) return { size: info ? 4 : nominalPseudoSize(call), plan: NOTHING };
    return { size: 4 * list.length, plan: { kind: 'instructions', list, pseudo: !info } };
  }

  private knownQuietly(e: Expr, context: Context): number | undefined {
    const ev = evaluate(e, this.symbols.environment(context, false));
    return ev.kind === 'value' ? ev.value : undefined;
  }

  private directiveContext(line: SourceLine, call: Call, position: number, embedded: Uint8Array | undefined): DirectiveContext {
    const error = (start: number, end: number, message: string, notes?: readonly string[]): void => this.reporter.error(line, start, end, message, notes);
    return {
      call,
      embedded,
      section: this.current,
      switchTo: (name) => {
        this.current = this.sections[name];
      },
      place: () => this.current.start(line),
      expr: (op, what) => {
        const r = new OperandReader();
        const e = r.expr(op, what);
        for (const p of r.problems) this.reporter.problem(line, p);
        return e;
      },
      known: (e, what) => {
        const context = this.here(position);
        const ev = evaluate(e, this.symbols.environment(context, false));
        if (ev.kind === 'value') return ev.value;
        if (ev.kind === 'error') error(ev.start, ev.end, ev.message);
        if (ev.kind === 'unknown') this.deferred.push({ line, expr: e, what, context });
        return undefined;
      },
      error,
      defineConst: (name, value) => this.defineConst(line, name, value, position),
      entry: (expr, op) => {
        if (this.entry) {
          error(call.name.start, call.end, `the entry point is already set`, [`first '.entry' at ${this.entry.line.place(this.entry.start)}`]);
          return NOTHING;
        }
        this.entry = { line, start: op.start, end: op.end };
        return { kind: 'entry', expr, start: op.start, end: op.end };
      },
      global: (token) => {
        this.globals.push({ token, line, scope: this.scope });
      },
    };
  }

  /**
   * A size or address pass 1 could not know: now that every symbol is
   * defined, say either what is wrong with it or why it came too late.
   */
  private explainDeferred(): void {
    for (const d of this.deferred) {
      const ev = evaluate(d.expr, this.symbols.environment(d.context, true));
      if (ev.kind === 'error') {
        this.reporter.error(d.line, ev.start, ev.end, ev.message);
      } else if (ev.kind !== 'poison') {
        const culprit = this.culprit(d.expr, d.line, d.context);
        this.reporter.error(d.line, culprit?.start ?? d.expr.start, culprit?.end ?? d.expr.end,
          `${d.what} must be known when this line is reached${culprit ? `, but ${culprit.why}` : ''}`);
      }
    }
  }

  /** The part of an expression pass 1 could not know, and why. */
  private culprit(e: Expr, line: SourceLine, context: Context): { readonly start: number; readonly end: number; readonly why: string } | undefined {
    const late = (section: SectionState): boolean => section.explicitBase === undefined && section.name !== '.text';
    switch (e.kind) {
      case 'symbol': {
        const full = this.symbols.fullName(e.name, context.scope);
        const sym = full === undefined ? undefined : this.symbols.get(full);
        if (!sym) return undefined;
        const at = { start: e.start, end: e.end };
        if (sym.line.order >= line.order) return { ...at, why: `'${e.name}' is defined further down` };
        if (sym.kind === 'label' && late(sym.section)) return { ...at, why: `'${e.name}' is in ${sym.section.name}, whose address is settled only after pass 1 (give ${sym.section.name} an '.org' to fix it)` };
        if (sym.kind === 'const') return { ...at, why: `'${e.name}' depends on a value defined further down` };
        return undefined;
      }
      case 'numlabel':
        return e.direction === 'f' ? { start: e.start, end: e.end, why: `'${e.label}f' refers forward` } : undefined;
      case 'dot':
        return late(context.section) ? { start: e.start, end: e.end, why: `'.' in ${context.section.name} is settled only after pass 1` } : undefined;
      case 'unary': case 'call':
        return this.culprit(e.arg, line, context);
      case 'binary': {
        // Down the left side in a loop: a long operator chain is that deep (evaluate.ts).
        const rights: Expr[] = [];
        let left: Expr = e;
        while (left.kind === 'binary') {
          rights.push(left.right);
          left = left.left;
        }
        const found = this.culprit(left, line, context);
        if (found) return found;
        for (let i = rights.length - 1; i >= 0; i--) {
          const inRight = this.culprit(rights[i]!, line, context);
          if (inRight) return inRight;
        }
        return undefined;
      }
      case 'number':
        return undefined;
    }
  }

  /** Sections must not overlap or run off the top of memory. */
  private checkPlacement(): void {
    const used = Object.values(this.sections).filter((s) => s.size > 0);
    const range = (s: SectionState): string => `${hex8(s.base)}..${hex8(s.base + s.size - 1)}`;
    const blame = (s: SectionState, message: string): void => {
      const line = s.firstLine!;
      const start = line.text.length - line.text.trimStart().length;
      this.reporter.error(line, start, Math.max(start + 1, line.text.trimEnd().length), message);
    };
    used.forEach((s, i) => {
      if (s.base + s.size > 2 ** 32) blame(s, `${s.name} (${s.size} bytes from ${hex8(s.base)}) runs past the top of the address space`);
      for (const t of used.slice(0, i)) {
        if (s.base < t.base + t.size && t.base < s.base + s.size) blame(s, `${s.name} (${range(s)}) overlaps ${t.name} (${range(t)})`);
      }
    });
  }

  // ---------------------------------------------------------------- pass 2

  private pass2(): { readonly buffers: Map<SectionState, Uint8Array>; readonly listing: ListingEntry[] } {
    const buffers = new Map<SectionState, Uint8Array>();
    for (const s of Object.values(this.sections)) {
      if (s.name !== '.bss' && s.size > 0 && !this.oversized.has(s)) buffers.set(s, new Uint8Array(s.size));
    }
    const listing = new ListingBuilder();
    for (const item of this.items) {
      const { statement: st, context, size } = item;
      const section = context.section;
      const addr = section.base + context.offset;
      const buffer = buffers.get(section);
      const expansion = this.emit(item, addr, buffer);
      const [start, end] = [context.offset, context.offset + size];
      const under = st.line.listedUnder;
      if (st.line.origin === under) {
        listing.line(under, section.name, addr, buffer, start, end, item.plan.kind === 'instructions' && item.plan.pseudo ? expansion : undefined);
      } else {
        listing.expanded(under, section.name, addr, buffer, start, end, item.plan.kind === 'instructions' ? expansion : [st.line.text.trim()]);
      }
    }
    return { buffers, listing: listing.build() };
  }

  /** Fills in one statement's bytes; returns the instructions' text for the listing. */
  private emit(item: Item, addr: number, buffer: Uint8Array | undefined): string[] {
    const { statement: st, context, plan } = item;
    const line = st.line;
    const env = this.symbols.environment(context, true);
    const value = (e: Expr): number | undefined => {
      const ev = evaluate(e, env);
      if (ev.kind === 'error') this.reporter.error(line, ev.start, ev.end, ev.message);
      return ev.kind === 'value' ? ev.value : undefined;
    };
    const at = context.offset;
    switch (plan.kind) {
      case 'none':
        return [];
      case 'instructions':
        return this.emitInstructions(item, plan.list, addr, buffer, (e) => evaluate(e, env));
      case 'data': {
        const range = DATA_RANGE[plan.width];
        plan.values.forEach((e, i) => {
          const v = value(e);
          if (v === undefined) return;
          if (v < range.min || v > range.max) {
            this.reporter.error(line, e.start, e.end, `value ${describeValue(v)} does not fit in ${range.name} (${range.min}..${range.max})`);
            return;
          }
          for (let k = 0; buffer && k < plan.width; k++) buffer[at + i * plan.width + k] = (v >>> (8 * k)) & 0xff;
        });
        if (plan.width > 1 && addr % plan.width !== 0) {
          const call = st.head as Call;
          this.reporter.warning(line, call.name.start, call.name.end, `'${DATA_DIRECTIVE[plan.width]}' at ${hex8(addr)} is not ${plan.width}-byte aligned, so loading it traps; put '.align ${plan.width}' before it`);
        }
        return [];
      }
      case 'bytes':
        buffer?.set(plan.bytes, at);
        return [];
      case 'fill': {
        const v = value(plan.fill);
        if (v === undefined) return [];
        if (v < -0x80 || v > 0xff) {
          this.reporter.error(line, plan.fill.start, plan.fill.end, `fill value ${describeValue(v)} does not fit in a byte (-128..255)`);
        } else if (context.section.name === '.bss') {
          if (v !== 0) this.reporter.error(line, plan.fill.start, plan.fill.end, `.bss holds only zeros; it cannot be filled with ${v}`);
        } else {
          buffer?.fill(v & 0xff, at, at + item.size);
        }
        return [];
      }
      case 'const':
        this.symbols.constValue(plan.symbol, true);
        return [];
      case 'entry': {
        const v = value(plan.expr);
        if (v !== undefined && this.entry) this.entry.value = v >>> 0;
        return [];
      }
    }
  }

  private emitInstructions(item: Item, list: readonly PlannedInstruction[], addr: number, buffer: Uint8Array | undefined, evaluateExpr: (e: Expr) => Evaluation): string[] {
    const { statement: st, context: { section, offset: at } } = item;
    const line = st.line;
    const call = st.head as Call;
    // One report per misaligned run: every instruction after a stray byte is off too.
    if (addr % 4 === 0) {
      this.misalignedRun.delete(section);
    } else if (!this.misalignedRun.has(section)) {
      this.misalignedRun.add(section);
      this.reporter.error(line, call.name.start, call.end, `instruction at ${hex8(addr)} is not 4-byte aligned; put '.align 4' before it`);
    }
    const texts: string[] = [];
    list.forEach((p, k) => {
      const pc = addr + 4 * k;
      const r = encodePlanned(p, pc | 0, evaluateExpr);
      if ('problem' in r) this.reporter.problem(line, r.problem);
      if (!('word' in r)) return;
      if (p.role === 'csr') this.checkCsr(line, p, r.word >>> 16);
      if (buffer) writeWord(buffer, at + 4 * k, r.word);
      texts.push(formatInstruction(r.word, pc, undefined, { pseudo: false }));
    });
    return texts;
  }

  /** Warns about CSR accesses that assemble but can only trap. */
  private checkCsr(line: SourceLine, p: PlannedInstruction, num: number): void {
    if (num >= CSR_COUNT) {
      this.reporter.warning(line, p.immStart, p.immEnd, `CSR ${num} does not exist on this machine; '${p.info.name}' of it traps as an illegal instruction`);
    } else if (!CSRS[num]!.writable && p.info.format !== 'CR') {
      this.reporter.warning(line, p.immStart, p.immEnd, `CSR '${CSRS[num]!.name}' is read-only; '${p.info.name}' writes it, which traps as an illegal instruction`);
    }
  }

  // ---------------------------------------------------------------- after pass 2

  /** `.entry` if given, else `_start` if defined, else the start of .text. */
  private entryPoint(): number {
    const text = this.sections['.text'];
    let entry = text.base;
    let blame: { readonly line: SourceLine; readonly start: number; readonly end: number; readonly what: string } | undefined;
    const start = this.symbols.get('_start');
    if (this.entry) {
      if (this.entry.value === undefined) return entry;
      entry = this.entry.value;
      blame = { ...this.entry, what: 'the entry point' };
    } else if (start) {
      const r = this.symbols.environment({ scope: undefined, section: text, offset: 0, position: 0 }, true).symbol('_start');
      if (r.kind !== 'value') return entry;
      entry = r.value >>> 0;
      blame = { line: start.line, start: start.start, end: start.end, what: `the entry point '_start'` };
    }
    if (blame && text.size > 0) {
      if (entry < text.base || entry >= text.base + text.size) {
        this.reporter.error(blame.line, blame.start, blame.end, `${blame.what} ${hex8(entry)} is outside .text (${hex8(text.base)}..${hex8(text.base + text.size - 1)})`);
      } else if (entry % 4 !== 0) {
        this.reporter.error(blame.line, blame.start, blame.end, `${blame.what} ${hex8(entry)} is not 4-byte aligned`);
      }
    }
    return entry;
  }

  private checkGlobals(): void {
    for (const g of this.globals) {
      const full = this.symbols.fullName(g.token.text, g.scope);
      if (full === undefined || !this.symbols.get(full)) {
        this.reporter.warning(g.line, g.token.start, g.token.end, `'.global ${g.token.text}' names a symbol that is never defined`);
      }
    }
  }

  /** Labels (addresses, unsigned) and constants (signed), in definition order. */
  /**
   * The image's symbol table in one canonical order: constants in the order
   * they were defined, then labels by address (labels at one address in the
   * order they were defined). It is the order a disassembly defines them in
   * (isa/disasm.ts: `.equ`s first, then the code and data in address order),
   * so `disasm` then `asm` writes back the identical file.
   */
  private exportedSymbols(): ImageSymbol[] {
    const consts: ImageSymbol[] = [];
    const labels: ImageSymbol[] = [];
    for (const sym of this.symbols.all()) {
      if (sym.kind === 'label') labels.push({ name: sym.name, value: (sym.section.base + sym.offset) >>> 0, kind: 'label' });
      else if (sym.state === 'done') consts.push({ name: sym.name, value: sym.value | 0, kind: 'const' });
    }
    // Array.prototype.sort is stable: ties keep their definition order.
    return [...consts, ...labels.sort((a, b) => a.value - b.value)];
  }
}

function writeWord(buffer: Uint8Array, at: number, word: number): void {
  buffer[at] = word & 0xff;
  buffer[at + 1] = (word >>> 8) & 0xff;
  buffer[at + 2] = (word >>> 16) & 0xff;
  buffer[at + 3] = (word >>> 24) & 0xff;
}
