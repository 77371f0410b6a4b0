/**
 * What the tests of daemon VMs with disks share: the disk writer with
 * parameters of a test's choosing, and a VM's state as a daemon reports it
 * (through one client kept open per daemon: polling by spawning the CLI is
 * slow on a busy machine).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlClient } from '../../hypervisor/control/client.js';
import type { VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { clientFor, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { REPO_ROOT } from './cli.js';

export const WORKLOADS = join(REPO_ROOT, 'guests', 'workloads');
export const WRITER = join(WORKLOADS, 'disk-writer.s');
export const CHECK = join(WORKLOADS, 'disk-check.s');

/** DIR/LABEL.s: the disk writer (or its check) with other parameters, its includes by absolute path. */
export function diskWriter(dir: string, label: string, params: Readonly<Record<string, number>>, file = WRITER): string {
  let text = readFileSync(file, 'utf8');
  for (const [k, v] of Object.entries(params)) text = text.replace(new RegExp(`^${k}( *)= *\\d+`, 'm'), `${k}$1= ${v}`);
  const path = join(dir, `${label}.s`);
  writeFileSync(path, text.replace(/^\.include "([^"]+)"/m, (_, inc: string) => `.include "${join(WORKLOADS, inc)}"`));
  return path;
}

const clients = new Map<string, ControlClient>();

/** A VM as the daemon reports it. */
export async function vmInfo(daemon: Daemon, name: string): Promise<VmStatsInfo> {
  let c = clients.get(daemon.address);
  if (!c) clients.set(daemon.address, (c = await clientFor(daemon)));
  return c.stats(name);
}

/** Wait for a VM to be off; its info then. */
export async function poweredOff(daemon: Daemon, name: string): Promise<VmStatsInfo> {
  let last: VmStatsInfo | undefined;
  await waitFor(`${name} to power off`, async () => (last = await vmInfo(daemon, name)).state === 'off', 30_000);
  return last!;
}

export function closeClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}
