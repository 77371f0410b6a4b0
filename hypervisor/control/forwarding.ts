/**
 * Where VMs this daemon sent away went: the forwarding addresses a client
 * asking for one of them gets (`moved`, with the daemon it went to), so
 * `vm stats|stop|console NAME` reaches it there (`--follow`) — an endpoint
 * mapper for the VMs that left.
 *
 * Bounded both ways, as a forwarding address at a post office is: an entry
 * lasts FORWARD_TTL_MS (15 minutes) and at most FORWARD_MAX entries are kept
 * (the oldest goes first). A VM of that name starting or arriving here again
 * replaces its entry.
 */

export const FORWARD_TTL_MS = 15 * 60 * 1000;
export const FORWARD_MAX = 1024;

export interface ForwardingEntry {
  /** HOST:PORT of the daemon it went to. */
  readonly to: string;
  /** When it left (ms since the epoch). */
  readonly at: number;
}

export class Forwarding {
  private readonly entries = new Map<string, ForwardingEntry>();

  constructor(
    private readonly ttlMs = FORWARD_TTL_MS,
    private readonly max = FORWARD_MAX,
    private readonly now: () => number = Date.now,
  ) {}

  remember(name: string, to: string): void {
    this.entries.delete(name); // re-inserted: the newest is last
    this.entries.set(name, { to, at: this.now() });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Where it went, if it left within the last FORWARD_TTL_MS. */
  where(name: string): ForwardingEntry | undefined {
    const e = this.entries.get(name);
    if (e && this.now() - e.at > this.ttlMs) {
      this.entries.delete(name);
      return undefined;
    }
    return e;
  }

  forget(name: string): void {
    this.entries.delete(name);
  }

  get size(): number {
    return this.entries.size;
  }
}
