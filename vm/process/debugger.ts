/**
 * The debugger engine behind `typevisor debug`: breakpoints, watchpoints,
 * step / next / continue, and commands that turn a line of text into lines
 * of text. It does no I/O of its own — lines go out through `print`, the
 * program's own output goes wherever its ProcessVM sends it — so the REPL in
 * cli/commands/debug.ts is a thin loop and tests drive this in-process.
 *
 * How it runs the program, and why:
 * - Breakpoints are software breakpoints, as gdb does it: while the program
 *   runs free, each breakpoint's word in memory is replaced by `break`, and
 *   the machine runs at full speed in slices of SLICE instructions; the
 *   ProcessVM comes back with a `breakpoint` stop at the patched address.
 *   The original words go back as soon as the program stops, so `mem`,
 *   `disasm` and fault reports never see a patch. (The interpreter fetches
 *   every word from memory, it keeps no decoded copy, so a patch takes effect
 *   at once.) Leaving a breakpoint goes one instruction unpatched first.
 * - Watchpoints have no such trick (no write-protect hook in the MMU), so
 *   while any is set the program goes one instruction at a time, comparing
 *   each watched word after every instruction: the instruction that changed
 *   it is then known exactly. Measured: a 10-million-instruction loop runs to
 *   a late breakpoint in ~0.1 s, and in ~1.5–2.5 s with a watchpoint set.
 * - Long runs pause between slices (`pause`), so a host with an event loop
 *   can deliver an interrupt (Ctrl-C) to interrupt().
 */
import { formatInstruction, writtenRegister } from '../../isa/disasm.js';
import { decode } from '../../isa/encoding.js';
import { SECTION_EXEC, type Section } from '../../isa/image.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../cpu.js';
import { PTE_R, PTE_X } from '../mmu.js';
import { instructionAt } from './fault.js';
import { exitCode, SLICE, type ProcessResult, type ProcessVM, type StepResult } from './runtime.js';
import type { SyscallEvent } from './syscalls.js';
import { evaluate, parsePositive, type Evaluated } from './debug-expression.js';
import { hexDump, registerSnapshot, registerTable } from './debug-views.js';
import { formatSyscall, traceLine } from './trace.js';
import { bare8, hex8 } from '../../isa/hex.js';

/** How the host paints a few things; identity functions when colour is off. */
export interface DebuggerStyle {
  /** A register that changed since the previous stop. */
  readonly changed: (text: string) => string;
  /** The first line of a fault report, an error. */
  readonly alert: (text: string) => string;
}

/** An address a source line assembled to (from the assembler's listing), for `break FILE:LINE`. */
export interface SourceLine {
  readonly addr: number;
  readonly file: string;
  readonly line: number;
}

export interface DebuggerOptions {
  /** A fresh process for the program, stopped before its first instruction: at start and on `run`. May throw (LoadError…). */
  readonly launch: () => ProcessVM;
  /** Where each line of the debugger's own output goes (without a newline). */
  readonly print: (line: string) => void;
  readonly style?: DebuggerStyle;
  /** Awaited between slices of a long run, so the host can call interrupt(). Default: never pause. */
  readonly pause?: () => Promise<void>;
  /** Source lines by address, when the program was assembled from source. */
  readonly lines?: readonly SourceLine[];
}

interface Breakpoint {
  readonly id: number;
  readonly addr: number;
  hits: number;
}

interface Watchpoint {
  readonly id: number;
  readonly addr: number;
  /** The word as last seen; undefined while the address is not mapped. */
  value: number | undefined;
  hits: number;
}

interface WatchHit {
  readonly wp: Watchpoint;
  readonly old: number | undefined;
  readonly now: number | undefined;
}

/** Why a run command gave control back. */
type Stop =
  | { readonly kind: 'done' }
  | { readonly kind: 'breakpoint'; readonly bp: Breakpoint }
  | { readonly kind: 'watch'; readonly pc: number; readonly hits: readonly WatchHit[] }
  /** The program's own `break` instruction (not one of ours). */
  | { readonly kind: 'program-break'; readonly pc: number }
  | { readonly kind: 'ended'; readonly result: ProcessResult }
  | { readonly kind: 'interrupted' };

/** `next` runs a call until it comes back here with the stack where it was. */
interface ReturnTarget {
  readonly addr: number;
  readonly sp: number;
}

type CommandName =
  | 'step' | 'next' | 'continue' | 'break' | 'watch' | 'delete' | 'breakpoints' | 'regs' | 'mem'
  | 'disasm' | 'print' | 'info' | 'where' | 'run' | 'help' | 'quit';

export interface DebuggerCommand {
  readonly name: CommandName;
  /** Short forms, matched before prefixes (`s`, `x`…). */
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly help: string;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const plain: DebuggerStyle = { changed: (s) => s, alert: (s) => s };

/** The disassembly takes this many columns in a trace line, as in `run --trace`. */
const DISASM_COLUMN = 24;
/** Instructions between pauses when going one at a time (watchpoints). */
const STEPS_PER_PAUSE = 1 << 16;
const DEFAULT_DUMP = 64;
const MAX_DUMP = 64 * 1024;
const DEFAULT_DISASM = 8;
const MAX_DISASM = 4096;

/** Every command, in the order `help` lists them. A unique prefix of a name works too. */
export const DEBUGGER_COMMANDS: readonly DebuggerCommand[] = [
  { name: 'step', aliases: ['s', 'si', 'stepi'], usage: 'step [N]', help: 'execute N instructions (default 1), showing each, then the next one' },
  { name: 'next', aliases: ['n', 'ni', 'nexti'], usage: 'next [N]', help: 'like step, but a call runs until it returns' },
  { name: 'continue', aliases: ['c', 'cont'], usage: 'continue', help: 'run until a breakpoint, a watchpoint, exit or a fault' },
  { name: 'break', aliases: ['b', 'br'], usage: 'break [LOC]', help: 'breakpoint at a label, address, sum (loop+8) or FILE:LINE; default pc' },
  { name: 'watch', aliases: ['w'], usage: 'watch ADDR', help: 'stop when the 32-bit word at ADDR changes' },
  { name: 'delete', aliases: ['d'], usage: 'delete N...|all', help: 'remove breakpoints or watchpoints by number, or all' },
  { name: 'breakpoints', aliases: [], usage: 'breakpoints', help: 'list breakpoints and watchpoints (also: info breakpoints)' },
  { name: 'regs', aliases: ['r', 'registers'], usage: 'regs', help: 'registers in hex and decimal, and pc; * marks what changed since the previous stop' },
  { name: 'mem', aliases: ['m', 'x'], usage: 'mem ADDR [LEN]', help: `hex dump of LEN bytes (default ${DEFAULT_DUMP}) from ADDR` },
  { name: 'disasm', aliases: [], usage: 'disasm [ADDR] [N]', help: `N instructions (default ${DEFAULT_DISASM}) from ADDR (default pc), marking pc and breakpoints` },
  { name: 'print', aliases: ['p'], usage: 'print EXPR', help: 'the value of an expression in hex and decimal: registers, labels, *ADDR, p[i], arithmetic' },
  { name: 'info', aliases: ['i'], usage: 'info [breakpoints|registers]', help: 'alone: same as where' },
  { name: 'where', aliases: ['bt'], usage: 'where', help: 'pc, the instruction, the nearest label, instructions retired' },
  { name: 'run', aliases: ['restart'], usage: 'run', help: 'start the program again from the beginning (breakpoints stay)' },
  { name: 'help', aliases: ['h', '?'], usage: 'help', help: 'this list' },
  { name: 'quit', aliases: ['q', 'exit'], usage: 'quit', help: 'leave (so does end of input)' },
];

/** A call: `jal ra, f` (`call f`) or `jalr ra, rs, imm`. Returns to the next word. */
function isCall(word: number | undefined): boolean {
  const ins = word === undefined ? undefined : decode(word);
  return ins !== undefined && (ins.op === Op.JAL || ins.op === Op.JALR) && ins.rd === Reg.RA;
}

export class Debugger {
  private vm: ProcessVM;
  private readonly print: (line: string) => void;
  private readonly style: DebuggerStyle;
  private readonly pause: (() => Promise<void>) | undefined;
  private readonly lines: readonly SourceLine[];
  private readonly breakpoints = new Map<number, Breakpoint>();
  private readonly watchpoints = new Map<number, Watchpoint>();
  private nextId = 1;
  /** Registers and pc at the previous stop and at this one: `regs` marks the difference. */
  private before: Int32Array;
  private atStop: Int32Array;
  /** The program stopped at its own `break` here; going on steps over it. */
  private programBreakAt: number | undefined;
  /** System calls served during the instruction being traced. */
  private readonly calls: SyscallEvent[] = [];
  private tracing = false;
  private interruptRequested = false;
  private busy = false;
  /** The last step/next, repeated by an empty line. */
  private repeatable: string | undefined;
  private readonly handle: Readonly<Record<CommandName, (args: readonly string[]) => void | Promise<void>>>;
  private readonly launch: () => ProcessVM;
  private labels: ReadonlyMap<string, number>;

  /** Launches the program (the launch function's errors propagate). Call begin() to show where it stands. */
  constructor(options: DebuggerOptions) {
    this.print = options.print;
    this.style = options.style ?? plain;
    this.pause = options.pause;
    this.lines = options.lines ?? [];
    this.launch = options.launch;
    this.vm = this.adopt(this.launch());
    this.labels = this.symbolTable();
    this.atStop = registerSnapshot(this.vm.machine);
    this.before = this.atStop;
    this.handle = this.handlers();
  }

  /** The process being debugged (tests look at its machine). */
  get process(): ProcessVM {
    return this.vm;
  }

  /** What the debugger should exit with: 0, or the program's exit code once it has ended (as `run` reports it). */
  get exitStatus(): number {
    const r = this.vm.result;
    return r === undefined ? 0 : exitCode(r);
  }

  /** A run command is in progress (the host's Ctrl-C should interrupt it rather than the prompt). */
  get running(): boolean {
    return this.busy;
  }

  /** Ask a run in progress to stop at the next pause. */
  interrupt(): void {
    if (this.busy) this.interruptRequested = true;
  }

  /** Print where the program stands: `stopped at _start (0x00001000): li a0, 1`. */
  begin(): void {
    this.printWhere();
  }

  /** Run one command line. Resolves true when the session should end (quit). Never throws for any input. */
  async execute(line: string): Promise<boolean> {
    let text = line.trim();
    if (text.startsWith('#')) return false;
    if (text === '') {
      if (this.repeatable === undefined) return false;
      text = this.repeatable;
    }
    const [word = '', ...args] = text.split(/\s+/);
    const found = this.resolve(word.toLowerCase());
    if (typeof found === 'string') {
      this.print(found);
      return false;
    }
    if (found.name === 'quit') return true;
    this.repeatable = found.name === 'step' || found.name === 'next' ? text : undefined;
    try {
      await this.handle[found.name](args);
    } catch (err) {
      // A bug here must not end the session: say so and keep the prompt.
      this.print(this.style.alert(`internal error in the debugger: ${err instanceof Error ? err.message : String(err)}`));
    }
    return false;
  }

  // ---- command table --------------------------------------------------------

  private resolve(word: string): DebuggerCommand | string {
    const exact = DEBUGGER_COMMANDS.find((c) => c.name === word || c.aliases.includes(word));
    if (exact) return exact;
    // Prefixes of names and of the longer aliases (registers, restart…), one word per command.
    const matches = new Map<DebuggerCommand, string>();
    for (const c of DEBUGGER_COMMANDS) {
      const hit = [c.name, ...c.aliases.filter((a) => a.length > 2)].find((n) => n.startsWith(word));
      if (hit !== undefined) matches.set(c, hit);
    }
    if (matches.size === 1) return [...matches.keys()][0]!;
    if (matches.size > 1) return `ambiguous command '${word}': ${[...matches.values()].join(', ')}`;
    return `unknown command '${word}' — type help`;
  }

  private handlers(): Readonly<Record<CommandName, (args: readonly string[]) => void | Promise<void>>> {
    return {
      step: (a) => this.cmdStep(a),
      next: (a) => this.cmdNext(a),
      continue: (a) => this.cmdContinue(a),
      break: (a) => this.cmdBreak(a),
      watch: (a) => this.cmdWatch(a),
      delete: (a) => this.cmdDelete(a),
      breakpoints: (a) => this.cmdBreakpoints(a),
      regs: (a) => this.cmdRegs(a),
      mem: (a) => this.cmdMem(a),
      disasm: (a) => this.cmdDisasm(a),
      print: (a) => this.cmdPrint(a),
      info: (a) => this.cmdInfo(a),
      where: (a) => this.cmdWhere(a),
      run: (a) => this.cmdRun(a),
      help: () => this.cmdHelp(),
      // execute() ends the session on quit before any handler runs.
      quit: () => undefined,
    };
  }

  private noArgs(name: string, args: readonly string[]): boolean {
    if (args.length === 0) return true;
    this.print(`${name} takes no arguments`);
    return false;
  }

  private cmdHelp(): void {
    this.print('commands (a unique prefix will do; short forms in brackets):');
    for (const c of DEBUGGER_COMMANDS) {
      const short = c.aliases.length > 0 ? ` [${c.aliases.join(', ')}]` : '';
      this.print(`  ${(c.usage + short).padEnd(34)} ${c.help}`);
    }
    this.print('ADDR and LOC: numbers (0x2000, 64), registers (sp, a0), pc, labels, joined by + and - without spaces (sp+16, loop+8)');
    this.print('an empty line repeats the last step or next; lines starting with # are ignored');
  }

  // ---- running --------------------------------------------------------------

  private notRunning(): boolean {
    const r = this.vm.result;
    if (r === undefined) return false;
    const how = r.kind === 'exit' ? `exited with status ${r.status}` : `stopped by ${r.kind === 'fault' ? `a ${r.trap}` : 'its instruction budget'}`;
    this.print(`the program is not running (it ${how}) — 'run' starts it again`);
    return true;
  }

  /** The optional count argument of step/next. */
  private countArg(name: string, args: readonly string[]): number | undefined {
    if (args.length > 1) {
      this.print(`usage: ${name} [N]`);
      return undefined;
    }
    if (args.length === 0) return 1;
    const n = parsePositive(args[0]!);
    if (n === undefined) this.print(`${name}: '${args[0]}' is not a positive whole number`);
    return n;
  }

  private cmdStep(args: readonly string[]): void {
    const n = this.countArg('step', args);
    if (n === undefined || this.notRunning()) return;
    let stop: Stop = { kind: 'done' };
    for (let i = 0; i < n; i++) {
      stop = this.stepOne(true, i < n - 1, undefined) ?? { kind: 'done' };
      if (stop.kind !== 'done') break;
    }
    this.reportStop(stop);
  }

  private async cmdNext(args: readonly string[]): Promise<void> {
    const n = this.countArg('next', args);
    if (n === undefined || this.notRunning()) return;
    let stop: Stop = { kind: 'done' };
    for (let i = 0; i < n && stop.kind === 'done'; i++) {
      const cpu = this.vm.machine.cpu;
      const pc = cpu.pc;
      if (this.programBreakAt !== pc && isCall(instructionAt(this.vm.machine, pc))) {
        const target = { addr: (pc + 4) >>> 0, sp: cpu.regs[Reg.SP]! >>> 0 };
        const start = cpu.instret;
        // A breakpoint at the callee's first instruction stops there.
        stop = this.stepOne(true, true, undefined) ?? (await this.resume(target));
        if (stop.kind === 'done') this.print(`  (returned after ${plural(cpu.instret - start, 'instruction')})`);
      } else {
        stop = this.stepOne(true, i < n - 1, undefined) ?? { kind: 'done' };
      }
    }
    this.reportStop(stop);
  }

  private async cmdContinue(args: readonly string[]): Promise<void> {
    if (!this.noArgs('continue', args) || this.notRunning()) return;
    this.reportStop(await this.resume(undefined));
  }

  /** Execute the instruction at pc (stepping over the program's own `break` if it stopped there). */
  private execOne(): StepResult {
    const pc = this.vm.machine.cpu.pc;
    if (this.programBreakAt !== pc) return this.vm.step(1);
    this.programBreakAt = undefined;
    this.vm.skipBreakpoint();
    return { kind: 'stepped' };
  }

  /**
   * One instruction, unpatched. `trace` prints it as `run --trace` does;
   * `more` says whether arriving at a breakpoint (or the target of a next)
   * should stop a longer walk. Undefined when the program simply goes on.
   */
  private stepOne(trace: boolean, more: boolean, target: ReturnTarget | undefined): Stop | undefined {
    const m = this.vm.machine;
    const pc = m.cpu.pc;
    const word = instructionAt(m, pc);
    const text = word === undefined ? '(cannot fetch)' : formatInstruction(word, pc, this.vm.symbols.at);
    const rd = word === undefined ? undefined : writtenRegister(word);
    // A line without a register goes out first, so a syscall's output follows its instruction.
    if (trace && rd === undefined) this.print(traceLine(pc, text));
    let r: StepResult;
    this.tracing = trace;
    try {
      r = this.execOne();
    } finally {
      this.tracing = false;
    }
    if (trace && rd !== undefined) this.print(r.kind === 'stepped' ? traceLine(pc, text, { reg: rd, value: m.cpu.regs[rd]! }) : traceLine(pc, text));
    for (const e of this.calls) this.print(`  -> ${formatSyscall(e)}`);
    this.calls.length = 0;
    return this.afterStep(r, pc, more, target);
  }

  /** What one executed instruction (at `pc`) means for a run in progress. */
  private afterStep(r: StepResult, pc: number, more: boolean, target: ReturnTarget | undefined): Stop | undefined {
    if (r.kind === 'breakpoint') {
      this.programBreakAt = r.pc;
      return { kind: 'program-break', pc: r.pc };
    }
    if (r.kind !== 'stepped') return { kind: 'ended', result: r };
    const hits = this.checkWatches();
    if (hits.length > 0) return { kind: 'watch', pc, hits };
    return more ? this.arrivedAt(this.vm.machine.cpu.pc, target) : undefined;
  }

  /** A stop for arriving at `pc` (a breakpoint, or the place `next` waits for), else undefined. */
  private arrivedAt(pc: number, target: ReturnTarget | undefined): Stop | undefined {
    if (target !== undefined && pc === target.addr && this.vm.machine.cpu.regs[Reg.SP]! >>> 0 >= target.sp) return { kind: 'done' };
    for (const bp of this.breakpoints.values()) {
      if (bp.addr === pc) {
        bp.hits++;
        return { kind: 'breakpoint', bp };
      }
    }
    return undefined;
  }

  /**
   * Run until something stops the program: a breakpoint, a watchpoint, the
   * return `target` (for next), exit, a fault, or interrupt().
   */
  private async resume(target: ReturnTarget | undefined): Promise<Stop> {
    this.busy = true;
    this.interruptRequested = false;
    try {
      // Leave the current instruction unpatched, so a breakpoint right here does not fire again.
      let stop = this.stepOne(false, true, target);
      while (stop === undefined) {
        stop = this.watchpoints.size > 0 ? this.walk(target) : this.runPatched(target);
        if (stop !== undefined) break;
        if (this.pause) await this.pause();
        if (this.interruptRequested) stop = { kind: 'interrupted' };
      }
      return stop;
    } finally {
      this.busy = false;
      this.interruptRequested = false;
    }
  }

  /** With watchpoints: one instruction at a time, STEPS_PER_PAUSE of them. */
  private walk(target: ReturnTarget | undefined): Stop | undefined {
    const m = this.vm.machine;
    for (let i = 0; i < STEPS_PER_PAUSE; i++) {
      const pc = m.cpu.pc;
      const stop = this.afterStep(this.execOne(), pc, true, target);
      if (stop !== undefined) return stop;
    }
    return undefined;
  }

  /** Without watchpoints: one slice at full speed with `break` patched in at every breakpoint (and the return target). */
  private runPatched(target: ReturnTarget | undefined): Stop | undefined {
    const m = this.vm.machine;
    const addrs = new Set([...this.breakpoints.values()].map((b) => b.addr));
    if (target !== undefined) addrs.add(target.addr);
    const saved = new Map<number, number>();
    for (const a of addrs) {
      const off = m.hostOffset(a, Mode.USER, PTE_X);
      if (off < 0) continue;
      saved.set(off, m.memory.i32[off >>> 2]!);
      m.memory.i32[off >>> 2] = Op.BREAK;
    }
    let r: StepResult;
    try {
      r = this.vm.step(SLICE);
    } finally {
      for (const [off, word] of saved) {
        // A program that rewrote its own code there keeps what it wrote.
        if (m.memory.i32[off >>> 2] === Op.BREAK) m.memory.i32[off >>> 2] = word;
      }
    }
    if (r.kind === 'stepped') return undefined;
    if (r.kind === 'breakpoint' && addrs.has(r.pc)) {
      // One of ours: stop, or (a deeper return of a recursive call) step past it and go on.
      return this.arrivedAt(r.pc, target) ?? this.stepOne(false, true, target);
    }
    return this.afterStep(r, m.cpu.pc, false, target);
  }

  // ---- reporting stops ------------------------------------------------------

  private reportStop(stop: Stop): void {
    switch (stop.kind) {
      case 'done':
        break;
      case 'breakpoint':
        this.print(`breakpoint ${stop.bp.id} hit (${plural(stop.bp.hits, 'time')})`);
        break;
      case 'watch':
        for (const h of stop.hits) {
          this.print(`watchpoint ${h.wp.id}: the word at ${this.where(h.wp.addr)} changed`);
          this.print(`  old ${this.wordText(h.old)}`);
          this.print(`  new ${this.wordText(h.now)}`);
        }
        this.print(`  by ${this.instructionLine(stop.pc)}`);
        break;
      case 'program-break':
        this.print(`the program executed a break instruction at ${this.where(stop.pc)}; going on steps over it`);
        break;
      case 'interrupted':
        this.print('interrupted');
        break;
      case 'ended':
        this.noteStop();
        this.reportEnd(stop.result);
        return;
    }
    this.noteStop();
    this.printWhere();
  }

  private reportEnd(r: ProcessResult): void {
    if (r.kind === 'exit') {
      this.print(`program exited with status ${r.status}`);
      return;
    }
    const [first = '', ...rest] = r.report.split('\n');
    this.print(this.style.alert(first));
    for (const l of rest) this.print(l);
    this.print(`the program cannot go on; registers and memory can still be inspected, 'run' starts it again`);
  }

  private noteStop(): void {
    this.before = this.atStop;
    this.atStop = registerSnapshot(this.vm.machine);
  }

  /** `loop+0x4 (0x00001010)`, or just the address when no label precedes it. */
  private where(addr: number): string {
    const near = this.vm.symbols.near(addr);
    return near === undefined ? hex8(addr) : `${near} (${hex8(addr)})`;
  }

  private sourceOf(addr: number): string {
    let best: SourceLine | undefined;
    for (const l of this.lines) if (l.addr === addr) best ??= l;
    return best === undefined ? '' : `   ; ${best.file}:${best.line}`;
  }

  /** `loop+0x4 (0x00001010): addi s1, s1, 3`. */
  private instructionLine(pc: number): string {
    const word = instructionAt(this.vm.machine, pc);
    const ins = word === undefined ? '(no instruction can be fetched there)' : formatInstruction(word, pc, this.vm.symbols.at);
    return `${this.where(pc)}: ${ins}${this.sourceOf(pc)}`;
  }

  private printWhere(): void {
    const r = this.vm.result;
    if (r !== undefined) {
      this.print(r.kind === 'exit' ? `program exited with status ${r.status}` : `program stopped by a fault at ${this.where(r.pc)}`);
      return;
    }
    this.print(`stopped at ${this.instructionLine(this.vm.machine.cpu.pc)}`);
  }

  private wordText(v: number | undefined): string {
    return v === undefined ? '(not mapped)' : `${hex8(v)} (${v | 0})`;
  }

  // ---- breakpoints and watchpoints ------------------------------------------

  /** A code address for break: a label, address, expression or FILE:LINE. */
  private codeAddress(loc: string): Evaluated {
    const fileLine = /^(.+):(\d+)$/.exec(loc);
    if (fileLine) return this.lineAddress(fileLine[1]!, Number(fileLine[2]));
    const v = this.evaluate(loc);
    if (!v.ok) return v;
    const why = this.notCode(v.value);
    return why === undefined ? v : { ok: false, error: why };
  }

  /** The executable section holding addr. */
  private codeSection(addr: number): Section | undefined {
    return this.vm.image.sections.find((s) => (s.flags & SECTION_EXEC) !== 0 && addr >= s.addr && addr < s.addr + s.size);
  }

  /** Why addr cannot hold an instruction of the program, or undefined if it can. */
  private notCode(addr: number): string | undefined {
    if ((addr & 3) !== 0) return `${hex8(addr)} is not a multiple of 4: instructions are 4-byte aligned`;
    if (this.codeSection(addr) !== undefined && instructionAt(this.vm.machine, addr) !== undefined) return undefined;
    const code = this.vm.image.sections.filter((s) => (s.flags & SECTION_EXEC) !== 0 && s.size > 0).map((s) => `${hex8(s.addr)}..${hex8(s.addr + s.size)}`);
    return `${hex8(addr)} is not in the program's code${code.length > 0 ? ` (code is at ${code.join(', ')})` : ''}`;
  }

  private lineAddress(file: string, line: number): Evaluated {
    if (this.lines.length === 0) return { ok: false, error: 'no source line information (the program was loaded from an image): give a label or an address' };
    const sameFile = (f: string): boolean => f === file || f.endsWith(`/${file}`);
    const matches = this.lines.filter((l) => sameFile(l.file));
    if (matches.length === 0) return { ok: false, error: `no source file '${file}' in this program` };
    const exact = matches.filter((l) => l.line === line);
    if (exact.length === 0) return { ok: false, error: `${file}:${line} produced no instruction` };
    return { ok: true, value: Math.min(...exact.map((l) => l.addr)) };
  }

  private cmdBreak(args: readonly string[]): void {
    if (args.length > 1) {
      this.print('usage: break [LOC]   (LOC: a label, an address, loop+8, FILE:LINE; no spaces)');
      return;
    }
    const a = args.length === 0 ? ({ ok: true, value: this.vm.machine.cpu.pc } as const) : this.codeAddress(args[0]!);
    if (!a.ok) {
      this.print(`break: ${a.error}`);
      return;
    }
    const existing = [...this.breakpoints.values()].find((b) => b.addr === a.value);
    if (existing) {
      this.print(`breakpoint ${existing.id} is already at ${this.where(a.value)}`);
      return;
    }
    const bp: Breakpoint = { id: this.nextId++, addr: a.value, hits: 0 };
    this.breakpoints.set(bp.id, bp);
    this.print(`breakpoint ${bp.id} at ${this.instructionLine(bp.addr)}`);
  }

  /** The word at a (4-aligned) address as the program would load it, or undefined if it cannot. */
  private readWord(addr: number): number | undefined {
    const m = this.vm.machine;
    const off = m.hostOffset(addr, Mode.USER, PTE_R);
    return off < 0 ? undefined : m.memory.i32[off >>> 2]!;
  }

  private checkWatches(): WatchHit[] {
    const hits: WatchHit[] = [];
    for (const wp of this.watchpoints.values()) {
      const now = this.readWord(wp.addr);
      if (now === wp.value) continue;
      hits.push({ wp, old: wp.value, now });
      wp.value = now;
      wp.hits++;
    }
    return hits;
  }

  private cmdWatch(args: readonly string[]): void {
    if (args.length !== 1) {
      this.print('usage: watch ADDR   (a number, register, label or sum like counter+4; no spaces)');
      return;
    }
    const addr = this.address('watch', args[0]!);
    if (addr === undefined) return;
    if ((addr & 3) !== 0) {
      this.print(`watch: ${hex8(addr)} is not a multiple of 4 (a watchpoint covers the aligned word a lw or sw reaches)`);
      return;
    }
    const value = this.readWord(addr);
    if (value === undefined) {
      this.print(`watch: ${hex8(addr)} is not mapped readable memory`);
      return;
    }
    const wp: Watchpoint = { id: this.nextId++, addr, value, hits: 0 };
    this.watchpoints.set(wp.id, wp);
    this.print(`watchpoint ${wp.id} at ${this.where(wp.addr)}: ${this.wordText(value)}`);
    this.print('  (while a watchpoint is set, continue goes one instruction at a time: slower)');
  }

  private cmdDelete(args: readonly string[]): void {
    if (args.length === 0) {
      this.print("usage: delete N...|all   ('breakpoints' lists the numbers)");
      return;
    }
    if (args.length === 1 && args[0]!.toLowerCase() === 'all') {
      this.print(`deleted ${plural(this.breakpoints.size, 'breakpoint')} and ${plural(this.watchpoints.size, 'watchpoint')}`);
      this.breakpoints.clear();
      this.watchpoints.clear();
      return;
    }
    for (const a of args) {
      const id = parsePositive(a);
      if (id === undefined) this.print(`delete: '${a}' is not a breakpoint number`);
      else if (this.breakpoints.delete(id)) this.print(`deleted breakpoint ${id}`);
      else if (this.watchpoints.delete(id)) this.print(`deleted watchpoint ${id}`);
      else this.print(`delete: there is no breakpoint or watchpoint ${id}`);
    }
  }

  private cmdBreakpoints(args: readonly string[]): void {
    if (!this.noArgs('breakpoints', args)) return;
    const rows: [number, string][] = [];
    for (const b of this.breakpoints.values()) {
      rows.push([b.id, `${String(b.id).padStart(3)}  breakpoint  ${hex8(b.addr)}  ${(this.vm.symbols.near(b.addr) ?? '').padEnd(16)} hit ${plural(b.hits, 'time')}`]);
    }
    for (const w of this.watchpoints.values()) {
      rows.push([w.id, `${String(w.id).padStart(3)}  watchpoint  ${hex8(w.addr)}  ${(this.vm.symbols.near(w.addr) ?? '').padEnd(16)} ${this.wordText(w.value)}, changed ${plural(w.hits, 'time')}`]);
    }
    if (rows.length === 0) {
      this.print('no breakpoints or watchpoints');
      return;
    }
    this.print('  #  kind        address     where');
    for (const [, row] of rows.sort((x, y) => x[0] - y[0])) this.print(row);
  }

  // ---- looking at the program -----------------------------------------------

  private cmdRegs(args: readonly string[]): void {
    if (!this.noArgs('regs', args)) return;
    for (const line of registerTable(registerSnapshot(this.vm.machine), this.before, this.vm.symbols, this.style.changed)) this.print(line);
  }

  private cmdMem(args: readonly string[]): void {
    if (args.length < 1 || args.length > 2) {
      this.print(`usage: mem ADDR [LEN]   (default ${DEFAULT_DUMP} bytes; ADDR like sp, msg, sp+16, 0x2000 — no spaces)`);
      return;
    }
    const addr = this.address('mem', args[0]!);
    if (addr === undefined) return;
    const len = args.length === 2 ? parsePositive(args[1]!) : DEFAULT_DUMP;
    if (len === undefined || len > MAX_DUMP) {
      this.print(`mem: the length must be a whole number from 1 to ${MAX_DUMP}, got '${args[1]}'`);
      return;
    }
    for (const line of hexDump(this.vm.machine, addr, len)) this.print(line);
  }

  private cmdDisasm(args: readonly string[]): void {
    if (args.length > 2) {
      this.print(`usage: disasm [ADDR] [N]   (default: ${DEFAULT_DISASM} instructions from pc)`);
      return;
    }
    const m = this.vm.machine;
    const start = args.length === 0 ? m.cpu.pc : this.address('disasm', args[0]!);
    if (start === undefined) return;
    const why = this.notCode(start);
    if (why !== undefined) {
      this.print(`disasm: ${why}`);
      return;
    }
    const count = args.length === 2 ? parsePositive(args[1]!) : DEFAULT_DISASM;
    if (count === undefined || count > MAX_DISASM) {
      this.print(`disasm: the count must be a whole number from 1 to ${MAX_DISASM}, got '${args[1]}'`);
      return;
    }
    const bpAt = new Map([...this.breakpoints.values()].map((b) => [b.addr, b.id]));
    for (let i = 0; i < count; i++) {
      const pc = (start + 4 * i) >>> 0;
      const label = this.vm.symbols.at(pc);
      if (label !== undefined) this.print(`${label}:`);
      const word = instructionAt(m, pc);
      const section = this.codeSection(pc);
      if (word === undefined || section === undefined) {
        this.print(`   ${bare8(pc)}  (the end of the code)`);
        break;
      }
      const mark = pc === m.cpu.pc ? '=> ' : '   ';
      const bp = bpAt.get(pc);
      const text = formatInstruction(word, pc, this.vm.symbols.at);
      this.print(`${mark}${bare8(pc)}  ${bp === undefined ? text : `${text.padEnd(DISASM_COLUMN - 1)} [breakpoint ${bp}]`}`);
    }
  }

  private cmdPrint(args: readonly string[]): void {
    if (args.length === 0) {
      this.print('usage: print EXPR   (numbers, registers, labels, *ADDR, p[i], + - * / & | ^ << >> ( ))');
      return;
    }
    const v = this.address('print', args.join(' '));
    if (v === undefined) return;
    const near = this.vm.symbols.near(v);
    this.print(`${hex8(v)}  ${v}  ${v | 0}${near === undefined ? '' : `  <${near}>`}`);
  }

  private cmdInfo(args: readonly string[]): void {
    const what = (args[0] ?? '').toLowerCase();
    if (args.length > 1) this.print('usage: info [breakpoints|watchpoints|registers]');
    else if (what === '') this.cmdWhere([]);
    else if ('breakpoints'.startsWith(what) || 'watchpoints'.startsWith(what)) this.cmdBreakpoints([]);
    else if ('registers'.startsWith(what)) this.cmdRegs([]);
    else this.print(`info: no '${args[0]}' to show — try info breakpoints, info registers`);
  }

  private cmdWhere(args: readonly string[]): void {
    if (!this.noArgs('where', args)) return;
    const m = this.vm.machine;
    const r = this.vm.result;
    this.print(`pc ${this.instructionLine(m.cpu.pc)}`);
    this.print(`instructions retired: ${m.cpu.instret}`);
    this.print(`sp ${hex8(m.cpu.regs[Reg.SP]!)}`);
    if (r !== undefined) this.print(r.kind === 'exit' ? `the program exited with status ${r.status}` : `the program was stopped by a ${r.kind === 'fault' ? r.trap : r.kind}`);
  }

  private cmdRun(args: readonly string[]): void {
    if (!this.noArgs('run', args)) return;
    let vm: ProcessVM;
    try {
      vm = this.launch();
    } catch (err) {
      this.print(`run: cannot start the program: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.vm.close();
    this.vm = this.adopt(vm);
    this.labels = this.symbolTable();
    this.programBreakAt = undefined;
    for (const w of this.watchpoints.values()) w.value = this.readWord(w.addr);
    this.atStop = registerSnapshot(this.vm.machine);
    this.before = this.atStop;
    this.print('started the program again');
    this.printWhere();
  }

  private adopt(vm: ProcessVM): ProcessVM {
    vm.syscall.subscribe((e) => {
      if (this.tracing) this.calls.push(e);
    });
    return vm;
  }

  // ---- expressions ----------------------------------------------------------

  private symbolTable(): Map<string, number> {
    const t = new Map<string, number>();
    for (const s of this.vm.image.symbols) if (!t.has(s.name)) t.set(s.name, s.value >>> 0);
    return t;
  }

  private evaluate(text: string): Evaluated {
    const cpu = this.vm.machine.cpu;
    return evaluate(text, { regs: cpu.regs, pc: cpu.pc, symbols: this.labels, load: (va) => ((va & 3) === 0 ? this.readWord(va) : undefined) });
  }

  /** The value of an address argument, or undefined after saying what is wrong with it. */
  private address(command: string, text: string): number | undefined {
    const v = this.evaluate(text);
    if (v.ok) return v.value;
    this.print(`${command}: ${v.error}`);
    return undefined;
  }
}
