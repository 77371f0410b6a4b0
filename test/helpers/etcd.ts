/**
 * A real etcd for the fleet's tests: Debian's etcd-server binary on
 * 127.0.0.1, free client and peer ports, a temporary data directory, killed
 * and removed by stop(). Tests that need it skip when it is not installed
 * (`etcdMissing()` says why, and prints it once).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Etcd {
  /** The client URL: http://127.0.0.1:PORT. */
  readonly url: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

let missing: string | undefined | null = null;

/** Why etcd cannot be run here (undefined: it can). Printed once, so a skipped suite says why. */
export function etcdMissing(): string | undefined {
  if (missing !== null) return missing;
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  missing = r.error || r.status !== 0 ? 'etcd is not installed (Debian: apt-get install etcd-server; .ci/run installs it): the fleet tests are skipped' : undefined;
  if (missing) console.warn(missing);
  return missing;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startEtcd(timeoutMs = 20_000): Promise<Etcd> {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn('etcd', [
    '--name', 'test', '--data-dir', dir,
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `test=${peerUrl}`, '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => proc.kill('SIGKILL'));
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }), signal: AbortSignal.timeout(1000) });
      if (r.ok) return { url, proc, stop };
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null || Date.now() > end) {
      await stop();
      throw new Error(`etcd did not start on ${url}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
