/**
 * The monitors a daemon runs its VMs on: the composition `typevisor serve`
 * (and the tests' in-process daemons) hand to the control plane, which only
 * knows core's VmHost.
 *
 *   native  one simulated machine of `capacity` bytes, its VMs sharing the
 *           daemon's thread in slices, in virtual time
 *   hosted  a worker thread per VM over RAM in a SharedArrayBuffer, in host
 *           time; its VMs together hold at most `capacity` bytes
 */
import type { Hosts } from '../../hypervisor/control/registry.js';
import { HostedHost } from '../../hypervisor/hosted/host.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { jitDumpDirOption, jitDumpOption } from '../jit-dump.js';

export interface HostsOptions {
  /** RAM for each monitor's VMs, shadow tables included. */
  readonly capacity: number;
  /** The compiled vCPU thread (default: beside the hosted monitor's module). */
  readonly workerUrl?: URL;
}

export function daemonHosts(o: HostsOptions): Hosts {
  return {
    native: new NativeMonitor([], { capacity: o.capacity, ...jitDumpOption() }),
    hosted: new HostedHost({ capacity: o.capacity, spareThread: true, ...jitDumpDirOption(), ...(o.workerUrl ? { workerUrl: o.workerUrl } : {}) }),
  };
}
