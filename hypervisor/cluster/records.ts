/**
 * What the fleet keeps in etcd, key by key, and the checks a value read back
 * must pass (another program may have written the key: a value that is not
 * ours is skipped with a reason, never trusted).
 *
 *   /typevisor/hosts/NAME   HostRecord   under the host's lease: gone when it dies
 *   /typevisor/vms/NAME     VmEntry      no lease: outlives its host (that is how a
 *                                        survivor finds the VMs to restart)
 *   /typevisor/failover     lock         under the lease of the survivor restarting
 *                                        a dead host's VMs (one at a time)
 *
 * The token is not stored: the fleet shares one token (each daemon's
 * --token, each client's --token or $TYPEVISOR_TOKEN), and anyone who can
 * read etcd learns addresses, not the key to the daemons.
 */

export const ROOT = '/typevisor/';
export const HOSTS = `${ROOT}hosts/`;
export const VMS = `${ROOT}vms/`;
export const FAILOVER_LOCK = `${ROOT}failover`;

export const hostKey = (name: string): string => HOSTS + name;
export const vmKey = (name: string): string => VMS + name;

/** A live host, as it registered itself (and updates as its VMs come and go). */
export interface HostRecord {
  readonly name: string;
  /** HOST:PORT of its daemon. */
  readonly address: string;
  /** Bytes of guest RAM each of its monitors may give (serve --capacity). */
  readonly capacity: number;
  /** Bytes of guest RAM its VMs hold (on either monitor). */
  readonly used: number;
  /** The sum of the shares of its running VMs: how much CPU its guests ask for. */
  readonly load: number;
  /** VMs it holds, whatever their state. */
  readonly vms: number;
  readonly pid: number;
  readonly startedAt: string;
}

/** Where a VM was restarted from after its host died. */
export interface Restart {
  /** The host it was on. */
  readonly from: string;
  /** The instruction count of the snapshot it resumed from. */
  readonly instructions: number;
  readonly snapshot: string;
  readonly at: string;
}

/** One VM of the fleet: which host owns it now, and in what state. */
export interface VmEntry {
  readonly name: string;
  /** The owning host's name, and its daemon's address (kept so a client needs one read). */
  readonly host: string;
  readonly address: string;
  /** running, paused, off, …; `restarting` while a survivor brings it back; `lost` when it cannot. */
  readonly state: string;
  readonly memSize: number;
  readonly share: number;
  readonly kernel: string;
  readonly instructions: number;
  /** The migration that last moved it here (the compare-and-swap's witness). */
  readonly migration?: string;
  readonly restarted?: Restart;
  /** Why it is lost, when it is. */
  readonly reason?: string;
}

/** A host record read back, or a sentence saying what is wrong with it. */
export function parseHost(key: string, text: string): HostRecord | string {
  const o = parseObject(key, text);
  if (typeof o === 'string') return o;
  for (const f of ['name', 'address', 'startedAt'] as const) if (typeof o[f] !== 'string') return `${key}: field ${f} is not a string`;
  for (const f of ['capacity', 'used', 'load', 'vms', 'pid'] as const) if (!isCount(o[f])) return `${key}: field ${f} is not a whole number ≥ 0`;
  return o as unknown as HostRecord;
}

/** A VM entry read back, or a sentence saying what is wrong with it. */
export function parseVm(key: string, text: string): VmEntry | string {
  const o = parseObject(key, text);
  if (typeof o === 'string') return o;
  for (const f of ['name', 'host', 'address', 'state', 'kernel'] as const) if (typeof o[f] !== 'string') return `${key}: field ${f} is not a string`;
  for (const f of ['memSize', 'share', 'instructions'] as const) if (!isCount(o[f])) return `${key}: field ${f} is not a whole number ≥ 0`;
  if (o['migration'] !== undefined && typeof o['migration'] !== 'string') return `${key}: field migration is not a string`;
  const r = o['restarted'] as Record<string, unknown> | undefined;
  if (r !== undefined && (typeof r !== 'object' || r === null || typeof r['from'] !== 'string' || !isCount(r['instructions']))) return `${key}: field restarted is not {from, instructions, …}`;
  return o as unknown as VmEntry;
}

function parseObject(key: string, text: string): Record<string, unknown> | string {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return `${key}: not JSON (${(e as Error).message})`;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return `${key}: not a JSON object`;
  return o as Record<string, unknown>;
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
