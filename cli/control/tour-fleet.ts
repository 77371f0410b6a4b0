/**
 * The tour's last part (`typevisor demo`, `npm start`): a fleet. With etcd
 * installed it starts one (127.0.0.1, free ports, a temporary data
 * directory) and three daemons joined to it, then runs the fleet's commands
 * as a user types them: VMs placed, the fleet listed, a rebalance by live
 * migration, every VM found where it now runs. Without etcd it says how to
 * install it. Everything it starts is stopped at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { startTourDaemons } from './tour-daemons.js';
import { etcdMissing, startLocalEtcd, type LocalEtcd } from './local-etcd.js';

interface FleetStep {
  readonly title: string;
  readonly why: string;
  readonly args: readonly string[];
}

const STEPS: readonly FleetStep[] = [
  {
    title: 'Three VMs on one host of a fleet',
    why: 'Three daemons joined one etcd (serve --cluster): each keeps its host record alive under a lease, and every VM has a directory entry naming its host. --host puts these three on the first host; without it, the placement rule picks the host with the most free memory.',
    args: ['vm', 'start', 'guests/tour/ticker.s', '--name', 'w1', '--mem', '4M', '--host', '{A}'],
  },
  { title: '', why: '', args: ['vm', 'start', 'guests/tour/ticker.s', '--name', 'w2', '--mem', '4M', '--host', '{A}'] },
  { title: '', why: '', args: ['vm', 'start', 'guests/tour/ticker.s', '--name', 'w3', '--mem', '4M', '--host', '{A}'] },
  {
    title: 'The fleet, as etcd sees it',
    why: 'Hosts alive while their leases live, their memory and load (the sum of their running VMs\' shares).',
    args: ['cluster', 'ls'],
  },
  {
    title: 'Rebalance by live migration',
    why: 'The plan moves VMs off the most loaded host until the spread is within one share; each move is a pre-copy migration, and the VM\'s directory entry changes host at its commit point, by a compare-and-swap.',
    args: ['cluster', 'rebalance'],
  },
  {
    title: 'Every VM, wherever it runs',
    why: 'The directory: one entry per VM, one host each. vm console|stats|stop NAME --cluster find a VM through it.',
    args: ['cluster', 'vms'],
  },
  {
    title: 'Found by name, not by address',
    why: 'No --connect: the client asks the directory where w2 runs now.',
    args: ['vm', 'stats', 'w2'],
  },
];

/** Run the fleet part of the tour; the number of steps that failed. */
export async function fleetTour(c: ChalkInstance, cliPath: string, root: string, stepNo: (title: string, why: string) => void): Promise<number> {
  if (etcdMissing() !== undefined) {
    stepNo('A fleet of hosts on etcd', 'typevisor serve --cluster keeps membership, placement and where each VM runs in etcd, and restarts a dead host\'s VMs elsewhere.');
    process.stdout.write(`${c.yellow('skipped:')} etcd is not installed. On Debian or Ubuntu: ${c.bold('sudo apt-get install etcd-server')} (then npm start again; the tour starts its own etcd on a free port).\n`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-fleet-tour-'));
  let etcd: LocalEtcd | undefined;
  let failed = 0;
  try {
    stepNo('A fleet of hosts on etcd', 'An etcd on 127.0.0.1 (a temporary data directory) and three daemons that join it.');
    etcd = await startLocalEtcd(dir, 'tour', 15_000);
    const url = etcd.url;
    const tour = await startTourDaemons(cliPath, root, 3, ['--cluster', url, '--cluster-lease', '3']);
    process.stdout.write(`${c.green('$')} etcd --data-dir ${dir} --listen-client-urls ${url} … &\n${c.green('$')} export TYPEVISOR_CLUSTER=${url}\n`);
    for (const d of tour.daemons) process.stdout.write(`${c.green('$')} typevisor serve --listen ${d.address} --cluster ${url} &\n`);
    const env = { ...process.env, TYPEVISOR_TOKEN: tour.token, TYPEVISOR_CLUSTER: url };
    try {
      for (const s of STEPS) {
        if (s.title) stepNo(s.title, s.why);
        const args = s.args.map((x) => x.replace('{A}', tour.daemons[0]!.address));
        process.stdout.write(`${c.green('$')} typevisor ${args.join(' ')}\n`);
        const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: root, input: '', stdio: ['pipe', 'inherit', 'inherit'], env });
        if (r.status !== 0) failed++;
        process.stdout.write(c.dim(`(exit status ${r.status})\n`));
      }
    } finally {
      process.stdout.write(`${c.green('$')} kill -TERM ${tour.daemons.map((d) => d.proc.pid).join(' ')}   ${c.dim('# the daemons leave the fleet; their VMs stop')}\n`);
      if (!(await tour.stop())) failed++;
    }
  } catch (e) {
    process.stdout.write(`${c.red('could not start the fleet:')} ${(e as Error).message}\n`);
    failed++;
  } finally {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return failed;
}
