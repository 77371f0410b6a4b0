/**
 * Rebalancing: the plan of live migrations that evens out the hosts' load.
 *
 * A host's load is the sum of the shares of its running VMs (what its guests
 * ask of its CPU). The spread is the most loaded host's load minus the least
 * loaded one's. While the spread is above the threshold, the plan moves one
 * running VM from the most loaded host to the least loaded one that has room
 * for its memory: the VM with the largest share that still narrows the gap
 * (share < gap, so the two hosts do not just swap places). Ties go by host
 * name, the first most loaded and the first least loaded. It stops when the
 * spread is within the threshold or no move narrows it. Each step is computed
 * on the loads the previous steps leave, so the plan is what the fleet looks
 * like after each move.
 *
 * Pure: the hosts and VMs in, the moves out (`cluster rebalance --dry-run`
 * prints exactly this).
 */
import { free } from './placement.js';
import type { HostRecord, VmEntry } from './records.js';

export interface Move {
  readonly vm: string;
  readonly from: string;
  readonly to: string;
  /** The two hosts' loads after this move. */
  readonly fromLoad: number;
  readonly toLoad: number;
}

export interface Plan {
  readonly moves: readonly Move[];
  /** Spread before and after the plan. */
  readonly spreadBefore: number;
  readonly spreadAfter: number;
}

/** The default threshold: a spread of one share (one ordinary VM) is balanced. */
export const DEFAULT_THRESHOLD = 1;

export function planRebalance(hosts: readonly HostRecord[], vms: readonly VmEntry[], threshold = DEFAULT_THRESHOLD): Plan {
  const names = new Set(hosts.map((h) => h.name));
  const state = hosts.map((h) => ({
    name: h.name,
    free: free(h),
    load: 0,
    vms: [] as VmEntry[],
  }));
  const byName = new Map(state.map((s) => [s.name, s]));
  for (const v of vms) {
    if (!names.has(v.host) || v.state !== 'running') continue;
    const s = byName.get(v.host)!;
    s.load += v.share;
    s.vms.push(v);
  }
  const spread = (): number => (state.length === 0 ? 0 : Math.max(...state.map((s) => s.load)) - Math.min(...state.map((s) => s.load)));
  const spreadBefore = spread();
  const moves: Move[] = [];
  // Every move narrows the gap between two hosts by at least 1 share, so this bound is never the reason to stop.
  for (let guard = 0; guard < vms.length * Math.max(1, hosts.length); guard++) {
    const order = [...state].sort((a, b) => b.load - a.load || (a.name < b.name ? -1 : 1));
    const hi = order[0];
    if (!hi || spread() <= threshold) break;
    let moved = false;
    // The least loaded first (ties: by name); a host without room for any candidate passes to the next.
    const lows = [...state].sort((a, b) => a.load - b.load || (a.name < b.name ? -1 : 1));
    for (const lo of lows) {
      const gap = hi.load - lo.load;
      if (lo === hi || gap <= threshold) break;
      const pick = hi.vms
        .filter((v) => v.share < gap && v.memSize <= lo.free)
        .sort((a, b) => b.share - a.share || (a.name < b.name ? -1 : 1))[0];
      if (!pick) continue;
      hi.vms.splice(hi.vms.indexOf(pick), 1);
      lo.vms.push(pick);
      hi.load -= pick.share;
      lo.load += pick.share;
      hi.free += pick.memSize;
      lo.free -= pick.memSize;
      moves.push({ vm: pick.name, from: hi.name, to: lo.name, fromLoad: hi.load, toLoad: lo.load });
      moved = true;
      break;
    }
    if (!moved) break;
  }
  return { moves, spreadBefore, spreadAfter: spread() };
}
