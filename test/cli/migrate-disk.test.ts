/**
 * A daemon VM's disk when it migrates, through the real CLI between real
 * daemons on 127.0.0.1 (each with a state directory of its own):
 *
 *   - a transient disk goes by value: the disk writer, held between its
 *     writes and its check, is moved (native to hosted, hosted to native) and
 *     checks on the destination every block it wrote on the source; the
 *     source's copy is deleted, the destination's goes with vm stop;
 *   - a VM on a volume or a file is refused, and stays running; one whose
 *     destination cannot be reached goes on where it is, with its disk.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import type { VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { cleanup, cli, spawnDaemon, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { closeClients, diskWriter as writeDiskWriter, vmInfo } from '../helpers/disk-vms.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-migrate-disk-'));
const diskWriter = (label: string, params: Readonly<Record<string, number>>): string => writeDiskWriter(temp, label, params);

let d: Daemon;
const tv = (...args: string[]) => cli([...args, '--connect', d.address], { timeoutMs: 30_000 });
const info = (name: string, daemon = d): Promise<VmStatsInfo> => vmInfo(daemon, name);

beforeAll(async () => {
  d = await spawnDaemon(['--state-dir', join(temp, 'state')]);
});
afterAll(async () => {
  closeClients();
  await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('a migrating VM\'s disk', () => {
  test.each<[MonitorKind, MonitorKind]>([
    ['native', 'hosted'],
    ['hosted', 'native'],
  ])('migrate carries a transient disk by value (%s to %s): the guest checks on the destination what it wrote on the source', async (from, to) => {
    const other = await spawnDaemon(['--state-dir', join(temp, `other-${from}`)]);
    const vm = `mover-${from}`;
    await tv('vm', 'start', diskWriter('dw-hold', { BLOCKS: 8, SPIN: 0, HOLD: 1 }), '--name', vm, '--mem', '2M', '--monitor', from, '--scratch', '64K');
    const held = 'disk-writer: written; a key on the console starts the check\n';
    await waitFor(`${vm} to have written its blocks`, async () => (await info(vm)).consoleBytes === held.length, 30_000);
    const source = (await info(vm)).disk;
    const sourcePath = source?.kind === 'transient' ? source.path : '';
    expect(existsSync(sourcePath)).toBe(true);

    const m = await cli(['migrate', vm, '--to', other.address, '--monitor', to, '--connect', d.address], { timeoutMs: 30_000 });
    expect(m.stderr).toBe('');
    expect(m.stdout).toMatch(new RegExp(`\\n${vm} paused: its transient disk sent by value in [\\d.]+ ms \\(65536 of 65536 bytes; the rest is zeros\\)\\n`));
    expect(m.status).toBe(0);
    expect(existsSync(sourcePath)).toBe(false); // the source's copy went with the VM
    const arrived = await info(vm, other);
    expect(arrived.disk).toMatchObject({ kind: 'transient', sectors: 128 });

    // A key lets it check: every block as written, read from the destination's disk.
    const r = await cli(['vm', 'console', vm, '--connect', other.address], { input: 'x', timeoutMs: 30_000 });
    expect(r.stdout).toMatch(/disk-writer: read back 8 blocks, checksum \d+, differing 0\n$/);
    expect((await info(vm, other)).status).toBe(0);
    await cli(['vm', 'stop', vm, '--connect', other.address]);
    expect(existsSync(arrived.disk?.kind === 'transient' ? arrived.disk.path : '')).toBe(false);
    await other.kill('SIGTERM');
  });

  test('migrate refuses a VM whose disk is a volume or a file rather than move it without one; one it cannot move goes on here', async () => {
    await tv('volume', 'create', 'stays', '--size', '8K');
    await tv('vm', 'start', 'test/fixtures/control/pages.s', '--name', 'anchored', '--mem', '2M', '--volume', 'stays');
    const m = await cli(['migrate', 'anchored', '--to', '127.0.0.1:1', '--connect', d.address]);
    expect(m.status).toBe(1);
    expect(m.stderr).toBe('error: anchored has a disk (volume stays (generation 1, 16 sectors)), and a migration moves no file or volume yet: the guest would lose it. Stop it instead (a volume keeps its data) and start it where you want it\n');
    expect((await info('anchored')).state).toBe('running');
    await tv('vm', 'stop', 'anchored');
    await tv('volume', 'rm', 'stays');

    // A transient disk's VM whose destination cannot be reached: paused for the copy, running again after, its disk kept.
    await tv('vm', 'start', 'test/fixtures/control/pages.s', '--name', 'stranded', '--mem', '2M', '--scratch', '8K');
    const n = await cli(['migrate', 'stranded', '--to', '127.0.0.1:1', '--connect', d.address]);
    expect(n.status).toBe(1);
    const s = await info('stranded');
    expect(s.state).toBe('running');
    expect(existsSync(s.disk?.kind === 'transient' ? s.disk.path : '')).toBe(true);
    await tv('vm', 'stop', 'stranded');
  });
});
