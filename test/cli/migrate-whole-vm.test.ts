/**
 * A whole VM moves between two `typevisor serve` daemons on 127.0.0.1,
 * through the real CLI, by every strategy `migrate --strategy` offers:
 *
 *   - a disk writer on a file both daemons see (`--disk-mode shared`), moved
 *     while it writes, ends with a disk byte-identical to the same guest never
 *     migrated — and a `vm console` attached to the source before the move
 *     shows its whole output, from before and after the move, once (it follows
 *     the VM by itself);
 *   - a volume copied to the destination keeps counting its generations there:
 *     a snapshot taken on the source before the move does not pass for the
 *     volume that arrived (the guest wrote it since), nor for the stale copy
 *     the source keeps, without --force;
 *   - the destination killed in the middle of a volume's copy: the guest goes
 *     on at the source with its volume, still attached at its generation, and
 *     the volume ends as if never moved; the dead daemon's half copy is
 *     deleted by the next daemon on its state directory.
 *
 * The two daemons are shared by every case; the guests are small (2 MiB);
 * the strategies go between the monitors in every pairing.
 * (migrate-disk.test.ts has copy mode and the failures; vm-net.test.ts the
 * echo service's connections.)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import { STRATEGY_NAMES } from '../../hypervisor/migration/options.js';
import { cleanup, cli, spawnDaemon, startCli, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { closeClients, diskWriter, poweredOff, vmInfo } from '../helpers/disk-vms.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-whole-vm-'));

/**
 * 16 blocks of 8 sectors, a line after each, slowly enough to move it while
 * it writes: a block every 60 ms or more (400 M instructions of delay loop,
 * which the translation tier runs at 3–7 GIPS), where a CLI takes some
 * 300 ms to start (the test checks that the move came before the last write).
 */
const WRITER = { BLOCKS: 16, SPIN: 200_000_000, PRINT_EVERY: 1 };
const DISK_SIZE = 16 * 8 * 512;

let a: Daemon; // the source
let b: Daemon; // the destination
let writer: string;
/** The disk and the console output of the writer never migrated. */
let reference: { disk: Buffer; console: string };

const on = (d: Daemon, ...args: string[]) => cli([...args, '--connect', d.address], { timeoutMs: 30_000 });
const blank = (name: string): string => {
  const path = join(temp, name);
  writeFileSync(path, Buffer.alloc(DISK_SIZE));
  return path;
};

beforeAll(async () => {
  [a, b] = await Promise.all([spawnDaemon(['--state-dir', join(temp, 'state-a')]), spawnDaemon(['--state-dir', join(temp, 'state-b')])]);
  writer = diskWriter(temp, 'writer', WRITER);
  const path = blank('reference.disk');
  expect((await on(a, 'vm', 'start', writer, '--name', 'reference', '--mem', '2M', '--disk', path)).stderr).toBe('');
  expect((await poweredOff(a, 'reference')).status).toBe(0);
  const shown = await on(a, 'vm', 'console', 'reference', '--no-input');
  await on(a, 'vm', 'stop', 'reference');
  reference = { disk: readFileSync(path), console: shown.stdout };
  expect(reference.disk.some((x) => x !== 0)).toBe(true);
  expect(reference.console).toMatch(/^disk-writer: wrote 1\n(.|\n)*checksum \d+, differing 0\n$/);
}, 60_000);

afterAll(async () => {
  closeClients();
  await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('migrate --disk-mode shared, every strategy: the disk and the console go on where the guest went', () => {
  // Every strategy, and between them every pair of monitors.
  const MONITORS: readonly (readonly [MonitorKind, MonitorKind])[] = [['native', 'hosted'], ['hosted', 'native'], ['native', 'native'], ['hosted', 'hosted']];
  test.each(STRATEGY_NAMES.map((s, i) => [s, ...MONITORS[i % MONITORS.length]!] as const))('%s (%s to %s): the file ends as the guest never migrated leaves it; the attached console shows all its output once', async (strategy, from, to) => {
    const vm = `shared-${strategy}`;
    const path = blank(`${vm}.disk`);
    expect((await on(a, 'vm', 'start', writer, '--name', vm, '--mem', '2M', '--disk', path, '--monitor', from)).stderr).toBe('');
    const console = startCli(['vm', 'console', vm, '--connect', a.address, '--no-input'], { timeoutMs: 60_000 });
    // Attached, and the guest writing, before anything moves.
    await waitFor('the console to show the first block', () => console.stdout().startsWith('disk-writer: wrote 1\n'), 30_000);
    const m = await on(a, 'migrate', vm, '--to', b.address, '--strategy', strategy, '--disk-mode', 'shared', '--monitor', to);
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(m.stdout).toMatch(/ {2}disk \(file, shared\) +64\.0 KiB\n/);
    expect(m.stdout).not.toMatch(/disk bytes sent/);
    // It was moved in the middle of its writes, not after them.
    expect(console.stdout()).not.toContain('read back');

    expect((await poweredOff(b, vm)).status).toBe(0);
    expect(readFileSync(path).equals(reference.disk)).toBe(true);
    // On a timeout, what it did show is compared below (the difference is the diagnosis).
    await waitFor('the console to show the end', () => console.stdout().length >= reference.console.length, 30_000).catch(() => undefined);
    console.proc.kill('SIGTERM');
    const seen = await console.done;
    expect(seen.stdout).toBe(reference.console);
    expect(seen.stderr).toContain(`[${vm}: migrated to ${b.address}; following it there]`);
    await on(b, 'vm', 'stop', vm);
  }, 90_000);
});

describe('a volume copied to the destination', () => {
  test('goes on from its generation: a snapshot from before the move is refused there (and at the source\'s stale copy) unless --force', async () => {
    const held = diskWriter(temp, 'held', { BLOCKS: 2, SPIN: 0, HOLD: 1 });
    expect((await on(a, 'volume', 'create', 'gen', '--size', '16K')).status).toBe(0);
    expect((await on(a, 'vm', 'start', held, '--name', 'gv', '--mem', '2M', '--volume', 'gen')).stdout).toContain('volume gen (generation 1,');
    await waitFor('gv to hold before its check', async () => (await vmInfo(a, 'gv')).consoleBytes > 0, 30_000);
    const snap = join(temp, 'gen.snap');
    // Live: the VM goes on, so its volume moves on to generation 2 at once.
    expect((await on(a, 'vm', 'snapshot', 'gv', snap, '--live')).stdout).toMatch(/disk: volume gen at generation 1, by reference\n$/);

    const m = await on(a, 'migrate', 'gv', '--to', b.address, '--strategy', 'pre-copy');
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    // Created at the destination at the source's generation (2), then attached to the VM: 3.
    expect((await vmInfo(b, 'gv')).disk).toMatchObject({ kind: 'volume', name: 'gen', generation: 3 });
    await on(b, 'vm', 'stop', 'gv');

    const there = await on(b, 'vm', 'restore', snap);
    expect(there.status).toBe(1);
    expect(there.stderr).toBe(`error: ${snap} records volume gen (generation 1), and it is at generation 3 now: a VM has had it since the snapshot (another VM, or the saved one going on), so its data may not be what the guest remembers. --force attaches it anyway\n`);
    // The source's copy, detached at the move, is stale too.
    const here = await on(a, 'vm', 'restore', snap);
    expect(here.status).toBe(1);
    expect(here.stderr).toContain('and it is at generation 2 now');

    const forced = await on(b, 'vm', 'restore', snap, '--force');
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toMatch(/^restored gv \(.*volume gen \(generation 4\)\)/);
    await on(b, 'vm', 'stop', 'gv');
  }, 60_000);
});

describe('a volume copy that fails', () => {
  test('the destination killed in the middle: the guest goes on at the source with its volume, which ends as if never moved', async () => {
    const stateC = join(temp, 'state-c');
    const c = await spawnDaemon(['--state-dir', stateC]);
    // 48 MiB: the writer's blocks at the start, random bytes after them — every piece is sent, so the copy takes a while.
    const SIZE = 48 * 1024 * 1024;
    expect((await on(a, 'volume', 'create', 'big', '--size', String(SIZE))).status).toBe(0);
    const tail = randomBytes(SIZE - DISK_SIZE);
    // Its sectors straight into the volume's file, before any VM has it open (a --from of 48 MiB would travel base64 in one line).
    writeFileSync(join(temp, 'state-a', 'volumes', 'big.disk'), Buffer.concat([Buffer.alloc(DISK_SIZE), tail]));
    expect((await on(a, 'vm', 'start', writer, '--name', 'stays', '--mem', '2M', '--volume', 'big')).stderr).toBe('');
    await waitFor('stays to write its first block', async () => (await vmInfo(a, 'stays')).consoleBytes > 0, 30_000);
    const generation = (await vmInfo(a, 'stays')).disk;

    const m = startCli(['migrate', 'stays', '--to', c.address, '--connect', a.address], { timeoutMs: 60_000 });
    const scratch = join(stateC, 'scratch');
    await waitFor('the volume\'s copy to begin at the destination', () => existsSync(scratch) && readdirSync(scratch).some((f) => f.includes('.volume-big.')), 30_000);
    await c.kill('SIGKILL');
    const r = await m.done;
    expect(r.status).toBe(1);
    // The engine copies the volume with the memory: the move aborts, and says where the guest is.
    // (If it is killed while it prepares the arrival, before the copy begins: "error: aborted during setup: …".)
    expect(r.stderr).toMatch(new RegExp(`^(error: )?aborted during [a-z -]+: stays is running on ${a.address.replace(/\./g, '\\.')}, unchanged`));

    // The guest is still the source's, its volume attached as it was.
    expect((await vmInfo(a, 'stays')).disk).toEqual(generation);
    expect((await poweredOff(a, 'stays')).status).toBe(0);
    await on(a, 'vm', 'stop', 'stays');
    const after = readFileSync(join(temp, 'state-a', 'volumes', 'big.disk'));
    expect(after.subarray(0, DISK_SIZE).equals(reference.disk)).toBe(true);
    expect(after.subarray(DISK_SIZE).equals(tail)).toBe(true);

    // The half copy the dead daemon left: the next daemon on its state directory deletes it when it takes the directory over.
    expect(readdirSync(scratch).some((f) => f.includes('.volume-big.'))).toBe(true);
    const again = await spawnDaemon(['--state-dir', stateC]);
    expect((await on(again, 'volume', 'ls')).status).toBe(0);
    expect(readdirSync(scratch)).toEqual([]);
    await again.kill('SIGTERM');
  }, 90_000);
});
