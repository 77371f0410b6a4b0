/**
 * A throwaway etcd on this machine: Debian's etcd-server binary on
 * 127.0.0.1, free client and peer ports, its data in a directory the caller
 * gives. The tour's fleet step, the fleet bench and the fleet tests each
 * need exactly this one-member cluster, and nothing else of typevisor
 * starts etcd: a real fleet's etcd is the operator's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface LocalEtcd {
  /** The client URL: http://127.0.0.1:PORT. */
  readonly url: string;
  readonly proc: ChildProcess;
  /** Kills it (SIGKILL: its data is thrown away with the directory) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Why etcd cannot be run here, or undefined when it can. */
export function etcdMissing(): string | undefined {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'etcd is not installed (Debian: apt-get install etcd-server)' : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts etcd with its data in DIR/etcd and waits until it answers (at most timeoutMs). */
export async function startLocalEtcd(dir: string, name = 'local', timeoutMs = 20_000): Promise<LocalEtcd> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn('etcd', [
    '--name', name, '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `${name}=${peerUrl}`, '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  };
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }), signal: AbortSignal.timeout(1000) });
      if (r.ok) return { url, proc, stop };
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > end) {
      await stop();
      throw new Error(`etcd did not answer on ${url} within ${timeoutMs / 1000} s${err ? `: ${err.trim()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
