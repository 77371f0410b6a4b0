/**
 * Snapshots of daemon VMs with disks, through the real CLI against a real
 * daemon (a state directory of its own):
 *
 *   - a transient disk goes by value: the disk writer snapshotted in the
 *     middle of its writes, two instances launched from the file, each
 *     finishes its writes and checks every block with the checksum of the
 *     same writer never snapshotted; each has a disk of its own (a write to
 *     one is not seen by the other) and each disk is gone with its VM;
 *   - a volume goes by reference: the writer on a volume, snapshotted and
 *     stopped, restored — the volume is attached again and the data is there;
 *     a restore while another VM holds the volume is refused naming the
 *     holder, and starts nothing; a volume that moved on needs --force; a
 *     volume cannot go to two instances; a VM on a --disk file is refused.
 */
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../hypervisor/control/client.js';
import type { VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { cleanup, cli, clientFor, spawnDaemon, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { closeClients, diskWriter as writeDiskWriter, vmInfo } from '../helpers/disk-vms.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-snapshot-disk-'));
let d: Daemon;
let client: ControlClient | undefined;
const tv = (...args: string[]) => cli([...args, '--connect', d.address], { timeoutMs: 30_000 });
const info = (name: string): Promise<VmStatsInfo> => vmInfo(d, name);
/** The daemon's VMs whose names start with `prefix`. */
const names = async (prefix: string): Promise<string[]> =>
  JSON.parse((await tv('vm', 'list', '--json')).stdout).vms.map((v: { name: string }) => v.name).filter((n: string) => n.startsWith(prefix)).sort();

const HELD = 'disk-writer: written; a key on the console starts the check\n';
/** A key on its console: the held writer checks its disk; what it printed, all of it. */
const check = async (vm: string): Promise<string> => (await cli(['vm', 'console', vm, '--connect', d.address], { input: 'x', timeoutMs: 30_000 })).stdout;
/** Wait for a writer to hold before its check (a restored VM's console holds only what it wrote since). */
async function held(vm: string): Promise<void> {
  if (!client) client = await clientFor(d);
  let out = '';
  const follow = client.console(vm, true, (b) => (out += Buffer.from(b).toString('latin1')));
  try {
    await waitFor(`${vm} to hold before its check`, () => out.endsWith(HELD), 30_000);
  } finally {
    follow.cancel();
    await follow.result.catch(() => undefined);
  }
}
const summary = (out: string): string => /disk-writer: read back \d+ blocks, checksum \d+, differing \d+\n$/.exec(out)?.[0] ?? `(no summary in ${JSON.stringify(out)})`;

beforeAll(async () => {
  d = await spawnDaemon(['--state-dir', join(temp, 'state')]);
});
afterAll(async () => {
  client?.close();
  closeClients();
  await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('a snapshot carries its VM\'s disk', () => {
  test('a transient disk by value: two instances of a writer saved mid-write each finish with the checksum of one never saved, each on its own disk', async () => {
    const writer = writeDiskWriter(temp, 'dw-mid', { BLOCKS: 16, SECTORS: 8, SPIN: 100_000, PRINT_EVERY: 4, HOLD: 1 });
    // The reference: the same writer, never snapshotted.
    await tv('vm', 'start', writer, '--name', 'ref', '--mem', '2M', '--scratch', '64K');
    await tv('vm', 'start', writer, '--name', 'w', '--mem', '2M', '--scratch', '64K');
    await waitFor('w to have written 4 blocks', async () => (await info('w')).consoleBytes >= 'disk-writer: wrote 4\n'.length, 30_000);
    const snap = join(temp, 'w.snap');
    const s = await tv('vm', 'snapshot', 'w', snap, '--stop');
    expect(s.stderr).toBe('');
    expect(s.stdout).toMatch(/; disk: transient disk by value, \d+ of 128 sectors stored; stopped\n$/);
    const inspect = await cli(['image', 'inspect', snap]);
    expect(inspect.stdout).toMatch(/disk\s+transient, 64 KiB by value/);

    const r = await tv('vm', 'start', '--from', snap, '--count', '2', '--name', 'inst', '--lazy'); // lazy: memory on demand, the disk loaded before it runs
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^restored inst-1 \(dw-mid\.s, 2 MiB, native monitor, its own transient disk \(128 sectors\)\) at instruction \d+/);
    const [a, b] = [await info('inst-1'), await info('inst-2')];
    const pathOf = (v: VmStatsInfo): string => (v.disk?.kind === 'transient' ? v.disk.path : '');
    expect(pathOf(a)).not.toBe(pathOf(b));
    await held('ref');
    const reference = summary(await check('ref'));
    expect(reference).toMatch(/read back 16 blocks, checksum \d+, differing 0\n$/);

    // A write to inst-1's disk (block 0, its first word: written before the snapshot, not again) is not seen by
    // inst-2. (Their guests write the same pattern, so the write that tells them apart is made here.) A key
    // sent before an instance holds waits for it in its console's input.
    const fd = openSync(pathOf(a), 'r+');
    writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, 0);
    closeSync(fd);
    expect(summary(await check('inst-2'))).toBe(reference);
    expect(summary(await check('inst-1'))).toMatch(/differing 1\n$/);

    await tv('vm', 'stop', 'inst-1');
    await tv('vm', 'stop', 'inst-2');
    await tv('vm', 'stop', 'ref');
    expect(existsSync(pathOf(a)) || existsSync(pathOf(b))).toBe(false);
  }, 120_000);

  test('a volume by reference: restored, the volume is attached again with the data; held by another VM or moved on, the restore is refused and starts nothing', async () => {
    const writer = writeDiskWriter(temp, 'dw-vol', { BLOCKS: 8, SECTORS: 8, SPIN: 0, HOLD: 1 });
    await tv('volume', 'create', 'data', '--size', '64K');
    await tv('vm', 'start', writer, '--name', 'db', '--mem', '2M', '--volume', 'data', '--monitor', 'hosted');
    await held('db');
    const snap = join(temp, 'db.snap');
    const s = await tv('vm', 'snapshot', 'db', snap, '--stop');
    expect(s.stderr).toBe('');
    expect(s.stdout).toMatch(/; disk: volume data at generation 1, by reference; stopped\n$/);
    expect((await cli(['image', 'inspect', snap])).stdout).toMatch(/disk\s+volume data \(generation 1\)/);

    // Two instances cannot share it: refused before anything starts.
    const two = await tv('vm', 'start', '--from', snap, '--count', '2');
    expect(two.status).toBe(1);
    expect(two.stderr).toBe(`error: ${snap} records volume data (generation 1), and a volume is attached to one VM at a time: it can be restored once, not as 2 instances (typevisor vm restore ${snap}; instances need a snapshot of a VM on a transient disk, --scratch)\n`);
    expect(await names('db')).toEqual([]);
    const other = await tv('vm', 'start', '--from', snap, '--scratch', '8K');
    expect(other.stderr).toBe("error: --disk, --volume and --scratch go with a kernel: with --from, the disk is the snapshot's\n");

    const r = await tv('vm', 'restore', snap);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^restored db \(dw-vol\.s, 2 MiB, hosted monitor, volume data \(generation 2\)\) at instruction \d+/);
    expect(summary(await check('db'))).toMatch(/read back 8 blocks, checksum \d+, differing 0\n$/);

    // Held by the restored VM: a second restore is refused, naming it, and starts nothing.
    const again = await tv('vm', 'restore', snap, '--name', 'db2');
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`error: ${snap} records volume data (generation 1), which is attached to db; stop db (or typevisor volume detach data) first\n`);
    expect(await names('db')).toEqual(['db']);

    // Free again, but db had it since the snapshot: refused unless --force.
    await tv('vm', 'stop', 'db');
    const moved = await tv('vm', 'restore', snap);
    expect(moved.status).toBe(1);
    expect(moved.stderr).toMatch(/records volume data \(generation 1\), and it is at generation 2 now: .* --force attaches it anyway\n$/);
    expect(await names('db')).toEqual([]);
    const forced = await tv('vm', 'restore', snap, '--force');
    expect(forced.stdout).toMatch(/volume data \(generation 3\)/);
    expect(summary(await check('db'))).toMatch(/differing 0\n$/);
    await tv('vm', 'stop', 'db');
  }, 120_000);

  test('a VM that goes on past its snapshot moves its volume to a new generation; a VM on a --disk file is refused', async () => {
    const writer = writeDiskWriter(temp, 'dw-on', { BLOCKS: 2, SECTORS: 8, SPIN: 0, HOLD: 1 });
    await tv('volume', 'create', 'on', '--size', '16K');
    await tv('vm', 'start', writer, '--name', 'goes-on', '--mem', '2M', '--volume', 'on');
    await held('goes-on');
    const snap = join(temp, 'on.snap');
    expect((await tv('vm', 'snapshot', 'goes-on', snap, '--live')).stdout).toMatch(/\(live: .*; disk: volume on at generation 1, by reference\n$/);
    expect((await info('goes-on')).disk).toMatchObject({ kind: 'volume', name: 'on', generation: 2 });
    await tv('vm', 'stop', 'goes-on');
    expect((await tv('vm', 'restore', snap)).stderr).toMatch(/at generation 2 now/);
    // A local boot has no volumes: it refuses rather than run the guest without its disk.
    const local = await cli(['boot', '--restore', snap]);
    expect(local.status).toBe(1);
    expect(local.stderr).toBe(`error: ${snap} carries a disk (volume on, by reference): restore it on a daemon (typevisor vm restore ${snap})\n`);

    const file = join(temp, 'plain.img');
    expect((await cli(['mkdisk', '-o', file, '--size', '16K'])).status).toBe(0);
    await tv('vm', 'start', writer, '--name', 'on-file', '--mem', '2M', '--disk', file);
    const refused = await tv('vm', 'snapshot', 'on-file', join(temp, 'file.snap'));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`error: on-file's disk is the file ${file}: a snapshot carries a volume (by name and generation) or a transient disk (by value), not a file of yours it cannot tell has changed. Put it on a volume (typevisor volume create NAME --from ${file}) and start the VM with --volume NAME\n`);
    expect(existsSync(join(temp, 'file.snap'))).toBe(false);
    expect((await info('on-file')).state).toBe('running');
    await tv('vm', 'stop', 'on-file');
  }, 120_000);
});
