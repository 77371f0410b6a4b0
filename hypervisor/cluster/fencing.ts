/**
 * Fencing: a host that lost its lease must not go on running VMs that a
 * survivor may be restarting elsewhere, and one that comes back must not run
 * a copy the fleet has given to another host.
 *
 *   lease lost (noticed)  → pause every running VM here (pauseAll);
 *   lease granted again   → each VM the directory gives to another host is
 *                           stopped (stopStale), before any is resumed; the
 *                           rest, which this host still owns, are resumed
 *                           (resumeOwn) — only those fencing paused.
 *
 * Only a pass that read the directory under the current lease may resume:
 * a pass already under way when the process was stopped wakes up holding
 * entries older than the failover that gave its VMs away (the membership's
 * epoch moved), and leaves them paused for the pass after rejoining.
 *
 * The window, honestly: the others count this host dead when etcd expires
 * its lease (TTL after the last renewal etcd saw); this host counts itself
 * dead a TTL after it *sent* its last confirmed renewal — never later than
 * etcd. But a host that is not running at all (SIGSTOP, a long GC pause, a
 * frozen VM) notices nothing until it runs again: on SIGCONT its guests can
 * run until its first timer fires (native VMs: at most one scheduling slice,
 * ~10 ms of the event loop; hosted VMs: their worker threads run from the
 * first moment until the pause reaches them). Survivors restart a dead host's
 * VMs only after its lease expired, and the stale copy's output in that
 * window goes to its own console, not to the restarted VM's.
 */
import type { VmRegistry } from '../control/registry.js';

export class Fencing {
  /** VMs paused here because the lease was lost (only those are resumed). */
  private readonly paused = new Set<string>();

  constructor(
    private readonly registry: VmRegistry,
    private readonly log: (line: string) => void,
  ) {}

  async pauseAll(why: string): Promise<void> {
    // Nothing resumes them from here on: not vm resume, not a periodic snapshot finishing its copy
    // (which then fails before it writes: a stale copy never replaces the new owner's snapshot).
    this.registry.holdPaused = `this host lost its lease in the cluster (${why}); it runs nothing until it rejoins`;
    // All at once: each is marked paused before the first pause is awaited, so no
    // request served meanwhile lists one of them as running. (Called again on every
    // pass while the lease is lost: a migration aborted meanwhile resumes its guest.)
    await Promise.all(this.registry.list().map(async (v) => {
      if (v.state !== 'running' || v.migration) return;
      this.paused.add(v.name);
      try {
        await this.registry.pause(v.name);
        this.log(`cluster: ${v.name}: paused (${why}; another host may be restarting it)`);
      } catch (e) {
        this.log(`cluster: ${v.name}: could not be paused: ${(e as Error).message}`);
      }
    }));
  }

  /** The directory gives `name` to `owner`: this copy is stale. */
  stopStale(name: string, owner: string): void {
    this.paused.delete(name);
    try {
      this.registry.stop(name);
      this.log(`cluster: ${name}: stopped: the directory gives it to host ${owner} (a stale copy; this host's lease had lapsed)`);
    } catch (e) {
      this.log(`cluster: ${name}: stale copy (owned by ${owner}) could not be stopped: ${(e as Error).message}`);
    }
  }

  /** Rejoined, every stale copy stopped: VMs may be resumed again. */
  release(): void {
    this.registry.holdPaused = undefined;
  }

  /** Still this host's: resume it if fencing paused it (call release() first). */
  resumeOwn(name: string): void {
    if (!this.paused.delete(name)) return;
    try {
      this.registry.resume(name);
      this.log(`cluster: ${name}: resumed (still this host's)`);
    } catch (e) {
      this.log(`cluster: ${name}: could not be resumed: ${(e as Error).message}`);
    }
  }
}
