/**
 * A real etcd for the fleet's tests: Debian's etcd-server binary on
 * 127.0.0.1, free client and peer ports, a temporary data directory, killed
 * and removed by stop(). Tests that need it skip when it is not installed
 * (`etcdMissing()` says why, and prints it once).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdMissing as localEtcdMissing, startLocalEtcd } from '../../cli/control/local-etcd.js';

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
  const why = localEtcdMissing();
  missing = why === undefined ? undefined : `${why}; .ci/run installs it: the fleet tests are skipped`;
  if (missing) console.warn(missing);
  return missing;
}

export async function startEtcd(timeoutMs = 20_000): Promise<Etcd> {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-etcd-'));
  const etcd = await startLocalEtcd(dir, 'test', timeoutMs).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  process.once('exit', () => etcd.proc.kill('SIGKILL'));
  return {
    url: etcd.url,
    proc: etcd.proc,
    stop: async () => {
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
