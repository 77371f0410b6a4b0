/**
 * One program in the page: assembled from the editor, run by the process VM
 * (the very ProcessVM behind `typevisor run`, so output and instruction
 * counts are the same), stepped, continued to a breakpoint, with its
 * console, its system-call and trap log, and the registers before the last
 * stop (to show what changed).
 *
 * Breakpoints are addresses the session checks between instructions while it
 * continues one instruction at a time; without any it runs in large pieces.
 * Either way it gives the page back between pieces, so a long or endless
 * program never freezes the tab (Stop ends it).
 */
import { assemble, type AssembleResult, type Diagnostic } from '../isa/asm/index.js';
import { ProcessVM, type ProcessResult, type ProcessStats, type StepResult } from '../vm/process/runtime.js';
import { registerSnapshot } from '../vm/process/debug-views.js';
import { formatSyscall } from '../vm/process/trace.js';
import { readGuestFile } from './guest-files.js';

/** Instructions per piece when no breakpoint is set (the page redraws between pieces). */
const PIECE = 1 << 20;
/** With breakpoints: instructions checked one by one before the page gets a turn. */
const CHECKED_PIECE = 20_000;

export interface ConsoleChunk {
  readonly stream: 'out' | 'err' | 'note';
  readonly text: string;
}

export function assembleProgram(source: string, file: string): AssembleResult {
  return assemble(source, { filename: file, readFile: readGuestFile });
}

export function diagnosticsOf(r: AssembleResult): readonly Diagnostic[] {
  return r.ok ? r.warnings : r.diagnostics;
}

export class ProgramSession {
  readonly vm: ProcessVM;
  readonly console: ConsoleChunk[] = [];
  /** System calls served and the trap that ended the run, in order. */
  readonly log: string[] = [];
  /** Registers and pc at the previous stop. */
  before: Int32Array;
  private stopped = false;

  constructor(
    r: AssembleResult & { ok: true },
    stdin: string,
    private readonly changed: () => void,
  ) {
    const input = new TextEncoder().encode(stdin);
    let at = 0;
    const decoder = { out: new TextDecoder(), err: new TextDecoder() };
    this.vm = new ProcessVM(r.image, {
      args: ['program'],
      stdin: (max) => {
        const chunk = input.subarray(at, at + max);
        at += chunk.length;
        return chunk;
      },
      stdout: (b) => this.write('out', decoder.out.decode(b, { stream: true })),
      stderr: (b) => this.write('err', decoder.err.decode(b, { stream: true })),
      onSyscall: (e) => this.log.push(formatSyscall(e)),
    });
    this.before = registerSnapshot(this.vm.machine);
  }

  private write(stream: ConsoleChunk['stream'], text: string): void {
    const last = this.console[this.console.length - 1];
    if (last?.stream === stream) this.console[this.console.length - 1] = { stream, text: last.text + text };
    else this.console.push({ stream, text });
  }

  get result(): ProcessResult | undefined {
    return this.vm.result;
  }

  get pc(): number {
    return this.vm.machine.cpu.pc >>> 0;
  }

  stats(): ProcessStats {
    return this.vm.stats();
  }

  /** Run `n` instructions (or to the end); the registers before are kept for highlighting. */
  step(n = 1): StepResult {
    this.before = registerSnapshot(this.vm.machine);
    return this.settle(this.vm.step(n));
  }

  /** Ask a running continue() to stop at the next piece. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Run until the program ends, a breakpoint is reached (after leaving the
   * one it stands on), or stop(). `yieldToPage` lets the page draw between pieces.
   */
  async continue(breakpoints: ReadonlySet<number>, yieldToPage: () => Promise<void>): Promise<StepResult | { kind: 'stopped' } | { kind: 'at-breakpoint'; pc: number }> {
    this.before = registerSnapshot(this.vm.machine);
    this.stopped = false;
    let first = true;
    for (;;) {
      if (this.stopped) return { kind: 'stopped' };
      if (breakpoints.size === 0) {
        const r = this.settle(this.vm.step(PIECE));
        if (r.kind !== 'stepped') return r;
      } else {
        for (let i = 0; i < CHECKED_PIECE; i++) {
          if (!first && breakpoints.has(this.pc)) return { kind: 'at-breakpoint', pc: this.pc };
          first = false;
          const r = this.settle(this.vm.step(1));
          if (r.kind !== 'stepped') return r;
        }
      }
      this.changed();
      await yieldToPage();
    }
  }

  /** The end of the run goes in the log and, for a fault, on the console as `typevisor run` prints it. */
  private settle(r: StepResult): StepResult {
    if (r.kind === 'stepped') return r;
    if (r.kind === 'breakpoint') {
      // A `break` in the program: report it, and step over it so Continue goes on.
      this.log.push(`break at 0x${r.pc.toString(16).padStart(8, '0')}`);
      this.vm.skipBreakpoint();
      return r;
    }
    if (this.log[this.log.length - 1] !== `end: ${describe(r)}`) {
      if (r.kind !== 'exit') this.write('note', r.report.endsWith('\n') ? r.report : `${r.report}\n`);
      this.log.push(`end: ${describe(r)}`);
    }
    return r;
  }
}

export function describe(r: ProcessResult): string {
  switch (r.kind) {
    case 'exit': return `exit status ${r.status}`;
    case 'fault': return `${r.trap} at 0x${(r.pc >>> 0).toString(16).padStart(8, '0')}`;
    case 'budget': return 'instruction budget spent';
    case 'breakpoint': return `break at 0x${(r.pc >>> 0).toString(16).padStart(8, '0')}`;
  }
}
