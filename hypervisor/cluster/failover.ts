/**
 * Failover: a host whose lease expired is dead, and its VMs are restarted on
 * the survivors from their latest snapshot in the shared snapshot store
 * (serve --snapshot-dir DIR: DIR/NAME.tvsn, replaced atomically by
 * serve --snapshot-every on the host that ran NAME).
 *
 * One survivor at a time: the one that creates the failover lock (a key that
 * exists only while its creator's lease lives: a survivor that dies holding it
 * frees it) restarts the orphans, one by one:
 *
 *   1. read the VM's entry again (revision R); still an orphan?
 *   2. choose its new host by the placement rule among the live hosts;
 *   3. swap the entry, at R, to {host: the new one, state: restarting,
 *      restarted: {from, snapshot}} — from here no other survivor touches it;
 *   4. ask the new host to restore NAME.tvsn (itself, or over the control
 *      protocol with the fleet's token), eagerly;
 *   5. record the instruction count it resumed from, state running.
 *
 * Without a snapshot the VM cannot come back: its entry says lost, and why.
 * A dead host that returns finds its VMs owned elsewhere and stops them
 * (fencing.ts); one that returns before anyone restarted them (its entry
 * still names it) simply resumes them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../control/client.js';
import { parseAddress } from '../control/address.js';
import type { RestoreParams, RestoreResult } from '../control/protocol.js';
import type { ClientTls } from '../control/tls.js';
import type { Directory, Read } from './directory.js';
import type { EtcdClient } from './etcd.js';
import { place } from './placement.js';
import { FAILOVER_LOCK, type HostRecord, type VmEntry } from './records.js';

export interface FailoverOptions {
  readonly etcd: EtcdClient;
  readonly directory: Directory;
  /** This host, as it is now. */
  readonly self: () => HostRecord;
  /** This host's lease (the lock lives under it); undefined while it is lost. */
  readonly lease: () => string | undefined;
  readonly restoreHere: (p: RestoreParams) => Promise<RestoreResult>;
  readonly token: string;
  readonly tls?: ClientTls;
  readonly snapshotDir?: string;
  readonly log: (line: string) => void;
}

/** The file a VM's latest snapshot is in. */
export const snapshotFile = (dir: string, vm: string): string => join(dir, `${vm}.tvsn`);

export class Failover {
  private running = false;

  constructor(private readonly o: FailoverOptions) {}

  /** Restart the VMs of dead hosts, if there are any and this host wins the lock. */
  async run(hosts: readonly HostRecord[], entries: readonly Read[]): Promise<void> {
    const alive = new Set(hosts.map((h) => h.name));
    const orphans = entries.filter((r) => orphaned(r.entry, alive));
    if (orphans.length === 0 || this.running) return;
    const lease = this.o.lease();
    if (lease === undefined) return;
    const me = this.o.self().name;
    this.running = true;
    try {
      if (!(await this.o.etcd.txn([{ key: FAILOVER_LOCK, absent: true }], [{ put: FAILOVER_LOCK, value: me, lease }]))) return;
      try {
        // The hosts' records lag their VMs by a pass: count here what this run puts on each.
        const view = hosts.map((h) => ({ ...h }));
        for (const o of orphans) {
          const to = await this.restart(o.entry.name, view);
          const h = view.find((x) => x.name === to);
          if (h) view[view.indexOf(h)] = { ...h, used: h.used + o.entry.memSize, load: h.load + o.entry.share, vms: h.vms + 1 };
        }
      } finally {
        await this.o.etcd.txn([{ key: FAILOVER_LOCK, value: me }], [{ delete: FAILOVER_LOCK }]).catch(() => undefined);
      }
    } finally {
      this.running = false;
    }
  }

  /** Restart one orphan: the host it went to, if it went anywhere. */
  private async restart(name: string, hosts: readonly HostRecord[]): Promise<string | undefined> {
    const read = await this.o.directory.get(name);
    const alive = new Set(hosts.map((h) => h.name));
    if (!read || !orphaned(read.entry, alive)) return;
    const e = read.entry;
    const dead = e.state === 'restarting' && e.restarted ? `${e.host} (restarting it from ${e.restarted.from})` : e.host;
    const file = this.o.snapshotDir !== undefined ? snapshotFile(this.o.snapshotDir, name) : undefined;
    if (file === undefined || !existsSync(file)) {
      const reason = `its host ${dead} died and there is no snapshot to restart it from (${file ?? 'this host has no --snapshot-dir'})`;
      await this.o.directory.swap(read, { ...e, state: 'lost', reason });
      this.o.log(`cluster: ${name}: lost: ${reason}`);
      return;
    }
    const target = place(hosts, e.memSize);
    if ('none' in target) {
      const reason = `its host ${dead} died and no survivor has room: ${target.none}`;
      await this.o.directory.swap(read, { ...e, state: 'lost', reason });
      this.o.log(`cluster: ${name}: lost: ${reason}`);
      return;
    }
    const to = target.host;
    const from = e.restarted && e.state === 'restarting' ? e.restarted.from : e.host;
    const restarting: VmEntry = { ...e, host: to.name, address: to.address, state: 'restarting', restarted: { from, instructions: 0, snapshot: file, at: new Date().toISOString() } };
    delete (restarting as { migration?: string }).migration;
    if (!(await this.o.directory.swap(read, restarting))) return undefined; // someone else moved it first
    this.o.log(`cluster: ${name}: its host ${from} is dead; restarting it on ${to.name} from ${file}`);
    const params: RestoreParams = { path: file, name, lazy: false, share: e.share, restart: true };
    let result: RestoreResult;
    try {
      result = to.name === this.o.self().name ? await this.o.restoreHere(params) : await this.restoreOn(to, params);
    } catch (err) {
      const now = await this.o.directory.get(name);
      const reason = `restarting it on ${to.name} from ${file} failed: ${(err as Error).message}`;
      if (now && now.entry.host === to.name && now.entry.state === 'restarting') await this.o.directory.swap(now, { ...now.entry, state: 'lost', reason });
      this.o.log(`cluster: ${name}: ${reason}`);
      return undefined;
    }
    // A compare-and-swap that can lose to the new host's own pass: read and try again.
    for (let tries = 0; tries < 5; tries++) {
      const now = await this.o.directory.get(name);
      if (!now || now.entry.host !== to.name) break;
      if (await this.o.directory.swap(now, { ...now.entry, state: result.state, instructions: result.savedAt, restarted: { ...restarting.restarted!, instructions: result.savedAt, at: new Date().toISOString() } })) break;
    }
    this.o.log(`cluster: ${name}: running again on ${to.name}, from instruction ${result.savedAt} (${result.restoreMs} ms to restore)`);
    return to.name;
  }

  private async restoreOn(host: HostRecord, params: RestoreParams): Promise<RestoreResult> {
    const c = await ControlClient.connect({ address: parseAddress(host.address), token: this.o.token, client: 'daemon', ...(this.o.tls ? { tls: this.o.tls } : {}) });
    try {
      return await c.request('vm.restore', params);
    } finally {
      c.close();
    }
  }
}

/** A VM whose owner is not a live host (and that could still come back). */
function orphaned(e: VmEntry, alive: ReadonlySet<string>): boolean {
  return !alive.has(e.host) && e.state !== 'lost' && e.state !== 'off';
}
