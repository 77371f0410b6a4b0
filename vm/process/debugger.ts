/**
 * The debugger engine behind `typevisor debug`: breakpoints, watchpoints,
 * step / next / continue, and commands that turn a line of text into lines
 * of text. It does no I/O of its own — lines go out through `print`, the
 * program's own output goes wherever its ProcessVM sends it — so the REPL in
 * cli/commands/debug.ts is a thin loop and tests drive this in-process.
 *
 * How it runs the program, and why: through the kernel debugger's run
 * control (vm/debug/run-control.ts) over the process as a debug target
 * (./debug-target.ts), so both debuggers go forward the same way.
 * - Breakpoints are software breakpoints, as gdb does it: while the program
 *   runs free, `break` is written over each breakpoint's word (and the word
 *   `next`, `finish` or `until` waits for), and the machine runs at full
 *   speed in slices; the target comes back at the patched address. The
 *   original words go back as soon as the program stops, so `mem`, `disasm`
 *   and fault reports never see a patch. Leaving a breakpoint goes one
 *   instruction unpatched first. The patches are written as the host writes
 *   memory (markDirty), so the translation tier drops the page's translated
 *   code and re-translates it with the patch in.
 * - Watchpoints have no such trick (no write-protect hook in the MMU), so
 *   while any is set run control goes one instruction at a time, comparing
 *   each watched word after every instruction: the instruction that changed
 *   it is then known exactly. Measured: a 10-million-instruction loop runs to
 *   a late breakpoint in ~0.1 s, and in ~1.5–2.5 s with a watchpoint set.
 * - A breakpoint whose condition is false (`break LOC if EXPR`) is stepped
 *   past unpatched; when that happens often, the target walks a stretch one
 *   instruction at a time instead of patching and re-translating each time.
 * - Long runs pause between slices (`pause`), so a host with an event loop
 *   can deliver an interrupt (Ctrl-C) to interrupt().
 * - The command language, x/NFU, print/F, displays and the frame chain for
 *   finish are the kernel debugger's (vm/debug/: commands.ts, format.ts,
 *   unwind.ts, expression.ts).
 */
import { formatInstruction, writtenRegister } from '../../isa/disasm.js';
import { decode } from '../../isa/encoding.js';
import { SECTION_EXEC, type Section } from '../../isa/image.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { Mode } from '../cpu.js';
import { PTE_R } from '../mmu.js';
import { instructionAt } from './fault.js';
import { exitCode, type ProcessResult, type ProcessVM } from './runtime.js';
import { ProcessTarget } from './debug-target.js';
import { RunControl, type RunEnd } from '../debug/run-control.js';
import type { SyscallEvent } from './syscalls.js';
import { evaluate, parsePositive, type Evaluated } from './debug-expression.js';
import { hexDump, registerSnapshot, registerTable } from './debug-views.js';
import { formatSyscall, traceLine } from './trace.js';
import { bare8, hex8 } from '../../isa/hex.js';
import { helpFor, resolveIn, type CommandSpec } from '../debug/commands.js';
import { addressLabel, displayLine, frameLine, parseExamine, unitText, type ExamineFormat } from '../debug/format.js';
import { unwind, type Frame } from '../debug/unwind.js';

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
  /** `break LOC if EXPR`: stops only where EXPR is not 0. */
  readonly cond: string | undefined;
  /** `tbreak`: deleted when it stops the program. */
  readonly temporary: boolean;
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
  | 'step' | 'next' | 'finish' | 'until' | 'continue' | 'break' | 'tbreak' | 'watch' | 'delete' | 'breakpoints'
  | 'display' | 'undisplay' | 'regs' | 'mem' | 'disasm' | 'print' | 'info' | 'where' | 'backtrace' | 'run' | 'help' | 'quit';

/** A command of the table (parsed by the debuggers' shared resolver, vm/debug/commands.ts). */
export interface DebuggerCommand extends CommandSpec {
  readonly name: CommandName;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const plain: DebuggerStyle = { changed: (s) => s, alert: (s) => s };

/** The disassembly takes this many columns in a trace line, as in `run --trace`. */
const DISASM_COLUMN = 24;
const DEFAULT_DUMP = 64;
const MAX_DUMP = 64 * 1024;
const DEFAULT_DISASM = 8;
const MAX_DISASM = 4096;

/** Every command, in the order `help` lists them. A unique prefix of a name works too. */
export const DEBUGGER_COMMANDS: readonly DebuggerCommand[] = [
  { name: 'step', aliases: ['s', 'si', 'stepi'], usage: 'step [N]', help: 'execute N instructions (default 1), showing each, then the next one' },
  { name: 'next', aliases: ['n', 'ni', 'nexti'], usage: 'next [N]', help: 'like step, but a call runs until it returns' },
  { name: 'finish', aliases: ['fin'], usage: 'finish', help: "run until the current function returns to its caller (read from the function's prologue)" },
  { name: 'until', aliases: ['u', 'advance'], usage: 'until LOC', help: 'run until pc reaches LOC (or a breakpoint, a watchpoint, exit or a fault)' },
  { name: 'continue', aliases: ['c', 'cont'], usage: 'continue', help: 'run until a breakpoint, a watchpoint, exit or a fault' },
  { name: 'break', aliases: ['b', 'br'], usage: 'break [LOC] [if EXPR]', help: 'breakpoint at a label, address, sum (loop+8) or FILE:LINE; default pc; with if, only where EXPR is not 0' },
  { name: 'tbreak', aliases: ['tb'], usage: 'tbreak [LOC] [if EXPR]', help: 'a breakpoint that is deleted when it stops the program' },
  { name: 'watch', aliases: ['w'], usage: 'watch ADDR', help: 'stop when the 32-bit word at ADDR changes' },
  { name: 'delete', aliases: ['d'], usage: 'delete N...|all', help: 'remove breakpoints or watchpoints by number, or all' },
  { name: 'breakpoints', aliases: [], usage: 'breakpoints', help: 'list breakpoints and watchpoints (also: info breakpoints)' },
  { name: 'display', aliases: ['disp'], usage: 'display [EXPR]', help: 'print EXPR at every stop; alone: list the displays' },
  { name: 'undisplay', aliases: [], usage: 'undisplay [N...]', help: 'stop displaying (all when none given)' },
  { name: 'regs', aliases: ['r', 'registers'], usage: 'regs', help: 'registers in hex and decimal, and pc; * marks what changed since the previous stop' },
  { name: 'mem', aliases: ['m', 'x'], usage: 'mem ADDR [LEN] | x/NFU ADDR', help: `hex dump of LEN bytes (default ${DEFAULT_DUMP}) from ADDR; x/NFU as gdb: N units, format x d u c s i, unit b h w` },
  { name: 'disasm', aliases: ['dis', 'disas', 'disassemble'], usage: 'disasm [ADDR] [N]', help: `N instructions (default ${DEFAULT_DISASM}) from ADDR (default pc), marking pc and breakpoints` },
  { name: 'print', aliases: ['p'], usage: 'print[/x|d|u|c] EXPR', help: 'the value of an expression in hex and decimal: registers, labels, *ADDR, p[i], arithmetic' },
  { name: 'info', aliases: ['i'], usage: 'info [breakpoints|registers]', help: 'alone: same as where' },
  { name: 'where', aliases: [], usage: 'where', help: 'pc, the instruction, the nearest label, instructions retired' },
  { name: 'backtrace', aliases: ['bt'], usage: 'backtrace', help: "the frame chain, read from each function's prologue (saved ra, sp)" },
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
  /** `display` expressions, printed at every stop. */
  private readonly displays: { readonly id: number; readonly expr: string }[] = [];
  private nextDisplay = 1;
  /** The last x/NFU format and where the next x without an address goes on, as gdb keeps them. */
  private examine: ExamineFormat = { count: 1, letter: 'x', size: 4 };
  private examineNext: number | undefined;
  /** Registers and pc at the previous stop and at this one: `regs` marks the difference. */
  private before: Int32Array;
  private atStop: Int32Array;
  /** The process as run control's target, and the run control driving it (both new on `run`). */
  private target!: ProcessTarget;
  private control!: RunControl;
  /** System calls served during the instruction being traced. */
  private readonly calls: SyscallEvent[] = [];
  private tracing = false;
  private busy = false;
  /** The last step/next, repeated by an empty line. */
  private repeatable: string | undefined;
  private readonly handle: Readonly<Record<CommandName, (args: readonly string[], format: string | undefined) => void | Promise<void>>>;
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
    if (this.busy) this.control.interrupt();
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
    const r = resolveIn(DEBUGGER_COMMANDS, word);
    if (!r.ok) {
      this.print(r.error);
      return false;
    }
    const found = r.spec;
    if (found.name === 'quit') return true;
    if (r.format !== undefined && found.name !== 'mem' && found.name !== 'print') {
      this.print(`${found.name} takes no /FORMAT (only x/NFU and print/F do)`);
      return false;
    }
    // Enter repeats a step or next, and an x/NFU goes on from where the last one ended.
    this.repeatable = found.name === 'step' || found.name === 'next' ? text : found.name === 'mem' && r.format !== undefined ? 'x/' : undefined;
    try {
      await this.handle[found.name](args, r.format);
    } catch (err) {
      // A bug here must not end the session: say so and keep the prompt.
      this.print(this.style.alert(`internal error in the debugger: ${err instanceof Error ? err.message : String(err)}`));
    }
    return false;
  }

  // ---- command table --------------------------------------------------------

  private handlers(): Readonly<Record<CommandName, (args: readonly string[], format: string | undefined) => void | Promise<void>>> {
    return {
      step: (a) => this.cmdStep(a),
      next: (a) => this.cmdNext(a),
      finish: (a) => this.cmdFinish(a),
      until: (a) => this.cmdUntil(a),
      continue: (a) => this.cmdContinue(a),
      break: (a) => this.cmdBreak(a, false),
      tbreak: (a) => this.cmdBreak(a, true),
      watch: (a) => this.cmdWatch(a),
      delete: (a) => this.cmdDelete(a),
      breakpoints: (a) => this.cmdBreakpoints(a),
      display: (a) => this.cmdDisplay(a),
      undisplay: (a) => this.cmdUndisplay(a),
      regs: (a) => this.cmdRegs(a),
      mem: (a, f) => (f === undefined ? this.cmdMem(a) : this.cmdExamine(a, f)),
      disasm: (a) => this.cmdDisasm(a),
      print: (a, f) => this.cmdPrint(a, f),
      info: (a) => this.cmdInfo(a),
      where: (a) => this.cmdWhere(a),
      backtrace: (a) => this.cmdBacktrace(a),
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
    const notes = [
      'ADDR and LOC: numbers (0x2000, 64), registers (sp, a0), pc, labels, joined by + and - without spaces (sp+16, loop+8)',
      'an empty line repeats the last step or next (and x/NFU goes on); lines starting with # are ignored',
    ];
    for (const line of helpFor(DEBUGGER_COMMANDS, 38, notes)) this.print(line);
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

  private async cmdStep(args: readonly string[]): Promise<void> {
    const n = this.countArg('step', args);
    if (n === undefined || this.notRunning()) return;
    let stop: Stop = { kind: 'done' };
    for (let i = 0; i < n; i++) {
      stop = (await this.stepOne(true, i < n - 1, undefined)) ?? { kind: 'done' };
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
      if (this.target.programBreakAt !== pc && isCall(instructionAt(this.vm.machine, pc))) {
        const target = { addr: (pc + 4) >>> 0, sp: cpu.regs[Reg.SP]! >>> 0 };
        const start = cpu.instret;
        // A breakpoint at the callee's first instruction stops there.
        stop = (await this.stepOne(true, true, undefined)) ?? (await this.resume(target));
        if (stop.kind === 'done') this.print(`  (returned after ${plural(cpu.instret - start, 'instruction')})`);
      } else {
        stop = (await this.stepOne(true, i < n - 1, undefined)) ?? { kind: 'done' };
      }
    }
    this.reportStop(stop);
  }

  private async cmdContinue(args: readonly string[]): Promise<void> {
    if (!this.noArgs('continue', args) || this.notRunning()) return;
    this.reportStop(await this.resume(undefined));
  }

  private async cmdFinish(args: readonly string[]): Promise<void> {
    if (!this.noArgs('finish', args) || this.notRunning()) return;
    const { frames } = this.frames();
    if (frames.length < 2) {
      this.print('finish: there is no caller to return to (the frame chain ends here — try until LOC)');
      return;
    }
    const caller = frames[1]!;
    this.print(`run till exit from ${frames[0]!.fn ?? this.where(frames[0]!.pc)}, back to ${this.where(caller.pc)}`);
    this.reportStop(await this.resume({ addr: caller.pc, sp: caller.sp }));
  }

  private frames(): { readonly frames: Frame[]; readonly end: string | undefined } {
    const cpu = this.vm.machine.cpu;
    const load = (va: number): number | undefined => ((va & 3) === 0 ? this.readWord(va) : undefined);
    return unwind({ pc: cpu.pc, sp: cpu.regs[Reg.SP]!, ra: cpu.regs[Reg.RA]!, functionAt: this.functionAt, load });
  }

  private cmdBacktrace(args: readonly string[]): void {
    if (!this.noArgs('backtrace', args)) return;
    const { frames, end } = this.frames();
    frames.forEach((f, i) => this.print(frameLine(f, i)));
    if (end !== undefined) this.print(`(${end})`);
  }

  private async cmdUntil(args: readonly string[]): Promise<void> {
    if (args.length === 0) return this.cmdNext(args);
    if (args.length > 1) {
      this.print('usage: until LOC   (a label, an address, loop+8, FILE:LINE; no spaces)');
      return;
    }
    const a = this.codeAddress(args[0]!);
    if (!a.ok) {
      this.print(`until: ${a.error}`);
      return;
    }
    if (this.notRunning()) return;
    // A return target whose stack test always holds: the first arrival at LOC stops.
    this.reportStop(await this.resume({ addr: a.value, sp: 0 }));
  }

  /** The function holding addr: the nearest label at or before it that is not local (`.loop`, named `fn.loop`), in code. */
  private readonly functionAt = (addr: number): { readonly name: string; readonly addr: number } | undefined => {
    if (this.codeSection(addr >>> 0) === undefined) return undefined;
    let best: { readonly name: string; readonly addr: number } | undefined;
    for (const s of this.vm.image.symbols) {
      const a = s.value >>> 0;
      if (s.kind !== 'label' || s.name.includes('.') || a > addr >>> 0 || this.codeSection(a) === undefined) continue;
      if (best === undefined || a > best.addr) best = { name: s.name, addr: a };
    }
    return best;
  };

  /**
   * One instruction, unpatched, through run control. `trace` prints it as
   * `run --trace` does; `more` says whether arriving at a breakpoint (or the
   * target of a next) should stop a longer walk. Undefined when the program
   * simply goes on.
   */
  private async stepOne(trace: boolean, more: boolean, target: ReturnTarget | undefined): Promise<Stop | undefined> {
    const m = this.vm.machine;
    const pc = m.cpu.pc;
    const word = instructionAt(m, pc);
    const text = word === undefined ? '(cannot fetch)' : formatInstruction(word, pc, this.vm.symbols.at);
    const rd = word === undefined ? undefined : writtenRegister(word);
    // A line without a register goes out first, so a syscall's output follows its instruction.
    if (trace && rd === undefined) this.print(traceLine(pc, text));
    let end: RunEnd<Stop>;
    this.tracing = trace;
    try {
      end = await this.control.run(() => this.tested(more, target), 1);
    } finally {
      this.tracing = false;
    }
    const stepped = this.target.programBreak === undefined && this.vm.result === undefined;
    if (trace && rd !== undefined) this.print(stepped ? traceLine(pc, text, { reg: rd, value: m.cpu.regs[rd]! }) : traceLine(pc, text));
    for (const e of this.calls) this.print(`  -> ${formatSyscall(e)}`);
    this.calls.length = 0;
    return end.kind === 'limit' ? undefined : this.stopOf(end);
  }

  /** The stop test run control applies after each tick (or batch): the program's own break, watchpoints, arrivals. */
  private tested(more: boolean, target: ReturnTarget | undefined): Stop | undefined {
    const t = this.target;
    if (t.programBreak !== undefined) return { kind: 'program-break', pc: t.programBreak };
    const hits = this.checkWatches();
    if (hits.length > 0) return { kind: 'watch', pc: t.previousPc, hits };
    return more ? this.arrivedAt(this.vm.machine.cpu.pc, target) : undefined;
  }

  private stopOf(end: RunEnd<Stop>): Stop {
    switch (end.kind) {
      case 'stop':
        return end.stop;
      case 'interrupted':
        return { kind: 'interrupted' };
      case 'limit':
        return { kind: 'done' };
      case 'ended':
        return { kind: 'ended', result: this.vm.result! };
    }
  }

  /** A stop for arriving at `pc` (a breakpoint, or the place `next` waits for), else undefined. */
  private arrivedAt(pc: number, target: ReturnTarget | undefined): Stop | undefined {
    if (target !== undefined && pc === target.addr && this.vm.machine.cpu.regs[Reg.SP]! >>> 0 >= target.sp) return { kind: 'done' };
    for (const bp of this.breakpoints.values()) {
      // A false condition goes on: the target steps past the patched word and resumes.
      if (bp.addr === pc && this.conditionHolds(bp)) {
        bp.hits++;
        if (bp.temporary) this.breakpoints.delete(bp.id);
        return { kind: 'breakpoint', bp };
      }
    }
    return undefined;
  }

  /**
   * Run until something stops the program: a breakpoint, a watchpoint, the
   * return `target` (for next), exit, a fault, or interrupt(). Without
   * watchpoints run control takes the target's fast path (software
   * breakpoints at every breakpoint and the return target, ProcessTarget.run);
   * with any, it goes one instruction at a time comparing each watched word.
   */
  private async resume(target: ReturnTarget | undefined): Promise<Stop> {
    this.busy = true;
    try {
      // Leave the current instruction unpatched, so a breakpoint right here does not fire again.
      const first = await this.stepOne(false, true, target);
      if (first !== undefined) return first;
      const test = (): Stop | undefined => this.tested(true, target);
      if (this.watchpoints.size > 0) return this.stopOf(await this.control.run(test));
      const stopAt = new Set([...this.breakpoints.values()].map((b) => b.addr));
      if (target !== undefined) stopAt.add(target.addr);
      return this.stopOf(await this.control.run(test, Infinity, stopAt));
    } finally {
      this.busy = false;
      this.target.settle();
    }
  }

  // ---- reporting stops ------------------------------------------------------

  private reportStop(stop: Stop): void {
    switch (stop.kind) {
      case 'done':
        break;
      case 'breakpoint':
        this.print(stop.bp.temporary ? `temporary breakpoint ${stop.bp.id} hit (now deleted)` : `breakpoint ${stop.bp.id} hit (${plural(stop.bp.hits, 'time')})`);
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
    this.showDisplays();
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

  private cmdBreak(args: readonly string[], temporary: boolean): void {
    const name = temporary ? 'tbreak' : 'break';
    const ifAt = args.findIndex((w) => w.toLowerCase() === 'if');
    const loc = ifAt < 0 ? args : args.slice(0, ifAt);
    const cond = ifAt < 0 ? undefined : args.slice(ifAt + 1).join(' ');
    if (loc.length > 1 || cond === '') {
      this.print(`usage: ${name} [LOC]${ifAt < 0 ? '' : ' [if EXPR]'}   (LOC: a label, an address, loop+8, FILE:LINE; no spaces)`);
      return;
    }
    if (cond !== undefined) {
      // A condition that cannot be parsed is refused now; one that reads memory not yet mapped may work later.
      const v = this.evaluate(cond);
      if (!v.ok && !v.error.startsWith('cannot read')) {
        this.print(`${name}: the condition: ${v.error}`);
        return;
      }
    }
    const a = loc.length === 0 ? ({ ok: true, value: this.vm.machine.cpu.pc } as const) : this.codeAddress(loc[0]!);
    if (!a.ok) {
      this.print(`${name}: ${a.error}`);
      return;
    }
    const existing = [...this.breakpoints.values()].find((b) => b.addr === a.value);
    if (existing) {
      this.print(`breakpoint ${existing.id} is already at ${this.where(a.value)}`);
      return;
    }
    const bp: Breakpoint = { id: this.nextId++, addr: a.value, cond, temporary, hits: 0 };
    this.breakpoints.set(bp.id, bp);
    this.print(`${temporary ? 'temporary breakpoint' : 'breakpoint'} ${bp.id}${cond === undefined ? '' : ` (if ${cond})`} at ${this.instructionLine(bp.addr)}`);
  }

  /** Does a breakpoint's condition hold (no condition: yes)? One that cannot be evaluated stops, saying why. */
  private conditionHolds(bp: Breakpoint): boolean {
    if (bp.cond === undefined) return true;
    const v = this.evaluate(bp.cond);
    if (v.ok) return v.value !== 0;
    this.print(`breakpoint ${bp.id}: the condition cannot be evaluated (${v.error}); stopping`);
    return true;
  }

  // ---- displays -------------------------------------------------------------

  private cmdDisplay(args: readonly string[]): void {
    if (args.length === 0) {
      if (this.displays.length === 0) this.print('no displays');
      for (const d of this.displays) this.print(`${d.id}: ${d.expr}`);
      return;
    }
    const expr = args.join(' ');
    const v = this.evaluate(expr);
    if (!v.ok && !v.error.startsWith('cannot read')) {
      this.print(`display: ${v.error}`);
      return;
    }
    const d = { id: this.nextDisplay++, expr };
    this.displays.push(d);
    this.print(displayLine(d.id, d.expr, v));
  }

  private cmdUndisplay(args: readonly string[]): void {
    if (args.length === 0) {
      this.displays.length = 0;
      this.print('no displays');
      return;
    }
    for (const a of args) {
      const i = this.displays.findIndex((d) => d.id === parsePositive(a));
      if (i < 0) this.print(`undisplay: there is no display '${a}'`);
      else this.displays.splice(i, 1);
    }
  }

  private showDisplays(): void {
    for (const d of this.displays) this.print(displayLine(d.id, d.expr, this.evaluate(d.expr)));
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
      const extra = `${b.temporary ? ', temporary' : ''}${b.cond === undefined ? '' : `, if ${b.cond}`}`;
      rows.push([b.id, `${String(b.id).padStart(3)}  breakpoint  ${hex8(b.addr)}  ${(this.vm.symbols.near(b.addr) ?? '').padEnd(16)} hit ${plural(b.hits, 'time')}${extra}`]);
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

  /** gdb's x/NFU, with the kernel debugger's units and formats (vm/debug/format.ts). */
  private cmdExamine(args: readonly string[], format: string): void {
    const f = parseExamine(format, this.examine);
    if (typeof f === 'string') {
      this.print(`x: ${f}`);
      return;
    }
    let addr: number | undefined;
    if (args.length === 0) {
      addr = this.examineNext;
      if (addr === undefined) {
        this.print('usage: x/NFU ADDR   (N a count, F one of x d u c s i, U one of b h w; e.g. x/4xw sp)');
        return;
      }
    } else addr = this.address('x', args.join(' '));
    if (addr === undefined) return;
    this.examine = f;
    const near = (a: number): string | undefined => this.vm.symbols.near(a);
    if (f.letter === 'i') {
      for (let i = 0; i < f.count; i++) {
        const pc = (addr + 4 * i) >>> 0;
        this.print(`${pc === this.vm.machine.cpu.pc ? '=> ' : '   '}${this.instructionLine(pc)}`);
      }
      this.examineNext = (addr + 4 * f.count) >>> 0;
      return;
    }
    if (f.letter === 's') {
      let a = addr;
      for (let i = 0; i < f.count; i++) {
        const start = a;
        const bytes: number[] = [];
        for (; bytes.length < 256; a = (a + 1) >>> 0) {
          const b = this.readByte(a);
          if (b === undefined) {
            this.print(`${addressLabel(a, near)}: <not mapped>`);
            return;
          }
          if (b === 0) break;
          bytes.push(b);
        }
        this.print(`${addressLabel(start, near)}: ${JSON.stringify(String.fromCharCode(...bytes))}`);
        a = (a + 1) >>> 0;
      }
      this.examineNext = a;
      return;
    }
    const perLine = f.size === 1 ? 8 : 4;
    for (let i = 0; i < f.count; i += perLine) {
      const cells: string[] = [];
      for (let j = i; j < Math.min(f.count, i + perLine); j++) {
        const a = (addr + j * f.size) >>> 0;
        if ((a & (f.size - 1)) !== 0) {
          this.print(`x: ${hex8(a)} is not aligned to ${f.size} bytes`);
          return;
        }
        let v = 0;
        let mapped = true;
        for (let k = f.size - 1; k >= 0; k--) {
          const b = this.readByte((a + k) >>> 0);
          if (b === undefined) mapped = false;
          v = (v << 8) | (b ?? 0);
        }
        if (!mapped) {
          cells.push('<not mapped>');
          break;
        }
        cells.push(unitText(v, f));
      }
      this.print(`${addressLabel((addr + i * f.size) >>> 0, near)}:  ${cells.join('  ')}`);
      if (cells[cells.length - 1] === '<not mapped>') break;
    }
    this.examineNext = (addr + f.count * f.size) >>> 0;
  }

  /** A byte as the program would load it, or undefined if it cannot. */
  private readByte(addr: number): number | undefined {
    const m = this.vm.machine;
    const off = m.hostOffset(addr >>> 0, Mode.USER, PTE_R);
    return off < 0 ? undefined : m.memory.u8[off]!;
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

  private cmdPrint(args: readonly string[], format: string | undefined): void {
    if (format !== undefined && !/^[xduc]$/.test(format)) {
      this.print(`print: bad format '/${format}': one of x d u c`);
      return;
    }
    if (args.length === 0) {
      this.print('usage: print EXPR   (numbers, registers, labels, *ADDR, p[i], + - * / & | ^ << >> ( ))');
      return;
    }
    const v = this.address('print', args.join(' '));
    if (v === undefined) return;
    if (format !== undefined) {
      this.print(unitText(v, { count: 1, letter: format, size: 4 }));
      return;
    }
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
    this.target = new ProcessTarget(vm);
    this.control = new RunControl(this.target, this.pause);
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
