/**
 * The etcd a README section's fleet talks to (`<!-- etcd: 2379 -->`, see
 * transcripts.ts): Debian's etcd-server binary on 127.0.0.1, on free client
 * and peer ports, its data in the scratch folder, thrown away with it. It is
 * what cli/control/local-etcd.ts starts for the tour, but started and waited
 * for synchronously, as the transcripts run one after another.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, freePort, sleep, type Daemon } from './daemons.js';
import { etcdMissing } from '../control/local-etcd.js';

export interface Etcd {
  readonly pid: number;
  /** The client address the README writes (127.0.0.1:2379) and the real one: a map like a daemon's. */
  readonly map: Daemon;
}

/** Whether etcd answers a read on url (a child does the request: this thread never waits on its own event loop). */
function answers(url: string): boolean {
  const probe = `fetch(${JSON.stringify(`${url}/v3/kv/range`)},{method:'POST',body:'{"key":"AA=="}',signal:AbortSignal.timeout(1000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5_000 }).status === 0;
}

/** Start etcd with its data in dir/.etcd-PORT; returns once it answers (at most 20 s). */
export function startEtcd(shownPort: number, dir: string): Etcd {
  const missing = etcdMissing();
  if (missing) throw new Error(`README: <!-- etcd: ${shownPort} -->: ${missing}`);
  const [client, peer] = [freePort(), freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const data = join(dir, `.etcd-${shownPort}`);
  const log = `${data}.log`;
  const fd = openSync(log, 'w');
  const child = spawn(
    'etcd',
    ['--name', 'readme', '--data-dir', data, '--listen-client-urls', url, '--advertise-client-urls', url,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `readme=${peerUrl}`, '--log-level', 'error'],
    { cwd: dir, stdio: ['ignore', fd, fd], detached: true },
  );
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error('etcd did not start');
  const etcd: Etcd = { pid: child.pid, map: { name: `etcd ${shownPort}`, pid: child.pid, shown: `127.0.0.1:${shownPort}`, real: `127.0.0.1:${client}` } };
  for (let waited = 0; waited < 20_000; waited += 100) {
    if (answers(url)) return etcd;
    if (!alive(child.pid)) break;
    sleep(100);
  }
  stopEtcd(etcd);
  throw new Error(`README: etcd did not answer on ${url} within 20 s:\n${readFileSync(log, 'utf8')}`);
}

/** SIGKILL: its data goes with the scratch folder; waits until it is gone. */
export function stopEtcd(etcd: Etcd | undefined): void {
  if (!etcd || !alive(etcd.pid)) return;
  process.kill(etcd.pid, 'SIGKILL');
  for (let waited = 0; alive(etcd.pid) && waited < 10_000; waited += 20) sleep(20);
}
