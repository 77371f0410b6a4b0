/**
 * `typevisor serve --cluster URL[,URL…]`: the options that make a daemon a
 * host of a fleet, and joining it. The fleet's code (hypervisor/cluster) is
 * imported only when --cluster is given: a daemon alone loads none of it.
 */
import { Option, type Command } from 'commander';
import type { FleetHooks } from '../../hypervisor/control/fleet-hooks.js';
import type { Service } from '../../hypervisor/control/service.js';
import type { ClientTls } from '../../hypervisor/control/tls.js';

export interface FleetServeOptions {
  readonly cluster?: string;
  readonly hostName?: string;
  readonly clusterLease: string;
}

export const DEFAULT_LEASE_SECONDS = 10;

export function fleetServeOptions(cmd: Command): Command {
  return cmd
    .option('--cluster <urls>', 'join a fleet whose state is in etcd at these URLs (comma-separated, e.g. http://127.0.0.1:2379)')
    .option('--host-name <name>', 'with --cluster: this host\'s name in the fleet (default: its HOST:PORT)')
    .addOption(new Option('--cluster-lease <seconds>', 'with --cluster: the lease that keeps this host alive in the fleet; it counts as dead this long after it stops renewing').default(String(DEFAULT_LEASE_SECONDS)));
}

export const FLEET_SERVE_HELP = `
With --cluster URL[,URL…] the daemon is a host of a fleet kept in etcd
(typevisor cluster --help): it registers under a lease it renews every third
of --cluster-lease (address, capacity, used memory, load, VM count), puts
each VM it starts in the fleet's directory, moves a VM's entry at the commit
point of each migration, and restarts the VMs of a dead host from the shared
snapshot store (--snapshot-dir). The fleet shares one token: etcd holds
addresses, never the token. Without --cluster nothing of this is loaded.`;

export interface Fleet {
  readonly hooks: FleetHooks;
  /** Join with the started daemon (an unreachable etcd or a taken host name fails here, with a reason). */
  join(service: Service): Promise<void>;
  leave(): Promise<void>;
}

export interface FleetContext {
  readonly capacity: number;
  readonly token: string;
  readonly tls?: ClientTls;
  readonly snapshotDir?: string;
  readonly log: (line: string) => void;
}

/** The fleet of `--cluster`, or a sentence saying what is wrong with the options. */
export async function openFleet(opts: FleetServeOptions & { readonly cluster: string }, ctx: FleetContext): Promise<Fleet | string> {
  const lease = Number(opts.clusterLease);
  if (!Number.isInteger(lease) || lease < 1 || lease > 3600) return '--cluster-lease: a whole number of seconds from 1 to 3600';
  if (opts.hostName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/.test(opts.hostName)) return '--host-name: letters, digits, . _ : - (at most 63, starting with a letter or digit)';
  const { EtcdClient, EtcdError, parseEndpoints } = await import('../../hypervisor/cluster/etcd.js');
  const { FleetAgent } = await import('../../hypervisor/cluster/agent.js');
  let endpoints: string[];
  try {
    endpoints = parseEndpoints(opts.cluster);
  } catch (e) {
    if (e instanceof EtcdError) return e.message;
    throw e;
  }
  const agent = new FleetAgent({
    etcd: new EtcdClient(endpoints),
    ttl: lease,
    pollMs: Math.min(500, (lease * 1000) / 4),
    capacity: ctx.capacity,
    token: ctx.token,
    log: ctx.log,
    ...(opts.hostName !== undefined ? { hostName: opts.hostName } : {}),
    ...(ctx.tls ? { tls: ctx.tls } : {}),
    ...(ctx.snapshotDir !== undefined ? { snapshotDir: ctx.snapshotDir } : {}),
  });
  return { hooks: agent, join: (s) => agent.join(s), leave: () => agent.leave() };
}
