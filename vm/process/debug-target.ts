/**
 * The process VM as a debug target, so the shared `RunControl`
 * (vm/debug/run-control.ts) drives `typevisor debug` as it drives the kernel
 * debugger. A tick is one instruction of the user program, or its own
 * `break` reached (the program stops there; going on steps over it).
 *
 * `run(limit, stopAt)` is the fast path, software breakpoints as gdb does
 * them: `break` is written over the word at every address in stopAt and the
 * machine runs at full speed until one is reached. The patches are written
 * as the host writes memory (markDirty), so the translation tier drops its
 * copy of the page and re-translates it with the patch in. They stay in
 * between batches of one run (patching and re-translating once a run rather
 * than once a batch keeps a long loop translated) and come out when the run
 * stops (`unpatch`), so `x`, `disasm` and fault reports never see one.
 *
 * Not reversible: a system call reaches the host (files, the console), and
 * the host is not rewound.
 */
import { Op } from '../../isa/opcodes.js';
import { Mode, type CpuState } from '../cpu.js';
import type { PhysicalMemory } from '../memory.js';
import { PTE_X } from '../mmu.js';
import type { BatchEnd, DebugTarget, TickEnd } from '../debug/target.js';
import { SLICE, type ProcessResult, type ProcessVM, type StepResult } from './runtime.js';

/** A breakpoint passed again within this many instructions: walk a stretch instead of patching (run). */
const WALK_IF_PASSED_WITHIN = 50_000;
/** Instructions walked one at a time then, before patching again. */
const WALK_STRETCH = 1 << 16;

/** The words run() replaced with `break`: the addresses, and each host offset's original word. */
interface Patches {
  readonly addrs: ReadonlySet<number>;
  readonly saved: ReadonlyMap<number, number>;
}
const NO_PATCHES: Patches = { addrs: new Set(), saved: new Map() };

export class ProcessTarget implements DebugTarget {
  readonly kind = 'process';
  readonly irreversible = "a program's system calls reach the host, which is not rewound";
  /** Ticks of a batch: the process VM's slice, so a run pauses as often as it did before. */
  readonly batchTicks = SLICE;
  /** The program's own `break` stopped the last tick here (cleared by the next tick). */
  programBreak: number | undefined;
  /** The program stopped at its own `break` here; the next tick steps over it. */
  programBreakAt: number | undefined;
  /** pc before the last tick: the instruction a watchpoint hit names. */
  previousPc = 0;
  private patches: Patches = NO_PATCHES;
  private lastPassed = -Infinity;

  constructor(readonly vm: ProcessVM) {}

  get cpu(): CpuState {
    return this.vm.machine.cpu;
  }

  get memory(): PhysicalMemory {
    return this.vm.machine.memory;
  }

  tick(): TickEnd {
    this.unpatch();
    return this.tickEnd(this.execOne());
  }

  /**
   * Up to `limit` ticks ending where pc reaches stopAt (a breakpoint, the
   * place `next` or `finish` waits for), at the program's own `break`, or
   * where it ends. Leaving a stop address goes one instruction unpatched;
   * when the same stop is passed again soon (a condition false every round of
   * a loop), a stretch goes one instruction at a time instead, as two patches
   * and the page's translation per round cost far more (bench/debug-continue.ts).
   */
  run(limit: number, stopAt: ReadonlySet<number>): BatchEnd {
    const cpu = this.cpu;
    this.programBreak = undefined;
    let ticks = 0;
    if (stopAt.has(cpu.pc)) {
      this.unpatch();
      const passed = cpu.instret - this.lastPassed;
      this.lastPassed = cpu.instret;
      const walk = passed < WALK_IF_PASSED_WITHIN ? Math.min(limit, WALK_STRETCH) : 1;
      while (ticks < walk) {
        const end = this.tickEnd(this.execOne());
        ticks++;
        if (end.kind !== 'ticked' || this.programBreak !== undefined || stopAt.has(cpu.pc)) return { ticks, modeBefore: Mode.USER, end };
      }
      if (walk > 1 || ticks >= limit) return { ticks, modeBefore: Mode.USER, end: { kind: 'ticked', trapped: false } };
    }
    if (this.patches.addrs !== stopAt) {
      this.unpatch();
      this.patches = this.patch(stopAt);
    }
    const start = cpu.instret;
    const r = this.vm.step(limit - ticks);
    ticks += cpu.instret - start;
    if (r.kind === 'breakpoint' && this.patches.addrs.has(r.pc)) {
      // One of ours: the program is at a stop address (nothing retired there yet), not at a break of its own.
      this.unpatch();
      return { ticks, modeBefore: Mode.USER, end: { kind: 'ticked', trapped: false } };
    }
    if (r.kind !== 'stepped') this.unpatch();
    return { ticks: r.kind === 'breakpoint' ? ticks + 1 : ticks, modeBefore: Mode.USER, end: this.tickEnd(r) };
  }

  /** The run has stopped: put back every patched word, and forget the last stop passed. */
  settle(): void {
    this.unpatch();
    this.lastPassed = -Infinity;
  }

  private unpatch(): void {
    const m = this.vm.machine;
    for (const [off, word] of this.patches.saved) {
      // A program that rewrote its own code there keeps what it wrote.
      if (m.memory.i32[off >>> 2] === Op.BREAK) {
        m.memory.i32[off >>> 2] = word;
        m.memory.markDirty(off, 4);
      }
    }
    this.patches = NO_PATCHES;
  }

  /** How the program ended, when it has. */
  get result(): ProcessResult | undefined {
    return this.vm.result;
  }

  saveState(): undefined {
    throw new Error('the process VM keeps no checkpoints');
  }

  restoreState(): void {
    throw new Error('the process VM keeps no checkpoints');
  }

  invalidate(): void {}

  muteOutput(): void {}

  vmInfo(): undefined {
    return undefined;
  }

  tlbLines(): readonly string[] {
    return [];
  }

  /** Execute the instruction at pc (stepping over the program's own `break` if it stopped there). */
  private execOne(): StepResult {
    const pc = this.cpu.pc;
    this.previousPc = pc;
    if (this.programBreakAt !== pc) return this.vm.step(1);
    this.programBreakAt = undefined;
    this.vm.skipBreakpoint();
    return { kind: 'stepped' };
  }

  private tickEnd(r: StepResult): TickEnd {
    this.programBreak = undefined;
    if (r.kind === 'stepped') return { kind: 'ticked', trapped: false };
    if (r.kind === 'breakpoint') {
      this.programBreak = r.pc;
      this.programBreakAt = r.pc;
      return { kind: 'ticked', trapped: false };
    }
    return r.kind === 'exit' ? { kind: 'halted', status: r.status } : { kind: 'failed', reason: r.report };
  }

  /** Write `break` over the word at every stop address. */
  private patch(addrs: ReadonlySet<number>): Patches {
    const m = this.vm.machine;
    const saved = new Map<number, number>();
    for (const a of addrs) {
      const off = m.hostOffset(a, Mode.USER, PTE_X);
      if (off < 0) continue;
      saved.set(off, m.memory.i32[off >>> 2]!);
      m.memory.i32[off >>> 2] = Op.BREAK;
      // The translation tier keeps decoded copies of hot code pages: a patch
      // written behind its back is not seen once the loop holding it is
      // translated (a breakpoint in a hot loop stopped 12 times, then never).
      m.memory.markDirty(off, 4);
    }
    return { addrs, saved };
  }
}
