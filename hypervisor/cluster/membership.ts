/**
 * Membership: a host is in the fleet while its lease lives. The daemon puts
 * its HostRecord under a lease of `ttl` seconds and renews it every ttl/3;
 * when etcd stops renewing it (the daemon died, hung, or lost etcd for a
 * whole TTL) the record vanishes and the other hosts count it dead.
 *
 * This side must reach the same conclusion about itself, and not later than
 * the others: it counts its lease lost as soon as etcd says so (a renewal
 * answering TTL 0) or a whole TTL has passed since the last renewal etcd
 * confirmed — measured from when the renewal was *sent*, so a slow answer
 * cannot stretch it. A process stopped (SIGSTOP) and continued notices on its
 * first timer tick, before any renewal is tried. Then `onLost` runs (fencing:
 * pause every VM), and the daemon asks for a new lease until it gets one;
 * with it, `onRegained` (fencing: stop what is owned elsewhere now, resume
 * the rest).
 */
import { EtcdError, type EtcdClient } from './etcd.js';
import { HOSTS, hostKey, parseHost, type HostRecord } from './records.js';

export interface MembershipEvents {
  readonly onLost: (why: string) => Promise<void> | void;
  readonly onRegained: () => Promise<void> | void;
  readonly log: (line: string) => void;
}

export class Membership {
  private lease: string | undefined;
  private lastOkSentAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private lost = false;
  private busy = false;
  private closed = false;
  private written = '';
  /** Counts the leases lost: a pass that began under another epoch acts on a stale view. */
  private lostCount = 0;

  constructor(
    private readonly etcd: EtcdClient,
    /** Lease time to live, seconds. */
    readonly ttl: number,
    /** This host's record as it is now (called at each renewal). */
    private readonly record: () => HostRecord,
    private readonly events: MembershipEvents,
  ) {}

  /**
   * Alive by the clock too, not only once the renewal timer noticed: a process
   * continued after SIGSTOP may run another timer first, and that one must
   * already see the lease as lost.
   */
  get alive(): boolean {
    return this.lease !== undefined && !this.lost && Date.now() - this.lastOkSentAt < this.ttl * 1000;
  }

  /** Changes whenever the lease is lost: compare it before and after work that read the directory. */
  get epoch(): number {
    return this.lostCount;
  }

  get leaseId(): string | undefined {
    return this.alive ? this.lease : undefined;
  }

  /** Join: the first lease and record (an unreachable etcd fails the daemon's start). */
  async join(): Promise<void> {
    const rec = this.record();
    const holder = await this.etcd.get(hostKey(rec.name));
    if (holder) throw new EtcdError(`another live daemon is already host ${rec.name} in this cluster (${holder.value.slice(0, 120)}): give this one another --host-name`, 'refused');
    await this.register();
    this.timer = setInterval(() => void this.tick(), Math.max(100, (this.ttl * 1000) / 3));
    this.timer.unref?.();
  }

  /** Put the record again now if it changed (VMs came or went). */
  async refresh(): Promise<void> {
    if (!this.alive) return;
    const text = JSON.stringify(this.record());
    if (text === this.written) return;
    await this.etcd.put(hostKey(this.record().name), text, this.lease);
    this.written = text;
  }

  /** Every live host, by name (records that are not ours to read are skipped, with a line each). */
  async hosts(): Promise<HostRecord[]> {
    return listHosts(this.etcd, this.events.log);
  }

  async leave(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const lease = this.lease;
    this.lease = undefined;
    if (lease) await this.etcd.revoke(lease).catch(() => undefined);
  }

  private async register(): Promise<void> {
    const sentAt = Date.now();
    const lease = await this.etcd.grant(this.ttl);
    const text = JSON.stringify(this.record());
    await this.etcd.put(hostKey(this.record().name), text, lease);
    this.written = text;
    this.lease = lease;
    this.lastOkSentAt = sentAt;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      if (!this.lost && Date.now() - this.lastOkSentAt >= this.ttl * 1000) await this.loseLease(`no renewal confirmed for ${this.ttl} s`);
      if (this.lost) return await this.regain();
      const sentAt = Date.now();
      let ttl: number;
      try {
        ttl = await this.etcd.keepAlive(this.lease!);
      } catch (e) {
        this.events.log(`cluster: lease renewal failed: ${(e as Error).message}`);
        return;
      }
      if (ttl <= 0) return await this.loseLease('etcd says the lease expired');
      this.lastOkSentAt = sentAt;
      await this.refresh().catch((e: unknown) => this.events.log(`cluster: host record not updated: ${(e as Error).message}`));
    } finally {
      this.busy = false;
    }
  }

  private async loseLease(why: string): Promise<void> {
    this.lost = true;
    this.lostCount++;
    this.events.log(`cluster: lease lost (${why}): this host counts as dead to the others`);
    await this.events.onLost(why);
  }

  private async regain(): Promise<void> {
    try {
      await this.register();
    } catch (e) {
      this.events.log(`cluster: rejoining failed: ${(e as Error).message}`);
      return;
    }
    this.lost = false;
    this.events.log('cluster: rejoined with a new lease');
    await this.events.onRegained();
  }
}

/** Every live host in the cluster, by name. */
export async function listHosts(etcd: EtcdClient, log: (line: string) => void): Promise<HostRecord[]> {
  const out: HostRecord[] = [];
  for (const kv of await etcd.range(HOSTS)) {
    const h = parseHost(kv.key, kv.value);
    if (typeof h === 'string') log(`cluster: skipped ${h}`);
    else out.push(h);
  }
  return out;
}
