/**
 * Placement: which host a new VM goes to. The rule (vm start --help and the
 * README say the same):
 *
 *   among the live hosts with room for the VM's memory (capacity − used ≥ mem),
 *   the one with the most free memory; on a tie, the lowest load (the sum of
 *   its running VMs' shares); on a tie still, the first name in order.
 *
 * Free memory first because memory is what a host cannot overcommit (a VM
 * that does not fit is refused); CPU is shared by weight, so load only breaks
 * ties. The names make the choice deterministic.
 */
import type { HostRecord } from './records.js';

export type Placement = { readonly host: HostRecord } | { readonly none: string };

export const free = (h: HostRecord): number => h.capacity - h.used;

/** Most free memory, then lowest load, then name: negative when `a` is the better host. */
export function better(a: HostRecord, b: HostRecord): number {
  return free(b) - free(a) || a.load - b.load || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function place(hosts: readonly HostRecord[], memSize: number): Placement {
  if (hosts.length === 0) return { none: 'no live host in the cluster (start one: typevisor serve --cluster URL)' };
  const fits = hosts.filter((h) => free(h) >= memSize);
  if (fits.length === 0) {
    const most = [...hosts].sort(better)[0]!;
    return { none: `no host has ${memSize} bytes free (the most is ${free(most)} on ${most.name})` };
  }
  return { host: [...fits].sort(better)[0]! };
}
