/**
 * `--cluster URL[,URL…]` on the client commands: instead of naming a daemon
 * (--connect), name the fleet, and the command finds the daemon in etcd —
 * the directory for a VM (vm console|stats|stop|pause|resume, migrate), the
 * placement rule for a new one (vm start). The token is the fleet's, from
 * --token or $TYPEVISOR_TOKEN as always: etcd holds no token.
 *
 * The fleet's code is imported only when --cluster (or $TYPEVISOR_CLUSTER)
 * is given.
 */
import type { Command } from 'commander';
import type { ConnectOptions } from './connect.js';
import { fail } from '../load.js';

export const CLUSTER_ENV = 'TYPEVISOR_CLUSTER';

export interface ClusterOptions {
  readonly cluster?: string;
}

export const CLUSTER_HELP = `etcd URL(s) of a fleet (comma-separated): find the daemon there instead of --connect (default: $${CLUSTER_ENV})`;

export function clusterOption(cmd: Command): Command {
  return cmd.option('--cluster <urls>', CLUSTER_HELP);
}

/** The fleet's endpoints text, when this command line talks to a fleet (--connect wins over the environment). */
export function clusterOf(opts: ClusterOptions & ConnectOptions): string | undefined {
  if (opts.cluster !== undefined) return opts.cluster;
  return opts.connect === undefined ? process.env[CLUSTER_ENV] : undefined;
}

/** Open the fleet's store, or say (one line) why not. */
export async function openDirectory(urls: string): Promise<{ directory: import('../../hypervisor/cluster/directory.js').Directory; etcd: import('../../hypervisor/cluster/etcd.js').EtcdClient } | undefined> {
  const { EtcdClient, EtcdError, parseEndpoints } = await import('../../hypervisor/cluster/etcd.js');
  const { Directory } = await import('../../hypervisor/cluster/directory.js');
  try {
    const etcd = new EtcdClient(parseEndpoints(urls));
    return { etcd, directory: new Directory(etcd, (line) => process.stderr.write(`${line}\n`)) };
  } catch (e) {
    if (e instanceof EtcdError) return void fail(e.message);
    throw e;
  }
}

/**
 * The options with --connect set to the daemon that owns VM `name` now (and
 * --follow on: it may move while we talk to it), or as they are without a
 * fleet; undefined after saying why not.
 */
export async function vmInFleet<T extends ConnectOptions & ClusterOptions>(name: string, opts: T): Promise<(T & { follow?: boolean }) | undefined> {
  const urls = clusterOf(opts);
  if (urls === undefined) return opts;
  if (opts.cluster !== undefined && opts.connect !== undefined) return void fail('give --cluster or --connect, not both');
  const store = await openDirectory(urls);
  if (!store) return undefined;
  const { EtcdError } = await import('../../hypervisor/cluster/etcd.js');
  try {
    const read = await store.directory.get(name);
    if (!read) return void fail(`no VM named ${name} in the cluster (typevisor cluster vms lists them)`);
    const e = read.entry;
    if (e.state === 'lost') return void fail(`${name} is lost: ${e.reason ?? 'its host died'}`);
    const { listHosts } = await import('../../hypervisor/cluster/membership.js');
    const alive = (await listHosts(store.etcd, () => {})).some((h) => h.name === e.host);
    if (!alive) return void fail(`${name}'s host ${e.host} is dead; a survivor restarts it from its snapshot if there is one (typevisor cluster vms shows when)`);
    return { ...opts, connect: e.address, follow: true };
  } catch (e) {
    if (e instanceof EtcdError) return void fail(e.message);
    throw e;
  }
}

/** `--to` of migrate with --cluster: a host's name (or its address) in the fleet, as its address. */
export async function hostInFleet(urls: string, host: string): Promise<string | undefined> {
  const store = await openDirectory(urls);
  if (!store) return undefined;
  const { EtcdError } = await import('../../hypervisor/cluster/etcd.js');
  const { listHosts } = await import('../../hypervisor/cluster/membership.js');
  try {
    const hosts = await listHosts(store.etcd, () => {});
    const h = hosts.find((x) => x.name === host || x.address === host);
    if (!h) return void fail(`no live host ${host} in the cluster (live: ${hosts.map((x) => x.name).join(', ') || 'none'})`);
    return h.address;
  } catch (e) {
    if (e instanceof EtcdError) return void fail(e.message);
    throw e;
  }
}

/**
 * vm start --cluster: the options with --connect set to the host the VM goes
 * to — `--host H` if given, else the placement rule's choice (placement.ts)
 * for `memSize` bytes.
 */
export async function placeInFleet<T extends ConnectOptions & ClusterOptions & { readonly host?: string }>(opts: T, memSize: number | undefined): Promise<T | undefined> {
  const urls = clusterOf(opts);
  if (urls === undefined) {
    if (opts.host !== undefined) return void fail('--host goes with --cluster (a host of the fleet)');
    return opts;
  }
  if (opts.cluster !== undefined && opts.connect !== undefined) return void fail('give --cluster or --connect, not both');
  if (opts.host !== undefined) {
    const address = await hostInFleet(urls, opts.host);
    return address === undefined ? undefined : { ...opts, connect: address };
  }
  if (memSize === undefined) return void fail('with --cluster, say where a snapshot\'s instances go: --host H');
  const store = await openDirectory(urls);
  if (!store) return undefined;
  const { EtcdError } = await import('../../hypervisor/cluster/etcd.js');
  const { listHosts } = await import('../../hypervisor/cluster/membership.js');
  const { place } = await import('../../hypervisor/cluster/placement.js');
  try {
    const chosen = place(await listHosts(store.etcd, () => {}), memSize);
    if ('none' in chosen) return void fail(`cannot place the VM: ${chosen.none}`);
    return { ...opts, connect: chosen.host.address };
  } catch (e) {
    if (e instanceof EtcdError) return void fail(e.message);
    throw e;
  }
}
