/**
 * The process VM: one user program on one machine, its system calls served
 * by the host (as the JVM or Wine serve theirs).
 *
 * The machine runs in trapToHost mode with the CPU in user mode and paging
 * on, so every trap comes back here as Exit.TRAP: a `syscall` is served and
 * the program goes on; `break` stops it at a breakpoint; anything else is a
 * fault that ends it with a report. run() is called in slices, never as one
 * endless call: V8 optimises a function entered often, and the budget
 * (--max-instructions) is checked between slices.
 *
 * Exit codes, as a shell sees them (exitCode()): the program's status (low 8
 * bits); 128 + the trap's cause code for a fault (load-fault 6 → 134,
 * breakpoint 4 → 132, divide-by-zero 10 → 138…), like a Unix signal death;
 * 124 when the budget runs out, like timeout(1).
 */
import type { Image } from '../../isa/image.js';
import { Reg } from '../../isa/registers.js';
import { USER_STACK_TOP } from '../../isa/syscalls.js';
import { Csr, Irq, STATUS_IE } from '../../isa/csr.js';
import { Mode } from '../cpu.js';
import { Exit, EXIT_NAMES } from '../exit.js';
import { Machine, type JitDump, type Tier } from '../machine.js';
import { DEFAULT_MEM_SIZE } from '../memmap.js';
import { MemoryError } from '../memory.js';
import { Signal } from '../signal.js';
import { Cause, CAUSES, causeName, isInterrupt } from '../trap.js';
import type { AddressSpace } from './address-space.js';
import { budgetReport, faultReport, type FaultContext } from './fault.js';
import { FileTable } from './file-table.js';
import { FsSandbox } from './fs-sandbox.js';
import type { InputSource, OutputSink } from './host-io.js';
import { LoadError, loadImage } from './loader.js';
import { SyscallServer, type SyscallEvent } from './syscalls.js';
import { Symbols } from './symbols.js';

/** Instructions per call to machine.run(). */
export const SLICE = 1 << 20;

export const EXIT_CODE_BUDGET = 124;
export const EXIT_CODE_FAULT_BASE = 128;

export interface ProcessOptions {
  /** argv; argument 0 is the program's path as given. Default `['program']`. */
  readonly args?: readonly string[];
  /** The directory open() may reach (`--fs DIR`). Without it every open fails with EACCES. */
  readonly fsRoot?: string;
  /** Host fd numbers or in-process callbacks. Default: the real fds 0, 1, 2. */
  readonly stdin?: InputSource;
  readonly stdout?: OutputSink;
  readonly stderr?: OutputSink;
  /** RAM in bytes (multiple of 4 KiB, at most 1 GiB). Default 16 MiB. */
  readonly memSize?: number;
  /** Execution tier (default: the machine's, with the translation tier). */
  readonly tier?: Tier;
  /** Told the source of every translation (MachineOptions.jitDump). */
  readonly jitDump?: JitDump;
  /** The interpreter tier on its WebAssembly core (MachineOptions.core; default on). */
  readonly core?: boolean;
  /** Stop (result `budget`) after this many instructions. Default: no limit. */
  readonly maxInstructions?: number;
  /** Told of every system call served, after it is served. */
  readonly onSyscall?: (event: SyscallEvent) => void;
  /**
   * A timer interrupt every `tick` instructions (1..2^30), taken by the
   * runtime and re-armed, as a preemptive OS tick would be: the program runs
   * with interrupts live, as it would under a kernel (the benchmarks measure
   * it so). Invisible to the program. Default: no timer.
   */
  readonly tick?: number;
}

export type ProcessResult =
  /** The program called exit; `status` is the low 8 bits of its a0. */
  | { readonly kind: 'exit'; readonly status: number }
  /** A trap other than syscall or break: the program cannot go on. */
  | { readonly kind: 'fault'; readonly trap: string; readonly cause: number; readonly pc: number; readonly badaddr: number; readonly report: string }
  /** --max-instructions ran out before the program finished. */
  | { readonly kind: 'budget'; readonly pc: number; readonly report: string }
  /** A `break` instruction. pc stays on it; resume with skipBreakpoint(). */
  | { readonly kind: 'breakpoint'; readonly pc: number; readonly report: string };

/** Why step() came back: it ran every instruction it was asked to, or the program stopped. */
export type StepResult = { readonly kind: 'stepped' } | ProcessResult;

export interface ProcessStats {
  /** Instructions retired (served syscalls included; trapping instructions are not). */
  readonly instructions: number;
  readonly wallMs: number;
  /** Millions of instructions per second of wall time spent running. */
  readonly mips: number;
  /** Traps taken, by cause name (only causes that happened). */
  readonly traps: Readonly<Record<string, number>>;
  /** System calls served, by name. */
  readonly syscalls: Readonly<Record<string, number>>;
  /** System calls with a number the ABI does not define (answered −ENOSYS). */
  readonly unknownSyscalls: number;
  /** 4 KiB frames in use: the program's pages and its page tables. */
  readonly framesUsed: number;
  /** The program break (end of the heap). */
  readonly brk: number;
  /** Timer interrupts taken (the `tick` option); 0 without it. */
  readonly ticks: number;
}

/** The exit status a shell should see for a result (see the file comment). */
export function exitCode(result: ProcessResult): number {
  switch (result.kind) {
    case 'exit': return result.status & 0xff;
    case 'fault': return EXIT_CODE_FAULT_BASE + result.cause;
    case 'breakpoint': return EXIT_CODE_FAULT_BASE + Cause.BREAKPOINT;
    case 'budget': return EXIT_CODE_BUDGET;
  }
}

/** The cause reported for a failure inside the runtime itself (a bug): exit code 255. */
const INTERNAL_CAUSE = 127;

export class ProcessVM {
  readonly machine: Machine;
  readonly image: Image;
  readonly space: AddressSpace;
  readonly files: FileTable;
  readonly syscalls: SyscallServer;
  readonly symbols: Symbols;
  readonly args: readonly string[];
  /** Emitted for every system call served, after it is served (the tracer and the debugger listen). */
  readonly syscall = new Signal<SyscallEvent>();
  private readonly maxInstructions: number;
  private readonly tick: number;
  private ticks = 0;
  private finished: ProcessResult | undefined;
  private wallMs = 0;

  /** Throws LoadError (the image cannot run here), SandboxError (bad --fs directory) or RangeError (bad tick). */
  constructor(image: Image, options: ProcessOptions = {}) {
    this.image = image;
    this.args = options.args ?? ['program'];
    this.maxInstructions = options.maxInstructions ?? Number.POSITIVE_INFINITY;
    if (options.onSyscall) this.syscall.subscribe(options.onSyscall);
    const sandbox = options.fsRoot === undefined ? undefined : new FsSandbox(options.fsRoot);
    try {
      this.machine = new Machine({ memSize: options.memSize ?? DEFAULT_MEM_SIZE, trapToHost: true, ...(options.tier ? { tier: options.tier } : {}), ...(options.jitDump ? { jitDump: options.jitDump } : {}), ...(options.core === false ? { core: false } : {}) });
    } catch (err) {
      if (err instanceof MemoryError) throw new LoadError(err.message, { cause: err });
      throw err;
    }
    const m = this.machine;
    m.reset(image.entry, Mode.USER);
    this.space = loadImage(m.memory, m.mmu, image);
    m.csrWrite(Csr.PTBASE, this.space.table.ptbase);
    m.cpu.regs[Reg.SP] = USER_STACK_TOP;
    this.symbols = new Symbols(image);
    this.files = new FileTable(options.stdin ?? 0, options.stdout ?? 1, options.stderr ?? 2);
    this.syscalls = new SyscallServer({ machine: m, space: this.space, files: this.files, sandbox, args: this.args });
    this.tick = options.tick ?? 0;
    if (options.tick !== undefined) {
      if (!Number.isInteger(options.tick) || options.tick < 1 || options.tick > 2 ** 30) throw new RangeError(`tick must be a whole number of instructions from 1 to 2^30, got ${options.tick}`);
      // In trapToHost mode an interrupt leaves run() like any trap; the CPU never enters supervisor mode.
      m.csrWrite(Csr.IE, 1 << Irq.TIMER);
      m.csrWrite(Csr.STATUS, STATUS_IE);
      this.armTimer();
    }
  }

  /** The next tick, `tick` instructions from now (writing timecmp also clears the pending one). */
  private armTimer(): void {
    this.machine.csrWrite(Csr.TIMECMP, (this.machine.cpu.time + this.tick) % 2 ** 32);
  }

  /** The result once the program has ended (exit, fault, budget), else undefined. */
  get result(): ProcessResult | undefined {
    return this.finished;
  }

  /** Run until the program exits, faults, hits a breakpoint or spends its budget. */
  run(): ProcessResult {
    const r = this.advance(Number.POSITIVE_INFINITY);
    // An unbounded advance only returns when the program stops.
    return r.kind === 'stepped' ? this.finish(this.internal('the run loop returned early')) : r;
  }

  /**
   * Run exactly `n` instructions (a served syscall counts as one), unless the
   * program stops first: for debuggers and the tracer.
   */
  step(n = 1): StepResult {
    return this.advance(n);
  }

  /** Step over the `break` the program stopped at (it retires, as a debugger's "continue" expects). */
  skipBreakpoint(): void {
    const t = this.machine.lastTrap;
    if (this.finished === undefined && t.cause === Cause.BREAKPOINT && this.machine.cpu.pc === t.pc) {
      this.machine.cpu.pc = (t.pc + 4) >>> 0;
      this.machine.cpu.instret++;
    }
  }

  private advance(count: number): StepResult {
    if (this.finished !== undefined) return this.finished;
    const m = this.machine;
    const cpu = m.cpu;
    const started = performance.now();
    try {
      const goal = cpu.instret + count;
      for (;;) {
        if (cpu.instret >= this.maxInstructions) return this.finish({ kind: 'budget', pc: cpu.pc, report: budgetReport(this.faultContext(), cpu.instret) });
        const room = Math.min(goal, this.maxInstructions) - cpu.instret;
        if (room <= 0) return { kind: 'stepped' };
        const exit = m.run(Math.min(SLICE, room));
        // The interpreter zeroes r0 before each instruction, not after: a `j` (jal zero) leaves
        // pc+4 in it until the next one runs. The host reads registers between runs, so clear it.
        cpu.regs[0] = 0;
        if (exit === Exit.BUDGET) continue;
        if (exit !== Exit.TRAP) {
          // halt and wfi are privileged: a user program cannot get here.
          return this.finish(this.internal(`the machine stopped unexpectedly (${EXIT_NAMES[exit] ?? exit})`));
        }
        const stop = this.onTrap();
        if (stop !== undefined) return stop.kind === 'breakpoint' ? stop : this.finish(stop);
      }
    } catch (err) {
      // A bug in the runtime, not in the program: report it as a fault, never crash the host.
      return this.finish(this.internal(err instanceof Error ? err.stack ?? err.message : String(err)));
    } finally {
      this.wallMs += performance.now() - started;
    }
  }

  private faultContext(): FaultContext {
    return { machine: this.machine, space: this.space, symbols: this.symbols };
  }

  /** Serve a trap; undefined when the program goes on, else why it stopped. */
  private onTrap(): ProcessResult | undefined {
    const m = this.machine;
    const { cause, pc, badaddr } = m.lastTrap;
    if (isInterrupt(cause)) {
      // Only the timer line is enabled: a tick. Re-arm it; the program resumes at pc.
      this.ticks++;
      this.armTimer();
      return undefined;
    }
    if (cause === Cause.SYSCALL) {
      const served = this.syscalls.serve();
      this.syscall.emit(served.event);
      return served.kind === 'exit' ? { kind: 'exit', status: served.status } : undefined;
    }
    const report = faultReport(this.faultContext(), cause, pc, badaddr, m.mmu.lastFault);
    if (cause === Cause.BREAKPOINT) return { kind: 'breakpoint', pc, report };
    return { kind: 'fault', trap: causeName(cause), cause, pc, badaddr, report };
  }

  private internal(message: string): ProcessResult {
    const pc = this.machine.cpu.pc;
    return { kind: 'fault', trap: 'internal-error', cause: INTERNAL_CAUSE, pc, badaddr: 0, report: `internal error in the process VM at pc 0x${pc.toString(16).padStart(8, '0')}: ${message}` };
  }

  private finish(result: ProcessResult): ProcessResult {
    this.finished = result;
    this.files.closeAll();
    return result;
  }

  /** Release host resources (open files) without waiting for the program to end. */
  close(): void {
    this.files.closeAll();
  }

  stats(): ProcessStats {
    const m = this.machine;
    const traps: Record<string, number> = {};
    m.trapCounts.forEach((n, cause) => {
      if (n > 0) traps[CAUSES[cause]?.name ?? causeName(cause)] = n;
    });
    const instructions = m.cpu.instret;
    return {
      instructions,
      wallMs: this.wallMs,
      mips: this.wallMs > 0 ? instructions / (this.wallMs * 1000) : 0,
      traps,
      syscalls: Object.fromEntries(this.syscalls.counts),
      unknownSyscalls: this.syscalls.unknown,
      framesUsed: this.space.frames.used,
      brk: this.space.brk,
      ticks: this.ticks,
    };
  }
}
