/**
 * `typevisor cluster ls|vms|rebalance`: a fleet of daemons (serve --cluster)
 * seen through its etcd: the hosts, where every VM runs, and live migrations
 * that even out the hosts' load. Read straight from etcd; only rebalance talks
 * to daemons (with the fleet's token).
 */
import { Option, type Command } from 'commander';
import { ControlClient } from '../../hypervisor/control/client.js';
import { ControlError } from '../../hypervisor/control/control-error.js';
import { parseAddress } from '../../hypervisor/control/address.js';
import { STRATEGY_NAMES, type StrategyName } from '../../hypervisor/control/engine.js';
import type { HostRecord, VmEntry } from '../../hypervisor/cluster/records.js';
import type { Read } from '../../hypervisor/cluster/directory.js';
import type { Move } from '../../hypervisor/cluster/rebalance.js';
import { paint, paintErr } from '../color.js';
import { renderTable } from '../table.js';
import { clientTls, requireToken, type ConnectOptions } from '../control/connect.js';
import { CLUSTER_ENV, openDirectory } from '../control/fleet-target.js';
import { mib } from '../control/vm-table.js';
import { fail, writeOut } from '../load.js';

interface ClusterCmdOptions {
  readonly cluster?: string;
  readonly json?: boolean;
}

interface RebalanceOptions extends ClusterCmdOptions, ConnectOptions {
  readonly strategy: string;
  readonly dryRun?: boolean;
  readonly threshold?: string;
}

const EXAMPLES = `
A fleet is daemons started with --cluster on one etcd (Debian: apt-get install
etcd-server; it listens on http://127.0.0.1:2379).

Examples:
  typevisor serve --listen 127.0.0.1:7480 --cluster http://127.0.0.1:2379 --host-name a
  typevisor serve --listen 127.0.0.1:7481 --cluster http://127.0.0.1:2379 --host-name b
  export ${CLUSTER_ENV}=http://127.0.0.1:2379
  typevisor vm start guests/kernel/kernel.s --name web     (placed on a host by the rule)
  typevisor cluster ls
  typevisor cluster vms
  typevisor vm console web                                (found wherever it runs)
  typevisor cluster rebalance --dry-run

What etcd holds: each live host under its lease (address, capacity, used
memory, load = the sum of its running VMs' shares, VM count) and one entry
per VM naming its host — changed at a migration's commit point by a
compare-and-swap, so it never names two. No token: the fleet shares one.
A host whose lease expires is dead; a survivor restarts its VMs from their
latest snapshots in the shared --snapshot-dir, and cluster vms says so.`;

export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('a fleet of daemons on etcd: its hosts, where each VM runs, and rebalancing by live migration')
    .addHelpText('after', EXAMPLES);

  withCluster(cluster.command('ls').description('the fleet\'s hosts: alive or dead, capacity, memory used, load, VMs').option('--json', 'print them as JSON'))
    .addHelpText('after', `
A host is alive while its lease lives; a host that VMs still name but whose
lease is gone is listed as dead (its VMs are being restarted elsewhere, or
are lost without a snapshot).

Examples:
  typevisor cluster ls --cluster http://127.0.0.1:2379
  typevisor cluster ls --json`)
    .action((opts: ClusterCmdOptions) => fleetView(opts, (hosts, vms) => {
      if (opts.json) return writeOut(1, JSON.stringify({ hosts: hosts.map((h) => ({ ...h, alive: true })), dead: deadHosts(hosts, vms) }) + '\n');
      const c = paint();
      const rows = [
        ...hosts.map((h) => [h.name, h.address, c.green('alive'), mib(h.capacity), mib(h.used), mib(Math.max(0, h.capacity - h.used)), String(h.load), String(h.vms)]),
        ...deadHosts(hosts, vms).map((d) => [d.name, d.address, c.red('dead'), '', '', '', '', String(d.vms)]),
      ];
      if (rows.length === 0) return writeOut(1, 'no hosts in the cluster (start one: typevisor serve --cluster URL)\n');
      const [head, ...body] = renderTable(COLUMNS_LS, [['HOST', 'ADDRESS', 'STATE', 'CAPACITY', 'USED', 'FREE', 'LOAD', 'VMS'], ...rows]);
      writeOut(1, [c.bold(head!), ...body].join('\n') + '\n');
    }));

  withCluster(cluster.command('vms').description('every VM of the fleet: its host, state, and whether it was restarted after its host died').option('--json', 'print them as JSON'))
    .addHelpText('after', `
A VM whose host died shows "restarting" while a survivor brings it back,
then "running" with "restarted from <host> at instruction N" (the snapshot
it resumed from); "lost" says why it could not come back.

Examples:
  typevisor cluster vms --cluster http://127.0.0.1:2379
  typevisor cluster vms --json`)
    .action((opts: ClusterCmdOptions) => fleetView(opts, (hosts, vms) => {
      if (opts.json) return writeOut(1, JSON.stringify({ vms: vms.map((r) => ({ ...r.entry, hostAlive: hosts.some((h) => h.name === r.entry.host) })) }) + '\n');
      if (vms.length === 0) return writeOut(1, 'no VMs in the cluster (start one: typevisor vm start KERNEL --cluster URL)\n');
      const c = paint();
      const alive = new Set(hosts.map((h) => h.name));
      const rows = vms.map(({ entry: v }) => [v.name, v.host, alive.has(v.host) ? v.state : `${v.state} (host dead)`, mib(v.memSize), String(v.share), String(v.instructions), noteOf(v)]);
      const [head, ...body] = renderTable(COLUMNS_VMS, [['NAME', 'HOST', 'STATE', 'MEMORY', 'SHARE', 'INSTRUCTIONS', ''], ...rows]);
      writeOut(1, [c.bold(head!), ...body].join('\n') + '\n');
    }));

  withCluster(
    cluster
      .command('rebalance')
      .description('live-migrate VMs off the most loaded hosts until the load spread is within a threshold')
      .addOption(new Option('--strategy <s>', STRATEGY_NAMES.join(' | ')).default('pre-copy'))
      .option('--threshold <shares>', 'the load spread (most − least loaded host, in shares) that counts as balanced', '1')
      .option('--dry-run', 'print the plan only')
      .option('--token <token>', 'the fleet\'s shared token (default: $TYPEVISOR_TOKEN)')
      .option('--json', 'print the plan and each move\'s outcome as JSON lines'),
  )
    .addHelpText('after', `
A host's load is the sum of the shares of its running VMs. While the most
loaded host is more than --threshold above the least loaded one, the plan
moves the VM with the largest share that still narrows that gap from the
first to the second (or to the next least loaded host with room for its
memory). The plan is printed first; then each move is a live migration
(typevisor migrate, --strategy), printed with its report's summary: total
time, downtime, bytes. A move that fails stops the rebalance (the guest is
where the migration left it, as migrate says).

Examples:
  typevisor cluster rebalance --dry-run
  typevisor cluster rebalance --strategy post-copy --threshold 2`)
    .action((opts: RebalanceOptions) => rebalance(opts));
}

const COLUMNS_LS = [{ align: 'left' }, { align: 'left' }, { align: 'left' }, { align: 'right' }, { align: 'right' }, { align: 'right' }, { align: 'right' }, { align: 'right' }] as const;
const COLUMNS_VMS = [{ align: 'left' }, { align: 'left' }, { align: 'left' }, { align: 'right' }, { align: 'right' }, { align: 'right' }, { align: 'left' }] as const;

function withCluster(cmd: Command): Command {
  return cmd.option('--cluster <urls>', `the fleet's etcd URL(s), comma-separated (default: $${CLUSTER_ENV})`);
}

function urlsOf(opts: ClusterCmdOptions): string | undefined {
  const urls = opts.cluster ?? process.env[CLUSTER_ENV];
  if (urls === undefined) fail(`which fleet? give --cluster URL (its etcd, e.g. http://127.0.0.1:2379) or set $${CLUSTER_ENV}`);
  return urls;
}

/** Read the hosts and the directory, then show them. */
async function fleetView(opts: ClusterCmdOptions, show: (hosts: HostRecord[], vms: Read[]) => void): Promise<void> {
  const read = await readFleet(opts);
  if (read) show(read.hosts, read.vms);
}

async function readFleet(opts: ClusterCmdOptions): Promise<{ hosts: HostRecord[]; vms: Read[] } | undefined> {
  const urls = urlsOf(opts);
  if (urls === undefined) return undefined;
  const store = await openDirectory(urls);
  if (!store) return undefined;
  const { EtcdError } = await import('../../hypervisor/cluster/etcd.js');
  const { listHosts } = await import('../../hypervisor/cluster/membership.js');
  const warn = (line: string): void => void writeOut(2, `${paintErr().yellow('warning:')} ${line.replace(/^cluster: /, '')}\n`);
  try {
    return { hosts: await listHosts(store.etcd, warn), vms: await store.directory.list() };
  } catch (e) {
    if (e instanceof EtcdError) return void fail(e.message);
    throw e;
  }
}

function deadHosts(hosts: readonly HostRecord[], vms: readonly Read[]): { name: string; address: string; vms: number }[] {
  const alive = new Set(hosts.map((h) => h.name));
  const dead = new Map<string, { name: string; address: string; vms: number }>();
  for (const { entry } of vms) {
    if (alive.has(entry.host)) continue;
    const d = dead.get(entry.host) ?? { name: entry.host, address: entry.address, vms: 0 };
    d.vms++;
    dead.set(entry.host, d);
  }
  return [...dead.values()];
}

function noteOf(v: VmEntry): string {
  if (v.state === 'lost') return v.reason ?? '';
  if (v.restarted) return `restarted from ${v.restarted.from} at instruction ${v.restarted.instructions} (${v.restarted.at.slice(11, 19)})`;
  if (v.migration) return `migrated here (${v.migration.slice(0, 8)})`;
  return '';
}

async function rebalance(opts: RebalanceOptions): Promise<void> {
  const threshold = Number(opts.threshold ?? '1');
  if (!Number.isInteger(threshold) || threshold < 0) return fail('--threshold: a whole number of shares ≥ 0');
  const strategy = opts.strategy as StrategyName;
  if (!(STRATEGY_NAMES as readonly string[]).includes(strategy)) return fail(`--strategy ${JSON.stringify(opts.strategy)}: choose ${STRATEGY_NAMES.join(', ')}`);
  const token = opts.dryRun ? '' : requireToken(opts);
  if (token === undefined) return;
  const tls = clientTls(opts);
  if (tls === null) return;
  const fleet = await readFleet(opts);
  if (!fleet) return;
  const { planRebalance } = await import('../../hypervisor/cluster/rebalance.js');
  const plan = planRebalance(fleet.hosts, fleet.vms.map((r) => r.entry), threshold);
  const c = paint();
  if (opts.json) writeOut(1, JSON.stringify({ kind: 'plan', ...plan }) + '\n');
  else {
    writeOut(1, `load spread ${plan.spreadBefore} (threshold ${threshold}): ${plan.moves.length === 0 ? 'balanced, nothing to move' : `${plan.moves.length} move${plan.moves.length === 1 ? '' : 's'}, spread ${plan.spreadAfter} after`}\n`);
    for (const [i, m] of plan.moves.entries()) writeOut(1, `  ${i + 1}. ${c.bold(m.vm)}  ${m.from} → ${m.to}   (loads after: ${m.from} ${m.fromLoad}, ${m.to} ${m.toLoad})\n`);
  }
  if (opts.dryRun || plan.moves.length === 0) return;
  const byName = new Map(fleet.hosts.map((h) => [h.name, h]));
  let downtime = 0;
  const t0 = performance.now();
  for (const [i, m] of plan.moves.entries()) {
    const ok = await move(m, byName, token, tls, strategy, (line, json) => {
      if (opts.json) writeOut(1, JSON.stringify({ kind: 'move', index: i + 1, ...m, ...json }) + '\n');
      else writeOut(1, `${i + 1}. ${line}\n`);
      downtime += typeof json['downtimeMs'] === 'number' ? json['downtimeMs'] : 0;
    });
    if (!ok) return;
  }
  const total = performance.now() - t0;
  if (opts.json) writeOut(1, JSON.stringify({ kind: 'done', moves: plan.moves.length, totalMs: round(total), downtimeMs: round(downtime) }) + '\n');
  else writeOut(1, `rebalanced: ${plan.moves.length} move${plan.moves.length === 1 ? '' : 's'} in ${round(total)} ms, ${round(downtime)} ms of downtime in all\n`);
}

async function move(
  m: Move,
  hosts: ReadonlyMap<string, HostRecord>,
  token: string,
  tls: ReturnType<typeof clientTls>,
  strategy: StrategyName,
  say: (line: string, json: Record<string, unknown>) => void,
): Promise<boolean> {
  const from = hosts.get(m.from)!;
  const to = hosts.get(m.to)!;
  let client: ControlClient;
  try {
    client = await ControlClient.connect({ address: parseAddress(from.address), token, ...(tls ? { tls } : {}) });
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    fail(`${m.vm}: ${from.name} (${from.address}): ${e.message}`);
    return false;
  }
  try {
    const outcome = await client.migrate({ name: m.vm, to: to.address, toToken: token, strategy }, () => {}).result;
    const r = outcome.report;
    const summary = { outcome: outcome.kind, totalMs: round(r.totalMs), downtimeMs: r.downtimeMs === null ? null : round(r.downtimeMs), bytesSent: r.bytesSent, ...(outcome.kind !== 'completed' ? { reason: outcome.reason } : {}) };
    if (outcome.kind !== 'completed') {
      say(`${m.vm}: ${from.name} → ${to.name}: ${outcome.kind}: ${outcome.reason}`, summary);
      process.exitCode = 1;
      return false;
    }
    say(`${m.vm}: ${from.name} → ${to.name}: ${strategy} in ${round(r.totalMs)} ms, downtime ${r.downtimeMs === null ? '—' : `${round(r.downtimeMs)} ms`}, ${r.bytesSent} bytes sent`, summary);
    return true;
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    fail(`${m.vm}: ${e.message}`);
    return false;
  } finally {
    client.close();
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
