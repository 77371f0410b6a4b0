/**
 * Daemon VMs with disks, through the real CLI against real daemons (each with
 * a state directory of its own under a temp dir). Each test uses VMs
 * and volumes of its own names.
 *
 *   - a volume written by one VM (the guest kernel copying a file on tvfs),
 *     the VM stopped, then attached to a new VM, shows the data — written on
 *     one monitor and read on the other, both ways; a second attach while the
 *     first VM holds it is refused naming the holder;
 *   - a transient disk (--scratch) works (the disk writer) and is gone after
 *     its VM stops, under both monitors;
 *   - --disk FILE, a relative path made absolute by the client;
 *   - hot attach (a guest waiting for its disk gets it and writes it, both
 *     monitors) and detach (refused while the VM runs);
 *   - volumes outlive the daemon (kill -9 included), a second daemon is
 *     refused the same state directory, damaged metadata is refused naming
 *     the file and the field.
 *
 * A VM's disk on migration: migrate-disk.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import type { VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { writeKernel } from '../helpers/kernel.js';
import { PROGRAMS_DIR } from '../guests/expectations.js';
import { cleanup, cli, spawnDaemon, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { CHECK, closeClients, diskWriter as writeDiskWriter, poweredOff as whenOff, vmInfo, WRITER } from '../helpers/disk-vms.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-volume-'));
const POEM = join(REPO_ROOT, 'test', 'fixtures', 'fs', 'text', 'poem.txt');
const poem = readFileSync(POEM, 'utf8');

const diskWriter = (label: string, params: Readonly<Record<string, number>>, file = WRITER): string => writeDiskWriter(temp, label, params, file);

let d: Daemon;
let stateDir: string;
const tv = (...args: string[]) => cli([...args, '--connect', d.address], { timeoutMs: 30_000 });

const info = (name: string, daemon = d): Promise<VmStatsInfo> => vmInfo(daemon, name);
const poweredOff = (name: string): Promise<VmStatsInfo> => whenOff(d, name);

async function consoleOf(name: string): Promise<string> {
  return (await tv('vm', 'console', name, '--no-input')).stdout;
}

beforeAll(async () => {
  stateDir = join(temp, 'state');
  d = await spawnDaemon(['--state-dir', stateDir]);
});
afterAll(async () => {
  closeClients();
  await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('volumes outlive their VMs', () => {
  const writer = writeKernel(temp, 'writer', [{ name: 'copy', file: join(PROGRAMS_DIR, 'copy.s'), args: ['poem.txt', 'copy.txt'] }]);
  const reader = writeKernel(temp, 'reader', [{ name: 'cat', file: join(PROGRAMS_DIR, 'cat.s'), args: ['copy.txt'] }]);

  // Kernel on one monitor, kernel on the other (the other direction is the disk writer's: hot-plug, migration, the restart).
  test.each<[MonitorKind, MonitorKind]>([['native', 'hosted']])('a file the kernel writes on a %s VM is there for a new %s VM; a second attach is refused naming the holder', async (first, second) => {
    const vol = `poem-${first}`;
    const base = join(temp, `${vol}.img`);
    expect((await cli(['mkdisk', '-o', base, '--size', '64K', POEM])).status).toBe(0);
    const c = await tv('volume', 'create', vol, '--from', base);
    expect(c.stderr).toBe('');
    expect(c.stdout).toBe(`created volume ${vol} (64 KiB, from ${base}) on ${d.address}\n`);

    const w = await tv('vm', 'start', writer, '--name', `w-${first}`, '--mem', '4M', '--monitor', first, '--volume', vol);
    expect(w.stdout).toBe(`started w-${first} (writer.s, 4 MiB, ${first} monitor, volume ${vol} (generation 1, 128 sectors)) on ${d.address}\n`);
    expect((await poweredOff(`w-${first}`)).status).toBe(0);
    expect(await consoleOf(`w-${first}`)).toContain('copied 90 bytes from poem.txt to copy.txt\n');

    // Off, but not stopped: it still holds the volume.
    const twice = await tv('vm', 'start', reader, '--name', `r-${second}`, '--mem', '4M', '--monitor', second, '--volume', vol);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toBe(`error: volume ${vol} is attached to w-${first}; detach it first (typevisor vm stop w-${first}, or typevisor volume detach ${vol})\n`);
    const list = await tv('vm', 'list');
    expect(list.stdout).toMatch(new RegExp(`\\nw-${first} +off +${first} +writer\\.s +4 MiB +\\d+ +volume ${vol} +powered off, status 0\\n`));
    expect(list.stdout.split("\n")[0]).toMatch(/ DISK$/);

    await tv('vm', 'stop', `w-${first}`);
    const r = await tv('vm', 'start', reader, '--name', `r-${second}`, '--mem', '4M', '--monitor', second, '--volume', vol);
    expect(r.stderr).toBe('');
    expect((await poweredOff(`r-${second}`)).disk).toEqual({ kind: 'volume', name: vol, generation: 2, sectors: 128 });
    const out = await consoleOf(`r-${second}`);
    expect(out).toContain('kernel: disk: 128 sectors, tvfs, 2 files\n');
    expect(out).toContain(poem);

    const ls = await tv('volume', 'ls', '--json');
    expect(JSON.parse(ls.stdout).volumes).toContainEqual(expect.objectContaining({ name: vol, size: 65536, generation: 2, attachedTo: `r-${second}` }));
    const rm = await tv('volume', 'rm', vol);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toBe(`error: volume ${vol} is attached to r-${second}; stop that VM or detach the volume first\n`);
    await tv('vm', 'stop', `r-${second}`);
    expect((await tv('volume', 'rm', vol)).stdout).toBe(`removed volume ${vol} (64 KiB)\n`);
    expect(existsSync(join(stateDir, 'volumes', `${vol}.disk`))).toBe(false);
  });
});

describe('transient disks and disk files', () => {
  test.each<MonitorKind>(['native', 'hosted'])('a --scratch disk works on a %s VM and is gone once the VM is stopped', async (monitor) => {
    const name = `scratch-${monitor}`;
    const s = await tv('vm', 'start', diskWriter('dw-scratch', { BLOCKS: 16, SPIN: 0 }), '--name', name, '--mem', '2M', '--monitor', monitor, '--scratch', '64K');
    expect(s.stdout).toContain('transient (128 sectors, deleted when the VM stops)');
    const v = await poweredOff(name);
    expect(v.status).toBe(0);
    expect(await consoleOf(name)).toContain('disk-writer: read back 16 blocks, checksum ');
    expect(v.disk?.kind).toBe('transient');
    const path = v.disk?.kind === 'transient' ? v.disk.path : '';
    expect(path.startsWith(join(stateDir, 'scratch'))).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect((await tv('vm', 'stats', name)).stdout).toContain(`  disk              transient (128 sectors, deleted when the VM stops): ${path}\n`);
    await tv('vm', 'stop', name);
    expect(existsSync(path)).toBe(false);
  });

  test('--disk FILE: a path relative to the client, opened by the daemon; the guest\'s writes land in the file', async () => {
    const file = join(temp, 'plain.disk');
    writeFileSync(file, new Uint8Array(64 * 1024));
    const s = await cli(['vm', 'start', diskWriter('dw-file', { BLOCKS: 8, SPIN: 0 }), '--name', 'filed', '--mem', '2M', '--disk', relative(REPO_ROOT, file), '--connect', d.address]);
    expect(s.stdout).toContain(`file ${file} (128 sectors)`);
    expect((await poweredOff('filed')).status).toBe(0);
    const shared = await tv('vm', 'start', WRITER, '--name', 'second', '--disk', file);
    expect(shared.stderr).toBe(`error: disk ${file} is open already as filed's disk; two VMs writing one disk would corrupt it\n`);
    await tv('vm', 'stop', 'filed');
    const bytes = readFileSync(file);
    expect(bytes.readUInt32LE(0)).toBe(7); // block 0, word 0: 0 * 2654435761 + SEED
    expect(bytes.subarray(8 * 8 * 512).every((b) => b === 0)).toBe(true); // nothing past the 8 blocks

    const none = await tv('vm', 'start', WRITER, '--disk', join(temp, 'absent.disk'));
    expect(none.stderr).toBe(`error: cannot open disk ${join(temp, 'absent.disk')}: no such file\n`);
    await tv('volume', 'create', 'inside', '--size', '8K');
    const inside = await tv('vm', 'start', WRITER, '--disk', join(stateDir, 'volumes', 'inside.disk'));
    expect(inside.stderr).toBe(`error: ${join(stateDir, 'volumes', 'inside.disk')} is in this daemon's state directory: give a volume with --volume NAME\n`);
    await tv('volume', 'rm', 'inside');
    const two = await tv('vm', 'start', WRITER, '--disk', file, '--scratch', '1M');
    expect(two.stderr).toBe('error: a VM has one disk: give one of --disk, --volume and --scratch\n');
  });
});

describe('hot attach and detach', () => {
  test.each<MonitorKind>(['native', 'hosted'])('a volume plugged into a running %s VM that waits for a disk is the disk it writes', async (monitor) => {
    const vol = `plug-${monitor}`;
    const vm = `waiter-${monitor}`;
    await tv('volume', 'create', vol, '--size', '64K');
    await tv('vm', 'start', diskWriter('dw-wait', { BLOCKS: 8, SPIN: 0, WAIT: 1 }), '--name', vm, '--mem', '2M', '--monitor', monitor);
    // Its one line so far is that it waits (vm console would follow it until it ends).
    await waitFor(`${vm} to wait for its disk`, async () => (await info(vm)).consoleBytes === 'disk-writer: no disk yet, waiting for one\n'.length, 30_000);
    expect((await info(vm)).state).toBe('running');
    expect((await tv('volume', 'attach', vol, vm)).stdout).toBe(`attached volume ${vol} to ${vm} (generation 1)\n`);
    expect((await poweredOff(vm)).status).toBe(0);
    expect(await consoleOf(vm)).toMatch(/^disk-writer: no disk yet, waiting for one\n(.*\n)*disk-writer: read back 8 blocks, checksum \d+, differing 0\n$/);
    await tv('vm', 'stop', vm);
    // What it wrote is the volume's: the check alone, on a VM started with it, agrees.
    await tv('vm', 'start', diskWriter('dr-wait', { BLOCKS: 8 }, CHECK), '--name', `${vm}-check`, '--mem', '2M', '--volume', vol);
    expect((await poweredOff(`${vm}-check`)).status).toBe(0);
    await tv('vm', 'stop', `${vm}-check`);
    await tv('volume', 'rm', vol);
  });

  test('a volume plugged into a running VM is what its device serves; detach waits for the VM to be paused', async () => {
    expect((await tv('volume', 'create', 'hot', '--size', '64K')).status).toBe(0);
    // MODE 1 on an empty volume would fail; this guest only spins, then is paused.
    await tv('vm', 'start', 'test/fixtures/control/pages.s', '--name', 'spinner', '--mem', '2M');
    const a = await tv('volume', 'attach', 'hot', 'spinner');
    expect(a.stdout).toBe('attached volume hot to spinner (generation 1)\n');
    expect((await info('spinner')).disk).toEqual({ kind: 'volume', name: 'hot', generation: 1, sectors: 128 });
    const busy = await tv('volume', 'detach', 'hot');
    expect(busy.stderr).toBe('error: spinner is running: pulling its disk out now could cut a write short; pause it first (typevisor vm pause spinner) or stop it\n');
    await tv('vm', 'pause', 'spinner');
    expect((await tv('volume', 'detach', 'hot')).stdout).toBe('detached volume hot\n');
    expect((await info('spinner')).disk).toBeUndefined();
    expect(JSON.parse((await tv('volume', 'ls', '--json')).stdout).volumes).toContainEqual(expect.objectContaining({ name: 'hot', generation: 1, attachedTo: null }));
    await tv('vm', 'stop', 'spinner');
    await tv('volume', 'rm', 'hot');
  });
});

describe('the daemon and its state directory', () => {
  test('volumes outlive a killed daemon, free again; a second daemon is refused the directory, naming the first', async () => {
    const dir = join(temp, 'restart');
    const one = await spawnDaemon(['--state-dir', dir]);
    const on = (daemon: Daemon, ...args: string[]) => cli([...args, '--connect', daemon.address], { timeoutMs: 30_000 });
    await on(one, 'volume', 'create', 'keep', '--size', '64K');
    await on(one, 'vm', 'start', diskWriter('dw-keep', { BLOCKS: 8, SPIN: 0 }), '--name', 'k', '--mem', '2M', '--volume', 'keep');
    await on(one, 'vm', 'start', 'test/fixtures/control/pages.s', '--name', 'tmp', '--mem', '2M', '--scratch', '8K');
    await waitFor('k to power off', async () => (await info('k', one)).state === 'off', 30_000);
    expect(JSON.parse((await on(one, 'volume', 'ls', '--json')).stdout).volumes[0]).toMatchObject({ attachedTo: 'k', generation: 1 });

    const two = await spawnDaemon(['--state-dir', dir]);
    const refused = await on(two, 'volume', 'ls');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`error: state directory ${dir} is in use by the daemon on ${one.address} (pid ${one.proc.pid}); give this one its own: typevisor serve --state-dir DIR\n`);
    await two.kill('SIGTERM');

    await one.kill('SIGKILL');
    const three = await spawnDaemon(['--state-dir', dir]);
    const ls = await on(three, 'volume', 'ls');
    expect(ls.stdout).toBe('NAME    SIZE  GENERATION  ATTACHED TO\nkeep  64 KiB           1  -\n');
    expect(readFileSync(join(dir, 'daemon.lock'), 'utf8')).toContain(`"pid":${three.proc.pid}`);
    expect(existsSync(join(dir, 'scratch')) && readFileSync(join(dir, 'volumes', 'keep.json'), 'utf8')).toContain('"attachedTo":null');
    // What k wrote is there for the next VM: the disk writer's check only.
    await on(three, 'vm', 'start', diskWriter('dr-keep', { BLOCKS: 8 }, CHECK), '--name', 'k2', '--mem', '2M', '--volume', 'keep', '--monitor', 'hosted');
    await waitFor('k2 to power off', async () => (await info('k2', three)).state === 'off', 30_000);
    expect((await info('k2', three)).status).toBe(0);
    expect((await on(three, 'vm', 'console', 'k2', '--no-input')).stdout).toContain('read back 8 blocks, checksum ');
    await three.kill('SIGTERM');
    const scratch = join(dir, 'scratch');
    expect(existsSync(scratch)).toBe(true);
  });

  test('damaged volume metadata is refused, naming the file and the field; the other volumes are listed', async () => {
    await tv('volume', 'create', 'good', '--size', '8K');
    await tv('volume', 'create', 'bad', '--size', '8K');
    const meta = join(stateDir, 'volumes', 'bad.json');
    writeFileSync(meta, readFileSync(meta, 'utf8').replace(/"generation":0/, '"generation":"zero"'));
    const ls = await tv('volume', 'ls');
    expect(ls.status).toBe(1);
    expect(ls.stdout).toMatch(/^NAME +SIZE +GENERATION +ATTACHED TO\n(.*\n)*good +8 KiB +0 +-\n/);
    expect(ls.stderr).toBe(`error: volume bad is damaged: ${meta}: field generation is "zero"; it must be a whole number ≥ 0\n`);
    const start = await tv('vm', 'start', WRITER, '--name', 'never', '--volume', 'bad');
    expect(start.stderr).toBe(`error: ${meta}: field generation is "zero"; it must be a whole number ≥ 0\n`);
    writeFileSync(meta, '{"format":"typevisor-volume","version":1,');
    expect((await tv('vm', 'start', WRITER, '--volume', 'bad')).stderr).toMatch(new RegExp(`^error: ${meta.replace(/[.]/g, '\\.')}: not JSON \\(`));
    await expect(info('never')).rejects.toThrow('no VM named never on this daemon');
    await tv('volume', 'rm', 'good');
  });

});

describe('help', () => {
  test('volume --help lists the subcommands and teaches with examples; vm start --help tells the three disks apart', async () => {
    const r = await cli(['volume', '--help']);
    for (const sub of ['create', 'ls', 'rm', 'attach', 'detach']) expect(r.stdout).toMatch(new RegExp(`\\n  ${sub} `));
    expect(r.stdout).toContain('typevisor volume create data --from base.img');
    const s = await cli(['vm', 'start', '--help']);
    for (const opt of ['--disk <file>', '--volume <name>', '--scratch <size>']) expect(s.stdout).toContain(opt);
    expect(s.stdout).toContain('migrate carries a\ntransient disk by value');
  });
});
