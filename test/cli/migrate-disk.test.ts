/**
 * A daemon VM's disk when it migrates (`migrate --disk-mode copy|shared`),
 * through the real CLI between real daemons on 127.0.0.1 (each with a state
 * directory of its own). The disk writer is moved while it writes its disk
 * (after its first blocks, long before its last) and finishes on the
 * destination; its disk must then be byte for byte the disk of the same guest
 * never migrated:
 *
 *   - copy, every strategy: the sectors go with the memory, by the
 *     strategy's logic (pre-copy's rounds with the guest running, shown by
 *     its progress during the move; stop-and-copy paused; post-copy after the
 *     switchover), to a file (on one machine the copy replaces the source's
 *     file at the commit point), a volume (arrives as a volume of the same
 *     name; the source keeps its own, detached) and a transient disk;
 *   - post-copy whose link breaks: both sides wait; after --recover the
 *     guest's reads of sectors still on the source wait while they are
 *     fetched, under either monitor, and nothing is lost;
 *   - shared, a file both daemons see: nothing sent, ownership moves;
 *   - refusals (shared for a volume or a transient disk, a copy onto a volume
 *     the destination has already) leave the guest running where it was;
 *   - a corrupt SECTORS frame, or the destination killed in the middle of a
 *     disk copy, leaves the guest on the source with its disk intact.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import type { VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { cleanup, cli, closeRelays, Relay, spawnDaemon, startCli, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { closeClients, diskWriter as writeDiskWriter, poweredOff, vmInfo } from '../helpers/disk-vms.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-migrate-disk-'));
const diskWriter = (label: string, params: Readonly<Record<string, number>>): string => writeDiskWriter(temp, label, params);

/**
 * 64 blocks of 8 sectors (256 KiB), slowly enough to be moved while it
 * writes: it says so after its first block (the migration starts then) and
 * takes seconds for the rest.
 */
const WRITER = { BLOCKS: 64, SPIN: 12_000_000, PRINT_EVERY: 1 };
const DISK_SIZE = 64 * 8 * 512;

let a: Daemon; // the source
let b: Daemon; // the destination
let writer: string;
/** The disk the writer leaves when it is never migrated. */
let reference: Buffer;

const on = (d: Daemon, ...args: string[]) => cli([...args, '--connect', d.address], { timeoutMs: 30_000 });
const info = (d: Daemon, name: string): Promise<VmStatsInfo> => vmInfo(d, name);
const blank = (name: string, size = DISK_SIZE): string => {
  const path = join(temp, name);
  writeFileSync(path, Buffer.alloc(size));
  return path;
};

/** Start the writer on `a` and wait for its first blocks: it is writing when the migration starts. */
async function startWriting(name: string, disk: string[], monitor: MonitorKind = 'native'): Promise<void> {
  const r = await on(a, 'vm', 'start', writer, '--name', name, '--mem', '2M', '--monitor', monitor, ...disk);
  expect(r.stderr).toBe('');
  await waitFor(`${name} to write its first blocks`, async () => (await info(a, name)).consoleBytes > 0, 30_000);
}

/** Migrate from a to b; the run's output. */
async function migrate(name: string, ...args: string[]) {
  return cli(['migrate', name, '--to', b.address, ...args, '--connect', a.address], { timeoutMs: 60_000 });
}

beforeAll(async () => {
  [a, b] = await Promise.all([spawnDaemon(['--state-dir', join(temp, 'state-a')]), spawnDaemon(['--state-dir', join(temp, 'state-b')])]);
  writer = diskWriter('writer', WRITER);
  const ref = blank('reference.disk');
  await on(a, 'vm', 'start', writer, '--name', 'reference', '--mem', '2M', '--disk', ref);
  expect((await poweredOff(a, 'reference')).status).toBe(0);
  await on(a, 'vm', 'stop', 'reference');
  reference = readFileSync(ref);
  expect(reference.some((x) => x !== 0)).toBe(true);
}, 60_000);

afterAll(async () => {
  closeClients();
  await closeRelays();
  await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('migrate --disk-mode copy: the disk\'s sectors go with the guest', () => {
  test.each<[string, MonitorKind, MonitorKind]>([
    ['stop-and-copy', 'native', 'native'],
    ['pre-copy', 'native', 'hosted'],
    ['post-copy', 'hosted', 'native'],
    ['hybrid', 'native', 'native'],
  ])('%s (%s to %s): a file written during the move ends as the same guest never migrated leaves it', async (strategy, from, to) => {
    const vm = `file-${strategy}`;
    const path = blank(`${vm}.disk`);
    await startWriting(vm, ['--disk', path], from);
    const m = await migrate(vm, '--strategy', strategy, '--monitor', to);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(m.stdout).toContain(`\n${vm}'s file disk (512 sectors) goes with its memory, ${strategy}\n`);
    expect(m.stdout).toMatch(/ {2}disk \(file, copy\) +256\.0 KiB\n/);
    expect((await info(b, vm)).disk).toMatchObject({ kind: 'file', path, sectors: 512 });
    // The strategy's own logic, as the report shows it: pre-copy's disk rounds while the guest
    // ran (round 0: every sector, not paused) and its progress meanwhile; stop-and-copy's one
    // round paused; post-copy none before the switchover, its sectors fetched or pushed after.
    const rounds = /\n {4}disk rounds +([^\n]+)\n/.exec(m.stdout)?.[1] ?? '';
    if (strategy === 'pre-copy' || strategy === 'hybrid') {
      expect(rounds).toMatch(/^512( |$)/);
      expect(m.stdout).toMatch(/\n {2}guest MIPS during +\d+\.\d\n/);
    }
    if (strategy === 'stop-and-copy') expect(rounds).toBe('512*');
    if (strategy === 'post-copy') {
      expect(rounds).toBe('—');
      expect(m.stdout).toMatch(/\n {4}sectors fetched on demand +\d+\n {4}sectors pushed +\d+\n/);
    }
    expect((await poweredOff(b, vm)).status).toBe(0);
    expect(readFileSync(path).equals(reference)).toBe(true);
    expect(readdirSync(temp).filter((f) => f.includes('.arriving-'))).toEqual([]);
    await on(b, 'vm', 'stop', vm);
  }, 90_000);

  test('a file disk goes there and back: after the first move the destination reads it from its place, so a second move sends the bytes the guest wrote', async () => {
    const vm = 'round-trip';
    const path = blank(`${vm}.disk`);
    await on(a, 'vm', 'start', writeDiskWriter(temp, 'held64', { ...WRITER, SPIN: 0, HOLD: 1, PRINT_EVERY: 64 }), '--name', vm, '--mem', '2M', '--disk', path);
    await waitFor('the writer to hold before its check', async () => (await info(a, vm)).consoleBytes > 'disk-writer: wrote 64\n'.length, 30_000);
    expect((await migrate(vm, '--strategy', 'pre-copy')).status).toBe(0);
    const back = await cli(['migrate', vm, '--to', a.address, '--strategy', 'post-copy', '--connect', b.address], { timeoutMs: 60_000 });
    expect(back.stderr).toBe('');
    expect(back.status).toBe(0);
    const check = await cli(['vm', 'console', vm, '--connect', a.address], { input: 'x', timeoutMs: 30_000 });
    expect(check.stdout).toMatch(/disk-writer: read back 64 blocks, checksum \d+, differing 0\n/);
    expect((await poweredOff(a, vm)).status).toBe(0);
    expect(readFileSync(path).equals(reference)).toBe(true);
    await on(a, 'vm', 'stop', vm);
  }, 90_000);

  test('a volume arrives as a volume of the same name, its bytes those of the guest never migrated; the source keeps its own, detached', async () => {
    await on(a, 'volume', 'create', 'data', '--size', String(DISK_SIZE));
    await startWriting('vol', ['--volume', 'data']);
    const m = await migrate('vol');
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(m.stdout).toMatch(/ {2}disk \(volume, copy\) +256\.0 KiB\n/);
    expect((await info(b, 'vol')).disk).toMatchObject({ kind: 'volume', name: 'data', sectors: 512 });
    expect((await poweredOff(b, 'vol')).status).toBe(0);
    expect(readFileSync(join(temp, 'state-b', 'volumes', 'data.disk')).equals(reference)).toBe(true);
    expect((await on(a, 'volume', 'ls')).stdout).toMatch(/\ndata +256 KiB +1 +-\n/);
    await on(b, 'vm', 'stop', 'vol');
    expect((await on(b, 'volume', 'ls')).stdout).toMatch(/\ndata +256 KiB +\d+ +-\n/);

    // Again, from a: b has a volume of that name now. Copying over it is refused; the guest goes on at a.
    await on(a, 'vm', 'start', 'test/fixtures/control/pages.s', '--name', 'vol2', '--mem', '2M', '--volume', 'data');
    const n = await migrate('vol2');
    expect(n.status).toBe(1);
    expect(n.stderr).toBe('error: the destination has a volume named data already: copying vol2\'s over it would destroy it (remove it there first)\n');
    expect((await info(a, 'vol2')).state).toBe('running');
    await on(a, 'vm', 'stop', 'vol2');
  }, 90_000);

  test.each<[MonitorKind, MonitorKind]>([
    ['native', 'hosted'],
    ['hosted', 'native'],
  ])('a transient disk goes with the VM (%s to %s); the source\'s copy is deleted, the destination\'s goes with vm stop', async (from, to) => {
    const vm = `scratch-${from}`;
    await startWriting(vm, ['--scratch', String(DISK_SIZE)], from);
    const source = (await info(a, vm)).disk;
    const sourcePath = source?.kind === 'transient' ? source.path : '';
    expect(existsSync(sourcePath)).toBe(true);
    const m = await migrate(vm, '--monitor', to);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(m.stdout).toContain(`\n${vm}'s transient disk (512 sectors) goes with its memory, pre-copy\n`);
    expect(m.stdout).toMatch(/ {2}disk \(transient, copy\) +256\.0 KiB\n/);
    expect(existsSync(sourcePath)).toBe(false);
    const arrived = await poweredOff(b, vm);
    expect(arrived.status).toBe(0);
    const destPath = arrived.disk?.kind === 'transient' ? arrived.disk.path : '';
    expect(readFileSync(destPath).equals(reference)).toBe(true);
    await on(b, 'vm', 'stop', vm);
    expect(existsSync(destPath)).toBe(false);
  }, 90_000);
});

describe('migrate --disk-mode shared: only the file\'s ownership moves', () => {
  test.each(['pre-copy', 'post-copy'])('%s: no sector is sent; the destination writes the same file on, which ends as the guest never migrated leaves it', async (strategy) => {
    const vm = `shared-${strategy}`;
    const path = blank(`${vm}.disk`);
    await startWriting(vm, ['--disk', path]);
    const m = await migrate(vm, '--strategy', strategy, '--disk-mode', 'shared');
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(m.stdout).toContain(`\n${vm}'s disk file ${path} (512 sectors) is shared: the destination opens the same file\n`);
    expect(m.stdout).toMatch(/ {2}disk \(file, shared\) +256\.0 KiB\n/);
    expect(m.stdout).not.toMatch(/disk bytes sent/);
    expect((await poweredOff(b, vm)).status).toBe(0);
    expect(readFileSync(path).equals(reference)).toBe(true);
    await on(b, 'vm', 'stop', vm);
  }, 90_000);

  test('a volume or a transient disk cannot be shared: refused, the guest goes on where it is', async () => {
    await on(a, 'volume', 'create', 'mine', '--size', '8K');
    await on(a, 'vm', 'start', 'test/fixtures/control/pages.s', '--name', 'held', '--mem', '2M', '--volume', 'mine');
    const m = await migrate('held', '--disk-mode', 'shared');
    expect(m.status).toBe(1);
    expect(m.stderr).toBe('error: --disk-mode shared: held cannot share its disk: its disk is volume mine, in this daemon\'s state directory, which no other daemon uses; use --disk-mode copy (the default)\n');
    expect((await info(a, 'held')).state).toBe('running');
    await on(a, 'vm', 'stop', 'held');
    await on(a, 'vm', 'start', 'test/fixtures/control/pages.s', '--name', 'held2', '--mem', '2M', '--scratch', '8K');
    const n = await migrate('held2', '--disk-mode', 'shared');
    expect(n.stderr).toBe('error: --disk-mode shared: held2 cannot share its disk: its disk is transient, in this daemon\'s state directory; use --disk-mode copy (the default)\n');
    expect((await info(a, 'held2')).state).toBe('running');
    await on(a, 'vm', 'stop', 'held2');
    const bad = await migrate('held2', '--disk-mode', 'mirror');
    expect(bad.stderr).toBe('error: --disk-mode "mirror": choose copy or shared\n');
  }, 60_000);
});

describe('post-copy: the guest reads sectors still on the source', () => {
  test.each<MonitorKind>(['native', 'hosted'])('the link breaks mid-way (native to %s): both sides wait; after --recover the guest\'s reads fetch the sectors not there yet, the rest is pushed, and every block reads back as written', async (monitor) => {
    const relay = await Relay.to(b.address);
    const vm = `reader-${monitor}`;
    // 1 MiB written (four SECTORS frames' worth), then it holds until a key starts its check.
    const held = writeDiskWriter(temp, 'held', { BLOCKS: 256, SPIN: 0, HOLD: 1, PRINT_EVERY: 256 });
    const path = blank(`${vm}.disk`, 256 * 8 * 512);
    await on(a, 'vm', 'start', held, '--name', vm, '--mem', '2M', '--disk', path);
    const HELD = 'disk-writer: wrote 256\ndisk-writer: written; a key on the console starts the check\n';
    await waitFor('the writer to hold before its check', async () => (await info(a, vm)).consoleBytes >= HELD.length, 30_000);
    // Slow enough that the push is still under way when the guest reads its disk there (a frame of
    // 512 sectors every 2 s). The native monitor raises the disk's interrupt when the sectors come;
    // the hosted one's vCPU thread waits for its request's answer.
    const m = startCli(['migrate', vm, '--to', relay.address, '--strategy', 'post-copy', '--monitor', monitor, '--bandwidth', '128K', '--json', '--connect', a.address], { timeoutMs: 60_000 });
    await waitFor('the guest to run at the destination', () => m.stdout().includes('"phase":"post-copy"'), 30_000);
    relay.cut();
    const r = await m.done;
    expect(r.status).toBe(75);
    await waitFor('both sides to wait', async () => (await info(b, vm)).state === 'paused' && (await info(a, vm)).state === 'paused', 30_000);
    // A key, waiting in its console: on --recover the guest reads every block back, most of them not there yet.
    const check = startCli(['vm', 'console', vm, '--connect', b.address], { input: 'x', timeoutMs: 60_000 });
    await waitFor('the key to be on its way', async () => (await info(b, vm)).consoleFollowers > 0, 30_000);

    const again = await cli(['migrate', vm, '--recover', '--to', relay.address, '--connect', a.address], { timeoutMs: 60_000 });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/\n {4}sectors fetched on demand +[1-9]\d*\n/);
    expect(again.stdout).toMatch(/\n {4}reads stalled \(ms\) +[1-9]\d* \(/);
    expect((await poweredOff(b, vm)).status).toBe(0);
    expect((await check.done).stdout).toMatch(/disk-writer: read back 256 blocks, checksum \d+, differing 0\n/);
    await on(b, 'vm', 'stop', vm);
    await relay.close();
  }, 120_000);
});

describe('a disk copy that fails', () => {
  test('a SECTORS frame corrupted on the way: the destination refuses it, the migration aborts, and the guest finishes at the source as if never moved', async () => {
    const relay = await Relay.to(b.address);
    relay.strike = { direction: 'forth', frameType: 15, keep: 40, action: 'flip' }; // FrameType.SECTORS
    const path = blank('corrupt.disk');
    await startWriting('corrupt', ['--disk', path]);
    const m = await cli(['migrate', 'corrupt', '--to', relay.address, '--connect', a.address], { timeoutMs: 60_000 });
    expect(m.status).toBe(1);
    expect(m.stdout).toMatch(/\n {2}outcome +aborted\n/);
    expect(m.stdout).toMatch(/the guest runs on the source, unchanged/);
    expect((await info(a, 'corrupt')).state).not.toBe('lost');
    expect((await poweredOff(a, 'corrupt')).status).toBe(0);
    expect(readFileSync(path).equals(reference)).toBe(true);
    await on(a, 'vm', 'stop', 'corrupt');
    await relay.close();
  }, 90_000);

  test('the destination killed in the middle of the copy: the guest goes on at the source, its disk intact, and finishes as if never moved', async () => {
    const c = await spawnDaemon(['--state-dir', join(temp, 'state-c')]);
    // 4 MiB: the writer's blocks at the start, random bytes after them (every sector goes as data), over a slow link.
    const tail = randomBytes(4 * 1024 * 1024 - DISK_SIZE);
    const path = join(temp, 'big.disk');
    writeFileSync(path, Buffer.concat([Buffer.alloc(DISK_SIZE), tail]));
    await startWriting('survivor', ['--disk', path]);
    const m = startCli(['migrate', 'survivor', '--to', c.address, '--bandwidth', '1M', '--json', '--connect', a.address], { timeoutMs: 60_000 });
    await waitFor('the disk copy to be under way', () => m.stdout().includes('"phase":"pre-copy"') && readdirSync(temp).some((f) => f.startsWith('.big.disk.arriving-')), 30_000);
    await c.kill('SIGKILL');
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).outcome).toMatchObject({ kind: 'aborted', phase: 'pre-copy' });
    expect(['running', 'off']).toContain((await info(a, 'survivor')).state);
    expect((await poweredOff(a, 'survivor')).status).toBe(0);
    const after = readFileSync(path);
    expect(after.subarray(0, DISK_SIZE).equals(reference)).toBe(true);
    expect(after.subarray(DISK_SIZE).equals(tail)).toBe(true);
    await on(a, 'vm', 'stop', 'survivor');
    // The killed daemon's half copy is still beside the file (kill -9 cleans nothing up)…
    const leftovers = readdirSync(temp).filter((f) => f.startsWith('.big.disk.arriving-'));
    expect(leftovers).toHaveLength(1);
    // …until the next arrival of that path, which deletes it: its daemon is gone.
    const d = await spawnDaemon(['--state-dir', join(temp, 'state-d')]);
    await startWriting('again', ['--disk', path]);
    const again = await cli(['migrate', 'again', '--to', d.address, '--strategy', 'stop-and-copy', '--connect', a.address], { timeoutMs: 60_000 });
    expect(again.stderr).toBe('');
    expect(readdirSync(temp).filter((f) => f.includes('.arriving-'))).toEqual([]);
    await on(d, 'vm', 'stop', 'again');
  }, 90_000);
});
