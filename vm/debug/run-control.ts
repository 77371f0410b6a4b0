/**
 * Run control for a debug target: where the guest is in its history, going
 * forward a tick at a time with the caller's stop test, and going back.
 *
 * Going back is replay, as a deterministic machine allows: while the guest
 * goes forward, its state is taken at intervals (a checkpoint: the target's
 * CPU, vCPU and device state plus guest RAM); to reach an earlier tick the
 * nearest checkpoint at or before it is put back and the guest re-runs
 * forward to it. Same state, same ticks, same result — virtual time is
 * instructions retired, console input is fixed, so nothing differs.
 *
 * RAM in a checkpoint is shared page by page with the checkpoint before it:
 * the dirty log says which pages the guest wrote in between, and only those
 * are copied. Putting a checkpoint back writes only the pages that differ
 * from what RAM holds now. At most MAX_CHECKPOINTS are kept; when that many
 * are taken, every other one goes and the interval doubles, so memory stays
 * bounded however long the session and a replay is at most one interval.
 */
import { Csr, STATUS_PM } from '../../isa/csr.js';
import { Reg } from '../../isa/registers.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../memmap.js';
import { Mode } from '../cpu.js';
import type { DebugTarget, TargetState, TickEnd } from './target.js';

export const FIRST_INTERVAL = 4096;
export const MAX_CHECKPOINTS = 64;
/** Ticks between the host's chances to interrupt a long run. */
const TICKS_PER_PAUSE = 1 << 15;
/** A page of zeros, shared by every checkpoint page that is all zeros when first taken. */
const ZERO_PAGE = new Uint8Array(PAGE_SIZE);
/** Traps kept for `info traps`. */
export const TRAP_LOG_SIZE = 64;

interface Checkpoint {
  readonly tick: number;
  readonly instret: number;
  readonly state: TargetState;
  /** Guest RAM, one reference per page (shared with neighbouring checkpoints when unchanged). */
  readonly pages: readonly Uint8Array[];
}

/** A trap or interrupt the guest entered. */
export interface TrapEntry {
  readonly tick: number;
  readonly instret: number;
  readonly cause: number;
  readonly epc: number;
  readonly badaddr: number;
  /** The mode it came from. */
  readonly from: Mode;
  /** t0 at entry: the system-call number when it is one. */
  readonly t0: number;
}

/** What one tick did, for the caller's stop test. */
export interface TickInfo {
  readonly end: TickEnd;
  readonly modeBefore: Mode;
  readonly trap: TrapEntry | undefined;
}

/** How a run went: stopped by the test (with its value), by the target, by an interrupt, or after `limit` ticks. */
export type RunEnd<S> =
  | { readonly kind: 'stop'; readonly stop: S }
  | { readonly kind: 'ended'; readonly end: Exclude<TickEnd, { kind: 'ticked' }> }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'limit' };

export class RunControl {
  /** Ticks since boot: the position in the guest's history. */
  tick = 0;
  /** The furthest tick reached: output before it was already shown. */
  private highWater = 0;
  private readonly checkpoints: Checkpoint[] = [];
  private interval = FIRST_INTERVAL;
  /** RAM as of the last checkpoint taken or put back, page by page, plus the dirty log since. */
  private base: readonly Uint8Array[] = [];
  readonly traps: TrapEntry[] = [];
  /** How the target ended, if it has (ticks no longer move it). */
  ended: Exclude<TickEnd, { kind: 'ticked' }> | undefined;
  private interruptRequested = false;
  /** Checkpoints taken and ticks replayed, for `info history`. */
  replayed = 0;

  constructor(
    readonly target: DebugTarget,
    /** Awaited every TICKS_PER_PAUSE ticks of a long run, so the host can call interrupt(). */
    private readonly pause: (() => Promise<void>) | undefined,
  ) {
    if (target.irreversible === undefined) this.takeCheckpoint();
  }

  get reversible(): boolean {
    return this.target.irreversible === undefined;
  }

  interrupt(): void {
    this.interruptRequested = true;
  }

  /** One tick, with the history's bookkeeping. */
  advance(): TickInfo {
    const t = this.target;
    const modeBefore = t.cpu.mode;
    if (this.ended) return { end: this.ended, modeBefore, trap: undefined };
    t.muteOutput(this.tick < this.highWater);
    const end = t.tick();
    if (end.kind !== 'ticked') {
      this.ended = end;
      return { end, modeBefore, trap: undefined };
    }
    this.tick++;
    if (this.tick > this.highWater) this.highWater = this.tick;
    const trap = end.trapped ? this.logTrap() : undefined;
    if (this.reversible) {
      const newest = this.checkpoints[this.checkpoints.length - 1]!;
      if (this.tick >= newest.tick + this.interval) this.takeCheckpoint();
    }
    return { end, modeBefore, trap };
  }

  /**
   * Tick until `test` returns a stop, the target ends, `limit` ticks have run,
   * or interrupt() is called. The test sees the state after each tick.
   */
  async run<S>(test: (info: TickInfo) => S | undefined, limit = Infinity, stopAt?: ReadonlySet<number>): Promise<RunEnd<S>> {
    this.interruptRequested = false;
    if (stopAt !== undefined && this.target.run !== undefined) return this.runBatched(test, limit, stopAt);
    for (let n = 0; n < limit; n++) {
      if (n > 0 && n % TICKS_PER_PAUSE === 0 && this.pause) {
        await this.pause();
        if (this.interruptRequested) return { kind: 'interrupted' };
      }
      const info = this.advance();
      if (info.end.kind !== 'ticked') return { kind: 'ended', end: info.end };
      const stop = test(info);
      if (stop !== undefined) return { kind: 'stop', stop };
    }
    return { kind: 'limit' };
  }

  /**
   * run() on a target that takes ticks in batches: each batch ends wherever
   * the test could say stop (a pc in stopAt, a trap, a mode switch), and the
   * test sees the state there. Only where nothing is replayed (the hosted
   * monitor, the process VM).
   */
  private async runBatched<S>(test: (info: TickInfo) => S | undefined, limit: number, stopAt: ReadonlySet<number>): Promise<RunEnd<S>> {
    const t = this.target;
    for (let n = 0, batches = 0; n < limit; batches++) {
      if (batches > 0 && this.pause) {
        await this.pause();
        if (this.interruptRequested) return { kind: 'interrupted' };
      }
      const r = t.run!(Math.min(limit - n, t.batchTicks ?? TICKS_PER_PAUSE), stopAt);
      n += r.ticks;
      this.tick += r.ticks;
      if (this.tick > this.highWater) this.highWater = this.tick;
      if (r.end.kind !== 'ticked') {
        this.ended = r.end;
        return { kind: 'ended', end: r.end };
      }
      const trap = r.end.trapped ? this.logTrap() : undefined;
      const stop = test({ end: r.end, modeBefore: r.modeBefore, trap });
      if (stop !== undefined) return { kind: 'stop', stop };
      if (r.ticks === 0) break;
    }
    return { kind: 'limit' };
  }

  /** Log the trap the guest has just entered. */
  private logTrap(): TrapEntry {
    const c = this.target.cpu;
    const trap: TrapEntry = { tick: this.tick, instret: c.instret, cause: c.csr[Csr.CAUSE]! >>> 0, epc: c.csr[Csr.EPC]! >>> 0, badaddr: c.csr[Csr.BADADDR]! >>> 0, from: (c.csr[Csr.STATUS]! & STATUS_PM) !== 0 ? Mode.SUPERVISOR : Mode.USER, t0: c.regs[Reg.T0]! };
    const last = this.traps[this.traps.length - 1];
    if (last === undefined || last.tick < this.tick) {
      this.traps.push(trap);
      if (this.traps.length > TRAP_LOG_SIZE) this.traps.shift();
    }
    return trap;
  }

  // ---- going back ---------------------------------------------------------------

  /** Go to tick `to` (earlier or later), replaying from the nearest checkpoint. False if the run ends before it. */
  goto(to: number): boolean {
    if (to < this.tick) this.rewindTo(this.latestAtOrBefore((c) => c.tick <= to));
    while (this.tick < to) {
      if (this.advance().end.kind !== 'ticked') return false;
      this.replayed++;
    }
    return true;
  }

  /** Go to the first tick at which `instret` instructions have retired. False if the run ends first. */
  gotoInstret(instret: number): boolean {
    if (instret <= this.target.cpu.instret) this.rewindTo(this.latestAtOrBefore((c) => c.instret < instret || c.tick === 0));
    while (this.target.cpu.instret < instret) {
      if (this.advance().end.kind !== 'ticked') return false;
      this.replayed++;
    }
    return true;
  }

  /**
   * The latest tick before now at which `hit` holds (after that tick), looking
   * back one checkpoint interval at a time. `reset` is called at the start of
   * each stretch replayed (watchpoints re-read their values there). Leaves the
   * guest at that tick, or at tick 0 when there is none (returns undefined).
   */
  findBackward(hit: (info: TickInfo) => boolean, reset: () => void): number | undefined {
    const end = this.tick;
    let upTo = end;
    for (let i = this.checkpoints.length - 1; i >= 0; i--) {
      const c = this.checkpoints[i]!;
      if (c.tick >= upTo) continue;
      this.rewindTo(c);
      reset();
      let found: number | undefined;
      while (this.tick < upTo) {
        const info = this.advance();
        this.replayed++;
        if (info.end.kind !== 'ticked') break;
        // hit() runs on every tick (watchpoints follow the values); the tick we started from does not count.
        if (hit(info) && this.tick < end) found = this.tick;
      }
      if (found !== undefined) {
        this.goto(found);
        return found;
      }
      upTo = c.tick;
    }
    this.goto(0);
    return undefined;
  }

  /** What `info history` says. */
  describe(): string[] {
    if (!this.reversible) return [`reverse execution is not available: ${this.target.irreversible}`];
    const first = this.checkpoints[0]!;
    const last = this.checkpoints[this.checkpoints.length - 1]!;
    let shared = 0;
    const seen = new Set<Uint8Array>();
    for (const c of this.checkpoints) for (const p of c.pages) if (!seen.has(p)) (seen.add(p), shared++);
    return [
      `position: tick ${this.tick}, ${this.target.cpu.instret} instructions retired; furthest tick reached ${this.highWater}`,
      `${this.checkpoints.length} checkpoints from tick ${first.tick} to ${last.tick}, one every ${this.interval} ticks; ${shared} distinct pages of RAM kept (${(shared * PAGE_SIZE / 1048576).toFixed(1)} MiB)`,
      `${this.replayed} ticks replayed so far to go back`,
    ];
  }

  private latestAtOrBefore(ok: (c: Checkpoint) => boolean): Checkpoint {
    for (let i = this.checkpoints.length - 1; i >= 0; i--) if (ok(this.checkpoints[i]!)) return this.checkpoints[i]!;
    return this.checkpoints[0]!;
  }

  private takeCheckpoint(): void {
    const mem = this.target.memory;
    const dirty = mem.takeDirtyPages();
    let pages: Uint8Array[];
    if (this.base.length === 0) {
      // The first one holds all of RAM; pages of zeros (most of it, at boot) share one copy.
      pages = [];
      const words = new Int32Array(mem.u8.buffer, mem.u8.byteOffset, mem.size >>> 2);
      for (let p = 0; p < mem.pages; p++) {
        let zero = true;
        for (let i = p << (PAGE_SHIFT - 2), end = i + (PAGE_SIZE >>> 2); i < end; i++) {
          if (words[i] !== 0) {
            zero = false;
            break;
          }
        }
        pages.push(zero ? ZERO_PAGE : mem.u8.slice(p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT));
      }
    } else {
      pages = this.base.slice();
      for (const p of dirty) pages[p] = mem.u8.slice(p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT);
    }
    this.base = pages;
    this.checkpoints.push({ tick: this.tick, instret: this.target.cpu.instret, state: this.target.saveState(), pages });
    if (this.checkpoints.length > MAX_CHECKPOINTS) {
      // Keep the first and every other one after it; replays get at most twice as long.
      const kept = this.checkpoints.filter((_, i) => i % 2 === 0);
      this.checkpoints.length = 0;
      this.checkpoints.push(...kept);
      this.interval *= 2;
    }
  }

  private rewindTo(c: Checkpoint): void {
    const t = this.target;
    const mem = t.memory;
    const changed = new Uint8Array(mem.pages);
    for (const p of mem.takeDirtyPages()) changed[p] = 1;
    for (let p = 0; p < mem.pages; p++) {
      if (changed[p] === 1 || this.base[p] !== c.pages[p]) {
        mem.u8.set(c.pages[p]!, p << PAGE_SHIFT);
        mem.markDirty(p << PAGE_SHIFT, PAGE_SIZE); // drops code translated from the page, if any
      }
    }
    this.base = c.pages;
    t.restoreState(c.state);
    t.invalidate();
    mem.takeDirtyPages();
    this.tick = c.tick;
    this.ended = undefined;
    while (this.traps.length > 0 && this.traps[this.traps.length - 1]!.tick > c.tick) this.traps.pop();
  }
}
