/**
 * A daemon's membership of a fleet (serve --cluster): the hooks the daemon
 * calls (control/fleet-hooks.ts) and the loop that keeps the fleet's view and
 * the daemon's VMs in agreement. Every `pollMs` it:
 *
 *   1. refreshes this host's record (capacity, used memory, load, VM count);
 *   2. reconciles its VMs with the directory: a VM here that the directory
 *      gives to another host is a stale copy and is stopped (fencing); a VM
 *      here with no entry gets one; an entry naming this host whose VM is not
 *      here any more is removed (stopped here) or marked lost;
 *   3. looks for VMs whose host is dead and, holding the failover lock,
 *      restarts them (failover.ts).
 *
 * While its lease is lost it does none of that: it pauses every VM it runs,
 * because another host may be restarting them right now (fencing.ts).
 */
import { ControlError } from '../control/control-error.js';
import type { FleetHooks } from '../control/fleet-hooks.js';
import type { VmInfo } from '../control/protocol.js';
import type { Service } from '../control/service.js';
import type { ClientTls } from '../control/tls.js';
import { Directory, type Read } from './directory.js';
import { EtcdError, type EtcdClient } from './etcd.js';
import { Failover } from './failover.js';
import { Fencing } from './fencing.js';
import { Membership } from './membership.js';
import type { HostRecord, VmEntry } from './records.js';

export interface AgentOptions {
  readonly etcd: EtcdClient;
  /** This host's name in the fleet (serve --host-name; default its address). */
  readonly hostName?: string;
  /** Lease time to live, seconds. */
  readonly ttl: number;
  /** How often the loop runs, ms. */
  readonly pollMs?: number;
  /** Each monitor's RAM for VMs (serve --capacity). */
  readonly capacity: number;
  /** The fleet's shared token: a survivor presents it to the host it restarts a VM on. */
  readonly token: string;
  readonly tls?: ClientTls;
  /** The shared snapshot store (serve --snapshot-dir): DIR/NAME.tvsn is NAME's latest snapshot. */
  readonly snapshotDir?: string;
  readonly log: (line: string) => void;
}

/** How often a running VM's instruction count is written to its entry, ms (state changes are written at once). */
const COUNT_EVERY_MS = 2000;
/** States in which an entry may name this host before its VM is here. */
const ON_ITS_WAY = new Set(['starting', 'restarting']);
/** A restart's entry left 'restarting' this long is finished by the host that runs the VM. */
const RESTART_QUIET_MS = 30_000;

export class FleetAgent implements FleetHooks {
  readonly directory: Directory;
  private membership: Membership | undefined;
  private service: Service | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly stoppedHere = new Set<string>();
  private readonly countedAt = new Map<string, number>();
  /** Migrations out being prepared: the entry read and the destination, for the commit point. */
  private readonly prepared = new Map<string, { read: Read; dest: HostRecord }>();
  /** VMs claimed here and not yet in the registry: counted in the host record meanwhile. */
  private readonly claimed = new Map<string, { memSize: number; share: number }>();
  private failover: Failover | undefined;
  private fencing: Fencing | undefined;
  private name = '';

  constructor(private readonly o: AgentOptions) {
    this.directory = new Directory(o.etcd, o.log);
  }

  get hostName(): string {
    return this.name;
  }

  /** Join the fleet with the running daemon: register under a lease and start the loop. */
  async join(service: Service): Promise<void> {
    this.service = service;
    this.name = this.o.hostName ?? service.address;
    this.fencing = new Fencing(service.host, this.o.log);
    this.membership = new Membership(this.o.etcd, this.o.ttl, () => this.record(), {
      log: this.o.log,
      onLost: () => this.fencing!.pauseAll('its lease in the cluster is lost'),
      onRegained: () => this.tick(),
    });
    await this.membership.join();
    this.failover = new Failover({
      etcd: this.o.etcd,
      directory: this.directory,
      self: () => this.record(),
      lease: () => this.membership?.leaseId,
      restoreHere: (p) => service.restore(p),
      token: this.o.token,
      ...(this.o.tls ? { tls: this.o.tls } : {}),
      ...(this.o.snapshotDir !== undefined ? { snapshotDir: this.o.snapshotDir } : {}),
      log: this.o.log,
    });
    this.o.log(`cluster: joined as host ${this.name} (lease ${this.o.ttl} s, etcd ${this.o.etcd.endpoints.join(',')})`);
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 500);
    this.timer.unref?.();
  }

  /**
   * A daemon shutting down stops its VMs: their entries go (as vm stop's do),
   * then its lease — nothing is left for a survivor to restart.
   */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.membership?.alive) {
      for (const v of this.service?.host.list() ?? []) await this.removeIfMine(v.name).catch(() => undefined);
    }
    await this.membership?.leave();
  }

  // ---- the hooks the daemon calls ------------------------------------------------------

  async claim(vm: { readonly name: string; readonly kernel: string; readonly memSize: number; readonly share: number }): Promise<void> {
    this.requireAlive();
    const entry: VmEntry = { name: vm.name, host: this.name, address: this.address, state: 'starting', memSize: vm.memSize, share: vm.share, kernel: vm.kernel, instructions: 0 };
    const ok = await this.etcd(() => this.directory.claim(entry));
    if (ok) {
      // Counted in this host's record at once: the next placement sees the room it takes.
      this.claimed.set(vm.name, { memSize: vm.memSize, share: vm.share });
      await this.membership!.refresh().catch(() => undefined);
      return;
    }
    const held = await this.etcd(() => this.directory.get(vm.name));
    // Ours already: a failover restarting it here, or a restore of a VM this host owns.
    if (held?.entry.host === this.name) return;
    throw new ControlError('name-taken', `a VM named ${vm.name} already exists in the cluster, on host ${held?.entry.host ?? '?'} (${held?.entry.state ?? '?'})`);
  }

  released(name: string): void {
    this.claimed.delete(name);
    this.stoppedHere.add(name);
    void this.removeIfMine(name).catch((e: unknown) => this.o.log(`cluster: ${name}: its entry stays until the next pass: ${(e as Error).message}`));
  }

  /**
   * The commit point of a migration out. The rule: the directory entry moves
   * to the destination by a compare-and-swap on the revision read here, or the
   * migration aborts (the guest resumes on this host, the destination discards
   * its copy). If etcd does not answer the swap, the entry is read again until
   * it says which happened (the swap's migration id in it, or this host still);
   * if it cannot be read within the lease's TTL, the migration aborts — and
   * this host, having lost etcd for a TTL, is fenced (its VMs paused) until
   * the directory can be read and settles who owns the guest.
   */
  async prepare(name: string, to: string): Promise<void> {
    this.requireAlive();
    const hosts = await this.etcd(() => this.membership!.hosts());
    const dest = hosts.find((h) => h.address === to || h.name === to);
    if (!dest) throw new ControlError('bad-request', `${to} is not a live host of this cluster: a VM of the fleet migrates only to another of its hosts`);
    const read = await this.etcd(() => this.directory.get(name));
    if (!read || read.entry.host !== this.name) throw new ControlError('bad-state', `the directory does not give ${name} to this host (${read ? `it names ${read.entry.host}` : 'no entry'})`);
    this.prepared.set(name, { read, dest });
  }

  async commit(name: string, migrationId: string, to: string): Promise<void> {
    const t0 = performance.now();
    this.requireAlive();
    let ready = this.prepared.get(name);
    if (!ready || (ready.dest.address !== to && ready.dest.name !== to)) {
      await this.prepare(name, to);
      ready = this.prepared.get(name)!;
    }
    this.prepared.delete(name);
    const dest = ready.dest;
    let read = ready.read;
    const swap = async (r: Read): Promise<boolean> => {
      const next: VmEntry = { ...withoutRestart(r.entry), host: dest.name, address: dest.address, state: 'running', migration: migrationId };
      try {
        return await this.directory.swap(r, next);
      } catch (e) {
        return this.settleSwap(name, migrationId, e as Error);
      }
    };
    let swapped = await swap(read);
    if (!swapped) {
      // Written since it was read (this host's own pass, a moment before the migration began): still ours?
      const again = await this.etcd(() => this.directory.get(name));
      if (again && again.entry.host === this.name) {
        read = again;
        swapped = await swap(read);
      }
    }
    if (!swapped) throw new ControlError('bad-state', `the directory entry of ${name} changed during the migration (another host took it over): not committing`);
    // (the guest is paused for this: it is part of the migration's downtime)
    this.o.log(`cluster: ${name}: directory now names ${dest.name} (migration ${migrationId}; swapped in ${(performance.now() - t0).toFixed(1)} ms)`);
  }

  // ---- the loop ------------------------------------------------------------------------

  /** One pass (see the head of the file). */
  async tick(): Promise<void> {
    const service = this.service;
    if (!service || !this.membership) return;
    if (!this.membership.alive) {
      await this.fencing!.pauseAll('its lease in the cluster is lost');
      return;
    }
    if (this.ticking) return;
    this.ticking = true;
    const epoch = this.membership.epoch;
    try {
      await this.membership.refresh();
      const entries = new Map((await this.directory.list()).map((r) => [r.entry.name, r]));
      const local = service.host.list();
      await this.reconcile(local, entries, epoch);
      // Again after reconcile: VMs it stopped (stale copies) leave the host's record in
      // this pass, not the next one, so `cluster ls` never counts a copy already gone.
      await this.membership.refresh();
      const hosts = await this.membership.hosts();
      await this.failover!.run(hosts, [...entries.values()]);
    } catch (e) {
      this.o.log(`cluster: pass skipped: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async reconcile(local: readonly VmInfo[], entries: ReadonlyMap<string, Read>, epoch: number): Promise<void> {
    const here = new Set(local.map((v) => v.name));
    const own: string[] = [];
    for (const v of local) {
      if (v.migration) continue; // the commit point decides, not this loop
      const read = entries.get(v.name);
      if (read && read.entry.host !== this.name) {
        this.fencing!.stopStale(v.name, read.entry.host);
        continue;
      }
      own.push(v.name);
      if (!read) {
        if (v.state === 'running' || v.state === 'paused') await this.directory.claim(this.entryOf(v));
        continue;
      }
      const now = Date.now();
      // A restart in progress is the failover's to finish: it writes the state and the
      // instruction count the snapshot was taken at together, so `cluster vms` never
      // shows the VM running "from instruction 0". Taken over here only if that writer
      // went quiet (it died between the restore and its write).
      if (read.entry.state === 'restarting' && now - Date.parse(read.entry.restarted?.at ?? '') < RESTART_QUIET_MS) continue;
      const stale = read.entry.state !== v.state || read.entry.address !== this.address || (v.state === 'running' && now - (this.countedAt.get(v.name) ?? 0) >= COUNT_EVERY_MS);
      const kept = { ...(read.entry.restarted ? { restarted: read.entry.restarted } : {}), ...(read.entry.migration ? { migration: read.entry.migration } : {}) };
      if (stale && (await this.directory.swap(read, { ...this.entryOf(v), ...kept }))) this.countedAt.set(v.name, now);
    }
    // A lease lost since this pass read the directory (the process was stopped mid-pass, and
    // fencing paused everything when it woke): the entries may be older than a failover that
    // gave these VMs to others. Nothing is resumed on them; the pass after rejoining decides.
    if (!this.membership!.alive || this.membership!.epoch !== epoch) return;
    // Only now, every stale copy stopped: what fencing paused and this host still owns runs again.
    this.fencing!.release();
    for (const name of own) this.fencing!.resumeOwn(name);
    for (const read of entries.values()) {
      const e = read.entry;
      if (e.host !== this.name || here.has(e.name) || ON_ITS_WAY.has(e.state) || e.state === 'lost') continue;
      if (this.stoppedHere.delete(e.name)) await this.directory.remove(read);
      else await this.directory.swap(read, { ...e, state: 'lost', reason: `its host ${this.name} does not hold it` });
    }
  }

  private entryOf(v: VmInfo): VmEntry {
    return { name: v.name, host: this.name, address: this.address, state: v.state, memSize: v.memSize, share: v.share, kernel: v.kernel, instructions: v.instructions };
  }

  private async removeIfMine(name: string): Promise<void> {
    const read = await this.directory.get(name);
    if (read?.entry.host === this.name && (await this.directory.remove(read))) this.stoppedHere.delete(name);
  }

  /** The swap's answer was lost: read until the entry says whether it happened (at most the lease's TTL). */
  private async settleSwap(name: string, migrationId: string, first: Error): Promise<boolean> {
    const until = Date.now() + this.o.ttl * 1000;
    let last = first;
    while (Date.now() < until) {
      try {
        const read = await this.directory.get(name);
        return read?.entry.migration === migrationId;
      } catch (e) {
        last = e as Error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new ControlError('unreachable', `etcd could not say whether ${name}'s directory entry moved (${last.message}): not committing; the guest stays on the source`);
  }

  private record(): HostRecord {
    const vms = this.service?.host.list() ?? [];
    for (const v of vms) this.claimed.delete(v.name);
    const coming = [...this.claimed.values()];
    return {
      name: this.name,
      address: this.address,
      capacity: this.o.capacity,
      used: vms.reduce((n, v) => n + v.memSize, 0) + coming.reduce((n, v) => n + v.memSize, 0),
      load: vms.filter((v) => v.state === 'running').reduce((n, v) => n + v.share, 0) + coming.reduce((n, v) => n + v.share, 0),
      vms: vms.length + coming.length,
      pid: process.pid,
      startedAt: this.startedAt,
    };
  }

  private readonly startedAt = new Date().toISOString();

  private get address(): string {
    return this.service?.address ?? '';
  }

  private requireAlive(): void {
    if (!this.membership?.alive) throw new ControlError('unreachable', 'this host has lost its lease in the cluster (etcd unreachable?): it starts and commits nothing until it rejoins');
  }

  /** An etcd call whose failure is the daemon's `unreachable` error, one line. */
  private async etcd<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof EtcdError) throw new ControlError('unreachable', `the cluster's etcd: ${e.message}`);
      throw e;
    }
  }
}

function withoutRestart(e: VmEntry): VmEntry {
  const { restarted: _r, reason: _why, ...rest } = e;
  return rest;
}
