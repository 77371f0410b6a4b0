/**
 * Reads the program: the main file, the files it `.include`s, and every macro
 * call replaced by the macro's body. What comes out is one flat list of
 * statements in reading order, each knowing its own line, the line a
 * diagnostic should show, and how it got there (notes).
 */
import { opByName } from '../opcodes.js';
import { lex, type Token } from './lexer.js';
import { EMBED_DIRECTIVES } from './directives.js';
import { embed, lookedFor, type FileOperand } from './embed.js';
import { candidatePaths, shippedIncludeDir } from './include-path.js';
import { describeParams, expandLine, type Macro } from './macro.js';
import { Budget, DEFAULT_LIMITS, MAX_EXPANDED_LINE, tooLarge } from './limits.js';
import { isPseudo } from './pseudo.js';
import { dirname, relativeToCwd, resolvePath } from './paths.js';
import type { Reporter } from './reporter.js';
import { SourceLine, type Origin } from './source-line.js';
import { parseLine, type Call, type Head, type LabelDef } from './statement.js';

export interface Statement {
  readonly line: SourceLine;
  readonly labels: readonly LabelDef[];
  readonly head: Head | undefined;
  /** The line has a fault already reported: give it its usual size and say nothing more about it. */
  readonly broken: boolean;
  /** The bytes an `.incbin` or `.image` line places (embed.ts). */
  readonly embedded?: Uint8Array | undefined;
}

/** Deeper than this is a macro calling itself, not a program. */
const MAX_MACRO_DEPTH = 64;
const MAX_INCLUDE_DEPTH = 32;

const ENDM = /^\s*\.endm\b/i;
const MACRO = /^\s*\.macro\b/i;
const PARAM = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Definition {
  readonly line: SourceLine;
  readonly name: Token | undefined;
  readonly params: readonly string[];
  readonly body: Origin[];
}

/** What a failed read says, without Node's error-code prefix noise. */
export function whyUnreadable(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
}

export class Reader {
  readonly statements: Statement[] = [];
  private readonly macros = new Map<string, Macro>();
  private order = 0;
  private expansions = 0;

  constructor(
    private readonly reporter: Reporter,
    private readonly readFile: (path: string) => string,
    /** Shared with the programs this one embeds, so `.image` cannot multiply the work either. */
    private readonly budget: Budget = new Budget(DEFAULT_LIMITS),
    /** Searched after the using file's folder, before the shipped guests/include (include-path.ts). */
    private readonly includeDirs: readonly string[] = [],
  ) {}

  /** Text read while looking for a file, kept so the read that follows does not repeat it. */
  private readonly probed = new Map<string, string>();

  /** A budget ran out: the reading stopped there, and the program must not be assembled. */
  get exhausted(): boolean {
    return this.budget.exhausted;
  }

  /** readFile, refusing text past the file size limit (readFile may be the caller's own). */
  private readSource(file: string): string {
    const cached = this.probed.get(file);
    if (cached !== undefined) this.probed.delete(file);
    const text = cached ?? this.readFile(file);
    const max = this.budget.limits.fileSize;
    if (text.length > max) throw new Error(tooLarge(new TextEncoder().encode(text).length, max));
    return text;
  }

  /** Names of the macros defined, for "did you mean" suggestions. */
  macroNames(): string[] {
    return [...this.macros.keys()];
  }

  /**
   * A program: the main one, or one embedded with `.image`. `stack` holds the
   * resolved paths of the files being read, for cycle detection. The main
   * program's own lines are not `budgeted`: its size is the caller's to
   * choose (a disassembled image can be millions of lines); the budget is for
   * what the program makes the assembler read on top of itself, and an
   * embedded program is that.
   */
  readText(file: string, text: string, notes: readonly string[], stack: readonly string[], budgeted = true): void {
    if (this.budget.exhausted) return;
    const lines = splitLines(text);
    const before = this.budget.linesRead;
    const over = budgeted ? this.budget.spend(lines.length, text.length) : undefined;
    if (over) {
      // The first line past the line budget (or the first line, when it is the characters that ran out).
      const index = Math.min(lines.length - 1, Math.max(0, this.budget.limits.lines - before));
      const content = lines[index]!.replace(/\r$/, '');
      const origin: Origin = { file, line: index + 1, text: content };
      const line = new SourceLine(origin, content, undefined, notes, origin, this.order++);
      this.reporter.error(line, 0, Math.max(1, content.length), `embedding this program goes past ${over}`);
      return;
    }
    this.readLines(file, lines, notes, stack);
  }

  private readLines(file: string, lines: readonly string[], notes: readonly string[], stack: readonly string[]): void {
    let defining: Definition | undefined;
    for (const [index, raw] of lines.entries()) {
      if (this.budget.exhausted) return;
      const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const origin: Origin = { file, line: index + 1, text: content };
      const line = new SourceLine(origin, content, undefined, notes, origin, this.order++);
      if (!defining) {
        defining = this.line(line, stack, 0);
      } else if (ENDM.test(content)) {
        this.define(defining);
        defining = undefined;
      } else if (MACRO.test(content)) {
        const at = content.search(/\.macro/i);
        this.reporter.error(line, at, at + 6, `a macro cannot be defined inside another macro's body (\`.endm\` is missing above?)`);
      } else {
        defining.body.push(origin);
      }
    }
    if (this.budget.exhausted) return;
    if (defining) {
      const t = defining.name;
      const what = t ? `macro \`${t.text}\`` : '.macro';
      this.reporter.error(defining.line, t?.start ?? 0, t?.end ?? 6, `${what} has no '.endm': ${file} ends first`);
    }
  }

  /** Handles one line; returns the definition it opens when it is a `.macro`. */
  private line(line: SourceLine, stack: readonly string[], depth: number, quiet = false): Definition | undefined {
    const lexed = lex(line.text);
    const { parsed, problems } = parseLine(lexed.tokens);
    const all = [...lexed.problems, ...problems];
    if (!quiet) for (const p of all) this.reporter.problem(line, p);
    const broken = quiet || all.length > 0;
    const { labels, head } = parsed;
    const emit = (h: Head | undefined): void => {
      this.statements.push({ line, labels, head: h, broken });
    };

    if (head?.kind === 'directive') {
      const name = head.name.text.toLowerCase();
      if (name === '.macro') {
        if (labels.length > 0) this.reporter.error(line, labels[0]!.start, labels[labels.length - 1]!.end, `a label cannot stand on a '.macro' line; put it on the line that calls the macro`);
        return this.open(line, head);
      }
      if (name === '.endm') {
        this.reporter.error(line, head.name.start, head.name.end, `'.endm' without a '.macro' before it`);
        return undefined;
      }
      if (name === '.include') {
        emit(head);
        if (!broken) this.include(line, head, stack);
        return undefined;
      }
      if (EMBED_DIRECTIVES.includes(name)) {
        const file = broken ? undefined : this.fileOperand(line, head);
        const embedded = file && embed(line, head, file, {
          reporter: this.reporter,
          readFile: (p) => this.readSource(p),
          fileSize: this.budget.limits.fileSize,
          stack,
          newReader: (r) => new Reader(r, this.readFile, this.budget, this.includeDirs),
          whyUnreadable,
        });
        this.statements.push({ line, labels, head, broken: embedded === undefined, embedded });
        return undefined;
      }
    }
    if (head?.kind === 'op') {
      const macro = this.macros.get(head.name.text);
      if (macro) {
        emit(undefined);
        if (!broken) this.expand(macro, line, head, stack, depth);
        return undefined;
      }
    }
    emit(head);
    return undefined;
  }

  private open(line: SourceLine, head: Call): Definition {
    const tokens = head.operands.flatMap((o) => o.tokens);
    const name = tokens[0];
    const params: string[] = [];
    if (!name) {
      this.reporter.error(line, head.name.end, head.name.end + 1, `expected a macro name after '.macro'`);
    } else if (name.kind !== 'ident' || name.text.startsWith('.')) {
      this.reporter.error(line, name.start, name.end, `expected a macro name, found '${name.text}'${name.text.startsWith('.') ? ' (a macro name cannot start with a dot)' : ''}`);
    }
    for (const t of tokens.slice(1)) {
      if (t.kind !== 'ident' || !PARAM.test(t.text)) {
        this.reporter.error(line, t.start, t.end, `expected a parameter name, found '${t.text}'`);
      } else if (params.includes(t.text)) {
        this.reporter.error(line, t.start, t.end, `parameter '${t.text}' is listed twice`);
      } else {
        params.push(t.text);
      }
    }
    const valid = name !== undefined && name.kind === 'ident' && !name.text.startsWith('.');
    return { line, name: valid ? name : undefined, params, body: [] };
  }

  private define(d: Definition): void {
    const t = d.name;
    if (!t) return;
    const earlier = this.macros.get(t.text);
    if (earlier) {
      this.reporter.error(d.line, t.start, t.end, `macro \`${t.text}\` is already defined`, [`first definition of \`${t.text}\` at ${earlier.definedAt}`]);
      return;
    }
    if (opByName(t.text) || isPseudo(t.text)) {
      this.reporter.warning(d.line, t.start, t.end, `macro \`${t.text}\` hides the instruction '${t.text.toLowerCase()}' from here on`);
    }
    this.macros.set(t.text, { name: t.text, params: d.params, body: d.body, definedAt: d.line.place(t.start) });
  }

  private expand(m: Macro, line: SourceLine, head: Call, stack: readonly string[], depth: number): void {
    const args = head.operands.map((o) => line.text.slice(o.start, o.end));
    if (args.length !== m.params.length) {
      const n = m.params.length;
      this.reporter.error(line, head.name.start, head.end, `macro \`${m.name}\` takes ${n} argument${n === 1 ? '' : 's'} (${describeParams(m)}), found ${args.length}`, [`macro \`${m.name}\` is defined here at ${m.definedAt}`]);
      return;
    }
    if (depth >= MAX_MACRO_DEPTH) {
      this.reporter.error(line, head.name.start, head.name.end, `macro calls nest more than ${MAX_MACRO_DEPTH} deep; does \`${m.name}\` call itself?`);
      return;
    }
    const unique = ++this.expansions;
    const notes = [`in expansion of macro \`${m.name}\` at ${line.place(head.name.start)}`, ...line.notes];
    for (const body of m.body) {
      if (this.budget.exhausted) return;
      const ex = expandLine(m, body, args, unique);
      if (ex.text.length > MAX_EXPANDED_LINE) {
        this.reporter.error(line, head.name.start, head.name.end, `macro \`${m.name}\` expands to a line of ${ex.text.length} characters here, more than the limit of ${MAX_EXPANDED_LINE}`);
        return;
      }
      const over = this.budget.spend(1, ex.text.length);
      if (over) {
        this.reporter.error(line, head.name.start, head.name.end, `expanding macro \`${m.name}\` here goes past ${over}; is there a runaway macro?`);
        return;
      }
      const expanded = new SourceLine(body, ex.text, ex.segments, notes, line.listedUnder, this.order++);
      for (const p of ex.problems) this.reporter.problem(expanded, p);
      const nested = this.line(expanded, stack, depth + 1, ex.problems.length > 0);
      if (nested) this.reporter.error(expanded, 0, expanded.text.length, `a macro body cannot define a macro`);
    }
  }

  /** The file a `.include`, `.incbin` or `.image` line names, relative to the line's own file. */
  private fileOperand(line: SourceLine, head: Call): FileOperand | undefined {
    const arg = head.operands[0];
    const t = arg?.tokens[0];
    if (!arg || head.operands.length > 1 || arg.tokens.length > 1 || t?.kind !== 'string') {
      const start = arg?.start ?? head.name.end;
      const found = arg ? `'${line.text.slice(arg.start, head.end)}'` : 'nothing';
      this.reporter.error(line, start, arg ? head.end : start + 1, `'${head.name.text.toLowerCase()}' takes a file name in double quotes, found ${found}`);
      return undefined;
    }
    const name = new TextDecoder().decode(t.bytes);
    const candidates = candidatePaths(name, line.listedUnder.file, line.origin.file, this.includeDirs);
    // The first that can be read; when none can, the first, so the error names what was wrong there.
    const target = candidates.find((c) => this.readable(c)) ?? candidates[0]!;
    // The message leaves out the shipped folder: it holds only sys.inc and lib.inc, and its path says nothing about the user's mistake.
    const shipped = shippedIncludeDir();
    return { token: t, name, target, searched: candidates.filter((c) => shipped === undefined || dirname(resolvePath(c)) !== shipped) };
  }

  /** Whether a file can be read (its text is kept for the read that follows). */
  private readable(file: string): boolean {
    if (this.probed.has(file)) return true;
    try {
      this.probed.set(file, this.readFile(file));
      return true;
    } catch {
      return false;
    }
  }

  private include(line: SourceLine, head: Call, stack: readonly string[]): void {
    const file = this.fileOperand(line, head);
    if (!file) return;
    const { token: t, name, target } = file;
    const resolved = resolvePath(target);
    const cycle = stack.indexOf(resolved);
    if (cycle >= 0) {
      const chain = [...stack.slice(cycle), resolved].map(relativeToCwd);
      this.reporter.error(line, t.start, t.end, `'${name}' is already being included: the includes form a cycle (${chain.join(' → ')})`);
      return;
    }
    if (stack.length >= MAX_INCLUDE_DEPTH) {
      this.reporter.error(line, t.start, t.end, `includes nest more than ${MAX_INCLUDE_DEPTH} deep`);
      return;
    }
    let text: string;
    try {
      text = this.readSource(target);
    } catch (e) {
      this.reporter.error(line, t.start, t.end, `cannot include '${name}': ${whyUnreadable(e)}${lookedFor(file)}`);
      return;
    }
    const lines = splitLines(text);
    const over = this.budget.spend(lines.length, text.length);
    if (over) {
      this.reporter.error(line, t.start, t.end, `including '${name}' here goes past ${over}; is a file included over and over?`);
      return;
    }
    this.readLines(target, lines, [`in file included from ${line.place(head.name.start)}`, ...line.notes], [...stack, resolved]);
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
