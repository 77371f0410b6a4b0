/**
 * Virtual time for a simulated migration: a discrete-event scheduler that
 * also runs the guests.
 *
 * One clock counts ticks (a tick is one guest instruction; TICKS_PER_MS make
 * a virtual millisecond). Everything that takes time waits on it: a frame on
 * the simulated link until it has crossed, a sender throttled to a bandwidth
 * cap, an observation window. Between two events the clock runs every
 * runnable VM of the monitors it drives for exactly as many of its own ticks
 * as elapse — so a guest computes while its pages are on the wire, and the
 * link's bandwidth and latency are measured against the guest's own speed.
 *
 * A guest keeps its own clock (instructions retired plus idle time): it does
 * not advance while the guest is paused or stalled, so the guest computes the
 * same things whether or not it was migrated, and when. Only the clock here
 * sees the downtime.
 *
 * The engine's code is ordinary async code. After each event the scheduler
 * lets every promise chain settle (one macrotask turn) before it looks for the
 * next event, so the order of everything is a function of virtual time alone
 * and a run is reproducible to the tick.
 */
import type { RunState } from '../core/host.js';
import { SliceEnd } from '../core/vcpu.js';
import type { VirtualMachine } from '../core/vm.js';
import { TICKS_PER_MS, type MigrationClock } from './clock.js';
import { MigrationError } from './migration-error.js';

/**
 * A host whose VMs a driver can run itself, a slice at a time, in the
 * driver's time: the native monitor (its VMs live on this thread).
 */
export interface SlicedHost {
  readonly vms: readonly VirtualMachine[];
  state(name: string): RunState;
  runSlice(vm: VirtualMachine, budget: number, until?: number): SliceEnd;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

/** Where a running guest's clock stood against this one when it last became runnable. */
interface Anchor {
  readonly guest: number;
  readonly ticks: number;
}

export class VirtualClock implements MigrationClock {
  readonly kind = 'virtual';
  private t = 0;
  private seq = 0;
  private readonly timers: Timer[] = [];
  private readonly monitors: SlicedHost[] = [];
  private readonly anchors = new Map<VirtualMachine, Anchor>();
  /** The VM running right now and its anchor (now() inside a slice is its time). */
  private running: { vm: VirtualMachine; anchor: Anchor } | undefined;

  /** Now, in ticks. */
  get ticks(): number {
    const r = this.running;
    return r ? r.anchor.ticks + (r.vm.cpu.time - r.anchor.guest) : this.t;
  }

  now(): number {
    return this.ticks / TICKS_PER_MS;
  }

  sleep(ms: number): Promise<void> {
    return this.until(this.ticks + Math.max(0, Math.round(ms * TICKS_PER_MS)));
  }

  pass(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves when the clock reaches `ticks`. */
  until(ticks: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ticks, resolve));
  }

  /** Call `fire` at `ticks` (now, if that is past). */
  schedule(ticks: number, fire: () => void): void {
    const timer = { at: Math.max(ticks, this.ticks), seq: this.seq++, fire };
    const q = this.timers;
    let i = q.length;
    while (i > 0 && (q[i - 1]!.at > timer.at || (q[i - 1]!.at === timer.at && q[i - 1]!.seq > timer.seq))) i--;
    q.splice(i, 0, timer);
  }

  /** Run this monitor's runnable VMs as time passes. */
  drive(monitor: SlicedHost): void {
    if (!this.monitors.includes(monitor)) this.monitors.push(monitor);
  }

  /**
   * Run the simulation until `task` settles, and return its result. Throws if
   * nothing is scheduled and no guest can run while the task still waits (a
   * deadlock), or after `limitMs` of virtual time.
   */
  async run<T>(task: Promise<T>, limitMs = 3_600_000): Promise<T> {
    let settled = false;
    const watched = task.finally(() => (settled = true));
    watched.catch(() => {});
    const limit = this.t + limitMs * TICKS_PER_MS;
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      if (settled) return watched;
      const next = this.timers[0];
      if (!next) {
        if (!this.anyRunnable()) throw new MigrationError(`simulation deadlock at ${this.now().toFixed(3)} virtual ms: the migration waits, nothing is scheduled and no guest can run`);
        this.advanceTo(this.t + TICKS_PER_MS);
      } else if (next.at > this.t) {
        this.advanceTo(next.at);
      } else {
        this.timers.shift();
        next.fire();
      }
      if (this.t > limit) throw new MigrationError(`simulation ran past ${limitMs} virtual ms without finishing`);
    }
  }

  /** Run the guests (and fire what falls due) until virtual time `ticks`. */
  async runUntil(ticks: number): Promise<void> {
    await this.run(this.until(ticks));
  }

  /**
   * Run the guests up to `target`, or until one stalls on a missing page
   * (then the clock stops at the stall: its page request leaves then).
   */
  private advanceTo(target: number): void {
    let reached = target;
    for (const monitor of this.monitors) {
      for (const vm of [...monitor.vms]) {
        if (!this.runnable(monitor, vm)) {
          this.anchors.delete(vm);
          continue;
        }
        let anchor = this.anchors.get(vm);
        if (!anchor) this.anchors.set(vm, (anchor = { guest: vm.cpu.time, ticks: this.t }));
        const until = anchor.guest + (target - anchor.ticks);
        this.running = { vm, anchor };
        try {
          while (vm.cpu.time < until) {
            const end = monitor.runSlice(vm, until - vm.cpu.time, until);
            if (end === SliceEnd.MISSING) {
              reached = Math.min(reached, anchor.ticks + (vm.cpu.time - anchor.guest));
              this.anchors.delete(vm);
              break;
            }
            if (end !== SliceEnd.BUDGET || !this.runnable(monitor, vm)) {
              this.anchors.delete(vm);
              break;
            }
          }
        } finally {
          this.running = undefined;
        }
      }
    }
    this.t = Math.max(this.t, reached);
  }

  private runnable(monitor: SlicedHost, vm: VirtualMachine): boolean {
    if (!monitor.vms.includes(vm)) return false;
    const state = monitor.state(vm.name);
    return state === 'running';
  }

  private anyRunnable(): boolean {
    return this.monitors.some((m) => m.vms.some((vm) => this.runnable(m, vm)));
  }
}
