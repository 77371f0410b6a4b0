/**
 * The monitors a daemon runs its VMs on: the composition `typevisor serve`
 * (and the tests' in-process daemons) hand to the control plane, which only
 * knows core's VmHost.
 */
import type { Hosts } from '../../hypervisor/control/registry.js';
import { NativeMonitor } from '../../hypervisor/native/monitor.js';

export interface HostsOptions {
  /** Machine RAM for the native monitor's VMs (shadow tables included). */
  readonly capacity: number;
}

export function daemonHosts(o: HostsOptions): Hosts {
  return {
    native: new NativeMonitor([], { capacity: o.capacity }),
  };
}
