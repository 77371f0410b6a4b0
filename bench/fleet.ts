/**
 * The fleet, timed: an etcd on 127.0.0.1 and three `typevisor serve
 * --cluster` daemons (lease 2 s, snapshots every 500 ms into a shared
 * store), six small guests on one host.
 *
 *   npm run build && node dist/bench/fleet.js
 *
 * 1. `cluster rebalance` of the six VMs across the three hosts: the moves,
 *    each one's total time and downtime, and the sum of the downtimes.
 * 2. kill -9 of the host that holds the most VMs: the time from the kill to
 *    each of its VMs running again elsewhere (as the directory says), split
 *    into the lease running out (detection) and the restart itself.
 *
 * Needs etcd (Debian: apt-get install etcd-server). Prints figures, never
 * fails on a time; on a shared 2-core machine single timings vary by ±30%.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from '../cli/table.js';
import { startTourDaemons, type TourDaemons } from '../cli/control/tour-daemons.js';
import { etcdMissing, startLocalEtcd } from '../cli/control/local-etcd.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cliPath = join(root, 'dist', 'cli', 'main.js');
const LEASE_S = 2;
const VMS = 6;

interface Entry {
  readonly name: string;
  readonly host: string;
  readonly state: string;
  readonly restarted?: { readonly from: string; readonly instructions: number };
}

/** The directory, read straight from etcd's JSON gateway (what `cluster vms` reads). */
async function directory(url: string): Promise<Entry[]> {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const r = (await (await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64('/typevisor/vms/'), range_end: b64('/typevisor/vms0') }) })).json()) as { kvs?: { value: string }[] };
  return (r.kvs ?? []).map((kv) => JSON.parse(Buffer.from(kv.value, 'base64').toString()) as Entry);
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: root, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`typevisor ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  if (etcdMissing() !== undefined) {
    process.stdout.write('fleet: etcd is not installed (apt-get install etcd-server): nothing measured\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-fleet-'));
  const etcd = await startLocalEtcd(dir, 'bench');
  let tour: TourDaemons | undefined;
  try {
    tour = await startTourDaemons(cliPath, root, 3, ['--cluster', etcd.url, '--cluster-lease', String(LEASE_S), '--snapshot-every', '500ms', '--snapshot-dir', join(dir, 'images')]);
    const env = { ...process.env, TYPEVISOR_TOKEN: tour.token, TYPEVISOR_CLUSTER: etcd.url, NO_COLOR: '1' };
    const first = tour.daemons[0]!.address;
    for (let i = 1; i <= VMS; i++) cli(['vm', 'start', 'guests/tour/ticker.s', '--name', `t${i}`, '--mem', '4M', '--host', first], env);

    // 1. Rebalance.
    const lines = cli(['cluster', 'rebalance', '--json'], env).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const moves = lines.filter((l) => l['kind'] === 'move');
    const done = lines.find((l) => l['kind'] === 'done') as { totalMs: number; downtimeMs: number } | undefined;
    process.stdout.write(`\nrebalance of ${VMS} VMs (4 MiB each, pre-copy) from one host across 3\n`);
    const rows = moves.map((m) => [String(m['vm']), `${String(m['from'])} → ${String(m['to'])}`, String(m['totalMs']), String(m['downtimeMs'])]);
    for (const line of renderTable([{ align: 'left' }, { align: 'left' }, { align: 'right' }, { align: 'right' }], [['VM', 'MOVE', 'TOTAL ms', 'DOWNTIME ms'], ...rows])) process.stdout.write(`  ${line}\n`);
    process.stdout.write(`  ${moves.length} moves in ${done?.totalMs ?? '?'} ms; downtime ${done?.downtimeMs ?? '?'} ms in all\n`);

    // 2. Failover: kill -9 the host with the most VMs, once every VM has a snapshot.
    await new Promise((r) => setTimeout(r, 1500));
    const before = await directory(etcd.url);
    const count = new Map<string, number>();
    for (const e of before) count.set(e.host, (count.get(e.host) ?? 0) + 1);
    const victimName = [...count.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const victim = tour.daemons.find((d) => d.address === victimName)!;
    const theirs = before.filter((e) => e.host === victimName).map((e) => e.name);
    const killedAt = performance.now();
    victim.proc.kill('SIGKILL');
    const back = new Map<string, number>();
    let firstMove = 0;
    while (back.size < theirs.length && performance.now() - killedAt < 60_000) {
      for (const e of await directory(etcd.url)) {
        if (!theirs.includes(e.name) || e.host === victimName) continue;
        firstMove ||= performance.now() - killedAt;
        if (e.state === 'running' && e.restarted && !back.has(e.name)) back.set(e.name, performance.now() - killedAt);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    process.stdout.write(`\nkill -9 of the host with ${theirs.length} VMs (lease ${LEASE_S} s, snapshots every 500 ms)\n`);
    process.stdout.write(`  first entry taken over by a survivor  ${firstMove.toFixed(0)} ms after the kill (the lease runs out, then a reconcile pass)\n`);
    for (const [name, ms] of back) process.stdout.write(`  ${name} running again elsewhere       ${ms.toFixed(0)} ms after the kill\n`);
    if (back.size < theirs.length) process.stdout.write(`  ${theirs.length - back.size} VMs not back within 60 s\n`);
  } finally {
    await tour?.stop();
    etcd.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
