/**
 * The kernel debugger: gdb's commands over a guest kernel on the bare
 * machine or under a monitor. Each concern in its own module:
 *
 *   commands.ts     the command language (table, abbreviations, help)
 *   run-control.ts  ticks, stop tests, checkpoints and replay (reverse)
 *   stops.ts        breakpoints, watchpoints, displays: what stops a run
 *   guest-view.ts   the guest's memory, symbols and expressions as it sees them
 *   format.ts       registers, x/NFU, trap descriptions as lines
 *
 * This class ties them to a DebugTarget: one method per command that runs,
 * inspects or goes back. It does no I/O: lines go out through `print`, so a
 * REPL, a batch file, a daemon connection and the tests all drive it the
 * same way. execute() never throws: a malformed command gets one line saying
 * what is wrong and how the command is used.
 */
import { decode } from '../../isa/encoding.js';
import type { Image } from '../../isa/image.js';
import { Op } from '../../isa/opcodes.js';
import { Reg, registerNumber } from '../../isa/registers.js';
import { Csr, csrNumber } from '../../isa/csr.js';
import { hex8 } from '../../isa/hex.js';
import { causeName } from '../trap.js';
import { Mode } from '../cpu.js';
import { helpLines, KERNEL_COMMANDS, parseCount, resolveCommand, usageOf } from './commands.js';
import { addressLabel, describeTrap, frameLine, frameName, modeName, parseExamine, registerLines, registerSnapshot, unitText, type ExamineFormat } from './format.js';
import { mappings, pagingRoot, walk } from './page-walk.js';
import { RunControl, type RunEnd, type TickInfo } from './run-control.js';
import type { DebugTarget } from './target.js';
import type { Frame } from './unwind.js';
import { GuestView } from './guest-view.js';
import { Stops, type Stop } from './stops.js';

export interface KernelDebuggerOptions {
  readonly target: DebugTarget;
  /** The kernel image (its symbols). */
  readonly image: Image;
  readonly print: (line: string) => void;
  /** Awaited now and then in long runs, so the host can interrupt(). */
  readonly pause?: () => Promise<void>;
  /** What the session is debugging, for the first line (`vm1 under the native monitor`). */
  readonly title?: string;
}

const DEFAULT_DISASM = 8;

export class KernelDebugger {
  readonly control: RunControl;
  private readonly target: DebugTarget;
  private readonly print: (line: string) => void;
  private readonly view: GuestView;
  private readonly stops: Stops;
  private before: Int32Array | undefined;
  private repeatable: string | undefined;
  private examine: ExamineFormat = { count: 1, letter: 'x', size: 4 };
  private examineNext: number | undefined;
  private busy = false;
  private readonly title: string | undefined;

  constructor(options: KernelDebuggerOptions) {
    this.target = options.target;
    this.print = options.print;
    this.title = options.title;
    this.control = new RunControl(options.target, options.pause);
    this.view = new GuestView(options.target, options.image);
    this.stops = new Stops(options.target, this.view, this.print, (command, text) => this.value(command, text));
  }

  get running(): boolean {
    return this.busy;
  }

  interrupt(): void {
    this.control.interrupt();
  }

  /** The first lines of a session: what is debugged and where it stands. */
  begin(): void {
    if (this.title) this.print(this.title);
    if (!this.control.reversible) this.print(`reverse execution is not available: ${this.target.irreversible}`);
    this.printWhere();
  }

  /** Run one command line. Resolves true when the session should end. Never throws. */
  async execute(line: string): Promise<boolean> {
    let text = line.trim();
    if (text.startsWith('#')) return false;
    if (text === '') {
      if (this.repeatable === undefined) return false;
      text = this.repeatable;
    }
    const space = text.search(/\s/);
    const word = space < 0 ? text : text.slice(0, space);
    const rest = space < 0 ? '' : text.slice(space + 1).trim();
    const r = resolveCommand(word);
    if (!r.ok) {
      this.print(r.error);
      return false;
    }
    if (r.spec.name === 'quit') return true;
    this.repeatable = ['step', 'next', 'reverse-step', 'reverse-next'].includes(r.spec.name) ? text : r.spec.name === 'x' ? 'x' : undefined;
    this.busy = true;
    try {
      await this.dispatch(r.spec.name, rest, r.format);
    } catch (err) {
      // A bug here must not end the session: say so in one line and keep the prompt.
      this.print(`internal error in the debugger: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.busy = false;
    }
    return false;
  }

  private async dispatch(name: string, args: string, format: string | undefined): Promise<void> {
    if (format !== undefined && name !== 'x' && name !== 'print') {
      this.print(`${name} takes no /FORMAT — ${usageOf(name)}`);
      return;
    }
    switch (name) {
      case 'step': return this.cmdStep(args);
      case 'next': return this.cmdNext(args);
      case 'finish': return this.cmdFinish(args);
      case 'until': return this.cmdUntil(args);
      case 'continue': return this.cmdContinue(args);
      case 'break': return this.stops.addBreak(args, false);
      case 'tbreak': return this.stops.addBreak(args, true);
      case 'watch': return this.stops.addWatch(args);
      case 'delete': return this.stops.delete(args);
      case 'display': return this.stops.addDisplay(args);
      case 'undisplay': return this.stops.undisplay(args);
      case 'print': return this.cmdPrint(args, format);
      case 'set': return this.cmdSet(args);
      case 'x': return this.cmdExamine(args, format);
      case 'disassemble': return this.cmdDisassemble(args);
      case 'registers': return void (this.noArgs('registers', args) && this.showRegisters());
      case 'backtrace': return void (this.noArgs('backtrace', args) && this.cmdBacktrace());
      case 'translate': return this.cmdTranslate(args);
      case 'info': return this.cmdInfo(args);
      case 'reverse-step': return this.cmdReverseStep(args);
      case 'reverse-next': return this.cmdReverseNext(args);
      case 'reverse-continue': return this.cmdReverseContinue(args);
      case 'goto': return this.cmdGoto(args);
      case 'help': return this.cmdHelp(args);
    }
  }

  private noArgs(name: string, args: string): boolean {
    if (args === '') return true;
    this.print(`${name} takes no arguments — ${usageOf(name)}`);
    return false;
  }

  private cmdHelp(args: string): void {
    if (args === '') {
      for (const l of helpLines()) this.print(l);
      return;
    }
    const r = resolveCommand(args);
    if (!r.ok) this.print(r.error);
    else this.print(usageOf(r.spec.name));
  }

  /** The value of an argument, or undefined after one line saying what is wrong. */
  private value(command: string, text: string): number | undefined {
    if (text === '') {
      this.print(usageOf(command));
      return undefined;
    }
    const v = this.view.evaluate(text);
    if (v.ok) return v.value;
    this.print(`${command}: ${v.error}`);
    return undefined;
  }

  // ---- stops ---------------------------------------------------------------------

  private printWhere(): void {
    const cpu = this.target.cpu;
    this.print(`=> ${this.view.instructionLine(cpu.pc)}`);
    this.print(`   [${modeName(cpu.mode)} mode, ${cpu.instret} instructions retired, tick ${this.control.tick}]`);
  }

  private afterStop(): void {
    this.printWhere();
    this.stops.showDisplays();
    this.before = registerSnapshot(this.target.cpu);
  }

  private reportEnd(r: RunEnd<Stop>, trap: TickInfo['trap']): void {
    if (r.kind === 'ended') {
      const e = r.end;
      this.print(e.kind === 'halted' ? `the guest powered off with status ${e.status}` : e.kind === 'stuck' ? `the guest is stuck: ${e.reason}` : `the monitor stopped the guest: ${e.reason}`);
      return;
    }
    if (r.kind === 'interrupted') this.print('interrupted');
    if (r.kind === 'stop') this.stops.describe(r.stop);
    if (trap) this.print(`trap: ${describeTrap(trap.cause, trap.from, trap.epc, trap.badaddr, trap.t0)}`);
    this.afterStop();
  }

  /** Run forward with the breakpoints and an extra test; report the stop. */
  /** Run forward with the breakpoints and an extra test (true only at one of `extraPcs`, when given: then a target may run in batches). */
  private async runForward(extra: (info: TickInfo) => boolean, limit = Infinity, extraPcs?: readonly number[]): Promise<void> {
    let lastTrap: TickInfo['trap'];
    const r = await this.control.run<Stop>((info) => {
      lastTrap = info.trap;
      const s = this.stops.check(info, true);
      if (s) return s;
      return extra(info) ? { kind: 'arrived' } : undefined;
    }, limit, extraPcs === undefined ? undefined : this.stops.batchStops(extraPcs));
    if (r.kind === 'stop' && r.stop.kind === 'breakpoint' && r.stop.bp.temporary) this.stops.remove(r.stop.bp);
    this.reportEnd(r, lastTrap);
  }

  private ended(): boolean {
    const e = this.control.ended;
    if (e === undefined) return false;
    this.print(`the guest has ${e.kind === 'halted' ? `powered off (status ${e.status})` : e.kind === 'stuck' ? 'stopped: it waits for an interrupt nothing can raise' : 'been stopped by the monitor'}${this.control.reversible ? " — reverse-step or goto go back" : ''}`);
    return true;
  }

  // ---- going forward -------------------------------------------------------------

  private countArg(name: string, args: string): number | undefined {
    if (args === '') return 1;
    const n = parseCount(args);
    if (n === undefined) this.print(`${name}: '${args}' is not a positive whole number — ${usageOf(name)}`);
    return n;
  }

  private async cmdStep(args: string): Promise<void> {
    const n = this.countArg('step', args);
    if (n === undefined || this.ended()) return;
    await this.runForward(() => false, n, []);
  }

  /** The instruction at pc is a call (jal/jalr writing ra): its return address. */
  private callReturn(): number | undefined {
    const pc = this.target.cpu.pc;
    const w = this.view.loadWord(pc);
    const ins = w === undefined ? undefined : decode(w);
    return ins !== undefined && (ins.op === Op.JAL || ins.op === Op.JALR) && ins.rd === Reg.RA ? (pc + 4) >>> 0 : undefined;
  }

  private async cmdNext(args: string): Promise<void> {
    const n = this.countArg('next', args);
    if (n === undefined || this.ended()) return;
    for (let i = 0; i < n; i++) {
      const ret = this.callReturn();
      const cpu = this.target.cpu;
      const sp = cpu.regs[Reg.SP]!;
      const mode = cpu.mode;
      let stopped = false;
      const last = i === n - 1;
      if (ret === undefined) {
        if (!last) {
          const info = this.control.advance();
          if (info.end.kind !== 'ticked') return this.reportEnd({ kind: 'ended', end: info.end }, undefined);
          continue;
        }
        return this.runForward(() => true, 1, []);
      }
      // Over the call: until it comes back here with the stack where it was.
      let stop: RunEnd<Stop> | undefined;
      if (!last) {
        stop = await this.control.run<Stop>((info) => this.stops.check(info, true) ?? (cpu.pc === ret && cpu.regs[Reg.SP]! >>> 0 >= sp >>> 0 && cpu.mode === mode ? { kind: 'arrived' } : undefined));
        stopped = !(stop.kind === 'stop' && stop.stop.kind === 'arrived');
        if (stopped) return this.reportEnd(stop, undefined);
        continue;
      }
      return this.runForward(() => cpu.pc === ret && cpu.regs[Reg.SP]! >>> 0 >= sp >>> 0 && cpu.mode === mode, Infinity, [ret]);
    }
  }

  private async cmdFinish(args: string): Promise<void> {
    if (!this.noArgs('finish', args) || this.ended()) return;
    const cpu = this.target.cpu;
    const { frames, trapAt } = this.view.frames();
    if (trapAt === 0 || (frames.length === 1 && cpu.mode === Mode.SUPERVISOR && trapAt !== undefined)) {
      // In the trap vector itself: its "caller" is the interrupted context.
      const from = (cpu.csr[Csr.STATUS]! & 4) !== 0 ? Mode.SUPERVISOR : Mode.USER;
      this.print(`run till the trap returns (to ${modeName(from)} mode)`);
      return this.runForward((info) => info.modeBefore === Mode.SUPERVISOR && cpu.mode === Mode.USER, Infinity, []);
    }
    const fromUser = (cpu.csr[Csr.STATUS]! & 4) === 0 && cpu.csr[Csr.CAUSE]! !== 0;
    if (frames.length < 2 && cpu.mode === Mode.SUPERVISOR && fromUser) {
      // The outermost kernel frame of a trap from user mode: what it returns to is the user.
      this.print(`run till exit from #0 ${this.frameName(frames[0]!, 0)}: the trap returns to user mode`);
      return this.runForward((info) => info.modeBefore === Mode.SUPERVISOR && cpu.mode === Mode.USER, Infinity, []);
    }
    if (frames.length < 2) {
      this.print('finish: there is no caller to return to (the frame chain ends here — try until LOC)');
      return;
    }
    const caller = frames[1]!;
    this.print(`run till exit from #0 ${this.frameName(frames[0]!, 0)}`);
    const mode = cpu.mode;
    await this.runForward(() => cpu.pc === caller.pc && cpu.regs[Reg.SP]! >>> 0 >= caller.sp && cpu.mode === mode, Infinity, [caller.pc]);
  }

  private async cmdUntil(args: string): Promise<void> {
    if (args === '') return this.cmdNext('');
    const addr = this.value('until', args);
    if (addr === undefined || this.ended()) return;
    const cpu = this.target.cpu;
    await this.runForward(() => cpu.pc === addr, Infinity, [addr]);
  }

  private async cmdContinue(args: string): Promise<void> {
    if (!this.noArgs('continue', args) || this.ended()) return;
    await this.runForward(() => false, Infinity, []);
  }

  // ---- looking ---------------------------------------------------------------------

  private cmdPrint(args: string, format: string | undefined): void {
    if (format !== undefined && !/^[xduc]$/.test(format)) return this.print(`print: bad format '/${format}': one of x d u c`);
    const v = this.value('print', args);
    if (v === undefined) return;
    const near = this.view.near(v);
    if (format !== undefined) return this.print(`${args} = ${unitText(v, { count: 1, letter: format, size: 4 })}`);
    this.print(`${args} = ${hex8(v)}  ${v >>> 0}  ${v | 0}${near === undefined ? '' : `  <${near}>`}`);
  }

  private cmdSet(args: string): void {
    const m = /^(?:var\s+)?(.+?)\s*=\s*(.+)$/.exec(args);
    if (!m || m[1]!.trim() === '' || m[2]!.includes('==') && !m[1]) return this.print(usageOf('set'));
    const lhs = m[1]!.trim();
    const v = this.value('set', m[2]!.trim());
    if (v === undefined) return;
    const cpu = this.target.cpu;
    if (lhs.startsWith('*')) {
      const a = this.value('set', lhs.slice(1));
      if (a === undefined) return;
      if ((a & 3) !== 0) return this.print(`set: ${hex8(a)} is not word-aligned (set *ADDR writes a 32-bit word)`);
      const pa = this.view.physical(a);
      if (pa === undefined || this.target.memory.offsetOf(pa, 4) < 0) return this.print(`set: nothing maps ${hex8(a)} to RAM in the current address space`);
      this.target.memory.writeWord(pa, v);
      this.target.invalidate();
      return this.print(`*${hex8(a)} = ${hex8(v)}`);
    }
    const name = lhs.toLowerCase();
    if (name === 'pc' || name === '$pc') {
      cpu.pc = v >>> 0;
    } else if (registerNumber(name.replace(/^\$/, '')) !== undefined) {
      const r = registerNumber(name.replace(/^\$/, ''))!;
      if (r === 0) return this.print('set: zero is always 0');
      cpu.regs[r] = v | 0;
    } else if (name.startsWith('$') && csrNumber(name.slice(1)) !== undefined) {
      const n = csrNumber(name.slice(1))!;
      if (n === Csr.TIME || n === Csr.TIMEH || n === Csr.IP) return this.print(`set: ${name} is read-only (the time and pending interrupts follow the machine)`);
      cpu.csr[n] = v | 0;
    } else return this.print(`set: '${lhs}' is not a register, $csr, pc or *ADDR — ${usageOf('set')}`);
    this.target.invalidate();
    this.print(`${lhs} = ${hex8(v)}`);
  }

  private cmdExamine(args: string, format: string | undefined): void {
    const f = parseExamine(format, this.examine);
    if (typeof f === 'string') return this.print(`x: ${f}`);
    let addr: number | undefined;
    if (args === '') {
      addr = this.examineNext;
      if (addr === undefined) return this.print(usageOf('x'));
    } else addr = this.value('x', args);
    if (addr === undefined) return;
    this.examine = f;
    if (f.letter === 'i') {
      for (let i = 0; i < f.count; i++) this.print(`${i === 0 && addr === this.target.cpu.pc ? '=> ' : '   '}${this.view.instructionLine((addr + 4 * i) >>> 0)}`);
      this.examineNext = (addr + 4 * f.count) >>> 0;
      return;
    }
    if (f.letter === 's') {
      let a = addr;
      for (let i = 0; i < f.count; i++) {
        const bytes: number[] = [];
        for (; bytes.length < 256; a = (a + 1) >>> 0) {
          const b = this.view.loadBytes(a, 1);
          if (b === undefined) return this.print(`${addressLabel(a, this.view.near)}: <not mapped>`);
          if (b[0] === 0) break;
          bytes.push(b[0]!);
        }
        this.print(`${addressLabel((a - bytes.length) >>> 0, this.view.near)}: ${JSON.stringify(String.fromCharCode(...bytes))}`);
        a = (a + 1) >>> 0;
      }
      this.examineNext = a;
      return;
    }
    const perLine = f.size === 1 ? 8 : 4;
    for (let i = 0; i < f.count; i += perLine) {
      const cells: string[] = [];
      const lineAddr = (addr + i * f.size) >>> 0;
      for (let j = i; j < Math.min(f.count, i + perLine); j++) {
        const a = (addr + j * f.size) >>> 0;
        if ((a & (f.size - 1)) !== 0) return this.print(`x: ${hex8(a)} is not aligned to ${f.size} bytes`);
        const b = this.view.loadBytes(a, f.size);
        if (b === undefined) {
          cells.push('<not mapped>');
          break;
        }
        const v = f.size === 1 ? b[0]! : f.size === 2 ? b[0]! | (b[1]! << 8) : b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
        cells.push(unitText(v, f));
      }
      this.print(`${addressLabel(lineAddr, this.view.near)}:  ${cells.join('  ')}`);
      if (cells[cells.length - 1] === '<not mapped>') break;
    }
    this.examineNext = (addr + f.count * f.size) >>> 0;
  }

  private cmdDisassemble(args: string): void {
    const parts = args === '' ? [] : args.split(/\s+/);
    if (parts.length > 2) return this.print(usageOf('disassemble'));
    const start = parts.length === 0 ? this.target.cpu.pc : this.value('disassemble', parts[0]!);
    if (start === undefined) return;
    const n = parts.length === 2 ? parseCount(parts[1]!) : DEFAULT_DISASM;
    if (n === undefined || n > 4096) return this.print(`disassemble: the count must be 1..4096 — ${usageOf('disassemble')}`);
    const bps = this.stops.codeAddresses();
    for (let i = 0; i < n; i++) {
      const pc = (start + 4 * i) >>> 0;
      const label = this.view.labelAt(pc);
      if (label !== undefined) this.print(`${label}:`);
      this.print(`${pc === this.target.cpu.pc ? '=>' : '  '}${bps.has(pc) ? 'b ' : '  '}${this.view.instructionLine(pc)}`);
    }
  }

  private showRegisters(): void {
    for (const l of registerLines(this.target.cpu, this.before, this.view.near)) this.print(l);
  }

  private frameName(f: Frame, depth: number): string {
    return frameName(f, depth);
  }

  private cmdBacktrace(): void {
    const cpu = this.target.cpu;
    const { frames, end, trapAt } = this.view.frames();
    frames.forEach((f, i) => this.print(frameLine(f, i)));
    if (trapAt !== undefined) {
      const from = (cpu.csr[Csr.STATUS]! & 4) !== 0 ? 'supervisor' : 'user';
      this.print(`#${frames.length}  <trap from ${from} mode: ${causeName(cpu.csr[Csr.CAUSE]! >>> 0)} at ${hex8(cpu.csr[Csr.EPC]!)}>`);
    } else if (end !== undefined && / keeps no saved ra$/.test(end) && cpu.mode === Mode.SUPERVISOR && (cpu.csr[Csr.STATUS]! & 4) === 0 && cpu.csr[Csr.CAUSE]! !== 0) {
      // Entered by a jump, not a call: in a kernel that is the trap vector's hand-off.
      this.print(`#${frames.length}  <trap from user mode: ${causeName(cpu.csr[Csr.CAUSE]! >>> 0)} at ${hex8(cpu.csr[Csr.EPC]!)}>  (${end})`);
    } else if (end !== undefined) this.print(`(${end})`);
  }

  private cmdTranslate(args: string): void {
    const va = this.value('translate', args);
    if (va === undefined) return;
    const root = pagingRoot(this.target.cpu);
    if (root === undefined) return this.print(`paging is off (ptbase ${hex8(this.target.cpu.csr[Csr.PTBASE]!)}): ${hex8(va)} is the physical address`);
    for (const l of walk(this.target.memory, root, va).lines) this.print(l);
  }

  private cmdInfo(args: string): void {
    const [what = '', ...rest] = args.split(/\s+/);
    const arg = rest.join(' ');
    const is = (full: string, min = 1): boolean => what.length >= min && full.startsWith(what.toLowerCase());
    if (what === '') return this.print('info: say what — breakpoints, registers, traps [N], tlb, pagetable [ROOT], vm, display, history, frame');
    if (is('breakpoints') || is('watchpoints')) return this.stops.list();
    if (is('registers')) return this.showRegisters();
    if (is('traps', 2)) return this.infoTraps(arg);
    if (is('tlb', 2)) return this.target.tlbLines().forEach((l) => this.print(l));
    if (is('pagetable')) return this.infoPagetable(arg);
    if (is('vm')) {
      const lines = this.target.vmInfo();
      return lines === undefined ? this.print('info vm: the guest runs on the bare machine, not under a monitor') : lines.forEach((l) => this.print(l));
    }
    if (is('display')) return this.stops.listDisplays();
    if (is('history')) return this.control.describe().forEach((l) => this.print(l));
    if (is('frame')) return this.cmdBacktrace();
    this.print(`info: no '${what}' — breakpoints, registers, traps [N], tlb, pagetable [ROOT], vm, display, history, frame`);
  }

  private infoTraps(arg: string): void {
    const n = arg === '' ? 10 : parseCount(arg);
    if (n === undefined) return this.print(`info traps: '${arg}' is not a positive count`);
    const traps = this.control.traps.slice(-n);
    if (traps.length === 0) return this.print('no traps taken yet');
    this.print(`the last ${traps.length} trap${traps.length === 1 ? '' : 's'} (newest last):`);
    for (const t of traps) this.print(`  tick ${String(t.tick).padStart(9)}  ${describeTrap(t.cause, t.from, t.epc, t.badaddr, t.t0)}`);
  }

  private infoPagetable(arg: string): void {
    let root: number | undefined;
    if (arg !== '') root = this.value('info pagetable', arg);
    else {
      root = pagingRoot(this.target.cpu);
      if (root === undefined) return this.print('paging is off; give a table: info pagetable ROOT');
    }
    if (root === undefined) return;
    this.print(`page table at ${hex8(root)} (virtual → physical, flags vrwxuad):`);
    for (const l of mappings(this.target.memory, (root & ~0xfff) >>> 0, 200)) this.print(l);
  }

  // ---- going back ------------------------------------------------------------------

  private noReverse(): boolean {
    if (this.control.reversible) return false;
    this.print(`reverse execution is not available: ${this.target.irreversible}`);
    return true;
  }

  private cmdReverseStep(args: string): void {
    const n = this.countArg('reverse-step', args);
    if (n === undefined || this.noReverse()) return;
    const to = Math.max(0, this.control.tick - n);
    if (to === this.control.tick) return this.print('already at the start of the recorded history (tick 0)');
    this.control.goto(to);
    this.stops.resetWatches();
    if (to === 0 && this.control.tick - n < 0) this.print('reached the start of the recorded history');
    this.afterStop();
  }

  private cmdReverseNext(args: string): void {
    const n = this.countArg('reverse-next', args);
    if (n === undefined || this.noReverse()) return;
    const cpu = this.target.cpu;
    for (let i = 0; i < n && this.control.tick > 0; i++) {
      const pc0 = cpu.pc;
      const sp0 = cpu.regs[Reg.SP]! >>> 0;
      const mode0 = cpu.mode;
      this.control.goto(this.control.tick - 1);
      // Was the tick undone a return into pc0 from a function this one called? Then back over the call.
      const w = this.view.loadWord(cpu.pc);
      const ins = w === undefined ? undefined : decode(w);
      const returned = ins !== undefined && ins.op === Op.JALR && ins.rd === Reg.ZERO && cpu.mode === mode0 && ((cpu.regs[ins.rs1]! + ins.imm) >>> 0) === pc0;
      if (!returned) continue;
      const here = this.control.tick;
      const found = this.control.findBackward(() => cpu.mode === mode0 && cpu.regs[Reg.SP]! >>> 0 === sp0 && (cpu.pc + 4) >>> 0 === pc0, () => undefined);
      if (found === undefined) this.control.goto(here);
    }
    this.stops.resetWatches();
    this.afterStop();
  }

  private cmdReverseContinue(args: string): void {
    if (!this.noReverse() && this.noArgs('reverse-continue', args)) {
      let last: Stop | undefined;
      const from = this.control.tick;
      const found = this.control.findBackward(
        (info) => {
          const s = this.stops.check(info, false);
          if (s && this.control.tick < from) last = s;
          return s !== undefined;
        },
        () => this.stops.resetWatches(),
      );
      this.stops.resetWatches();
      if (found === undefined || last === undefined) {
        this.print('no earlier breakpoint or watchpoint hit: at the start of the recorded history');
      } else this.stops.describe(last);
      this.afterStop();
    }
  }

  private cmdGoto(args: string): void {
    if (this.noReverse()) return;
    const n = args === '0' ? 0 : parseCount(args);
    if (n === undefined) return this.print(`goto: '${args}' is not an instruction count — ${usageOf('goto')}`);
    const ok = this.control.gotoInstret(n);
    this.stops.resetWatches();
    if (!ok) this.print(`the guest ended before ${n} instructions retired`);
    this.afterStop();
  }
}

export { KERNEL_COMMANDS };
