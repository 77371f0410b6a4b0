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
import { afterAll, beforeAll } from 'vitest';
import { etcdMissing as localEtcdMissing, startLocalEtcd } from '../../cli/control/local-etcd.js';
import { EtcdClient } from '../../hypervisor/cluster/etcd.js';

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

/**
 * An etcd of its own for the enclosing describe block, started before its
 * tests and stopped after them, with a client of it: call inside the block.
 */
export function etcdForSuite(): { readonly etcd: () => Etcd; readonly client: () => EtcdClient } {
  let etcd: Etcd | undefined;
  let client: EtcdClient | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
    client = new EtcdClient([etcd.url]);
  }, 30_000);
  afterAll(async () => etcd?.stop());
  return { etcd: () => etcd!, client: () => client! };
}
