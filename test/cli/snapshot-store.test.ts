/**
 * The snapshot store through the CLI (serve --snapshot-every --snapshot-dir),
 * against real daemons:
 *  - the file appears and is replaced as the guest runs, every version a
 *    whole, valid snapshot with a growing instruction count;
 *  - a second daemon restarts the VM from the store after the first was
 *    killed (-9): its output continues the original run exactly;
 *  - kill -9 of the daemon at random moments, mid-write included, never
 *    leaves a torn file under the name;
 *  - a paused VM is not saved again and again; a VM whose file cannot be
 *    written is logged and runs on, and the daemon's other VMs are saved;
 *  - serve refuses bad --snapshot-every / --snapshot-dir in one line.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeImage } from '../../isa/image.js';
import { loadWorkload } from '../../hypervisor/lab/workloads.js';
import type { ControlClient } from '../../hypervisor/control/client.js';
import type { VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { latestSnapshot, storeFile } from '../../hypervisor/control/snapshot-schedule.js';
import { isTempName } from '../../hypervisor/snapshot/snapshot-file.js';
import { bufferSource, readSnapshot, SnapshotError } from '../../hypervisor/snapshot/snapshot-format.js';
import { cleanup, cli, clientFor, spawnDaemon, waitFor, type Daemon } from '../hypervisor/control/daemons.js';
import { WORKLOADS } from '../hypervisor/migration/helpers.js';

let dir: string;
/**
 * cpu.s counting: a line every 600k steps, about 420M instructions in all: a
 * second or so under the translation tier, which runs its loop at several
 * thousand MIPS (at 70M it ended before the store held two versions).
 */
let counter: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tv-store-'));
  counter = join(dir, 'counter.img');
  writeFileSync(counter, writeImage(loadWorkload(WORKLOADS, 'cpu', { ITERATIONS: 30_000_000, PRINT_EVERY: 600_000 }).image));
});

afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A daemon saving its VMs into `store` every `every`. */
const storeDaemon = (store: string, every = '300ms'): Promise<Daemon> => spawnDaemon(['--snapshot-every', every, '--snapshot-dir', store, '--state-dir', join(dir, `state-${Math.random().toString(36).slice(2)}`)]);

/** Every byte of the file checked (each section's checksum, every page); what it holds. */
function check(file: string): { instructions: number; transmitted: number } {
  const s = readSnapshot(bufferSource(readFileSync(file)), { pages: true });
  return { instructions: s.state.cpu.instret, transmitted: s.state.devices.console.transmitted };
}

/** Follow a VM's console (history first); `out()` is what it printed so far, `end` how it ended. */
function follow(c: ControlClient, name: string): { out: () => string; end: Promise<string> } {
  let out = '';
  const f = c.console(name, true, (b) => (out += Buffer.from(b).toString('latin1')));
  return { out: () => out, end: f.result.then((e) => e.reason, (e: Error) => `connection: ${e.message}`) };
}

describe('the snapshot store', () => {
  test('the file is replaced as the guest runs, each version valid; a second daemon restarts the VM from it, and its output continues the original run', async () => {
    const store = join(dir, 'store-a');
    const [a, b] = await Promise.all([storeDaemon(store), spawnDaemon(['--state-dir', join(dir, 'state-b')])]);
    const [ca, cb] = await Promise.all([clientFor(a), clientFor(b)]);
    try {
      const image = readFileSync(counter).toString('base64');
      // The reference, never interrupted, runs on the other daemon meanwhile.
      await cb.start({ name: 'ref', kernel: 'counter.img', image, memSize: 4 * 1024 * 1024, share: 1 });
      const ref = follow(cb, 'ref');
      await ca.start({ name: 'count', kernel: 'counter.img', image, memSize: 4 * 1024 * 1024, share: 1 });
      const first = follow(ca, 'count');

      // Every version seen under the name is a whole snapshot, with more instructions than the one before.
      const file = storeFile(store, 'count');
      const seen: number[] = [];
      let lastStamp = '';
      await waitFor('two versions of the file', () => {
        const st = statSync(file, { throwIfNoEntry: false });
        const stamp = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
        if (st && stamp !== lastStamp) {
          lastStamp = stamp;
          const { instructions } = check(file);
          if (instructions !== seen.at(-1)) seen.push(instructions);
        }
        return seen.length >= 2;
      }, 30_000);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);

      // vm stats shows the last one.
      const stats = await cli(['vm', 'stats', 'count', '--connect', a.address]);
      expect(stats.stdout).toMatch(new RegExp(`\\n  snapshots +every 300 ms to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: last at \\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC, instruction \\d+, \\d+ bytes, paused [\\d.]+ ms\\n`));
      const json = (await ca.request('vm.stats', { name: 'count' })) as VmStatsInfo;
      expect(json.periodicSnapshot).toMatchObject({ everyMs: 300, file });
      expect(json.periodicSnapshot!.last!.instructions).toBeGreaterThan(0);

      // The host dies (kill -9); the VM is restarted on the other daemon from its latest snapshot.
      await a.kill('SIGKILL');
      const latest = latestSnapshot(store, 'count')!;
      const saved = check(file);
      expect(latest).toMatchObject({ file, instructions: saved.instructions });
      expect(Date.now() - Date.parse(latest.takenAt)).toBeLessThan(60_000);
      const restart = await cli(['vm', 'restore', file, '--restart', '--connect', b.address]);
      expect(restart.stderr).toBe('');
      expect(restart.stdout).toMatch(new RegExp(`^restarted count \\(counter\\.img, 4 MiB, native monitor\\) at instruction ${saved.instructions} on `));
      const list = await cli(['vm', 'list', '--connect', b.address]);
      expect(list.stdout).toMatch(new RegExp(`\\ncount .*restarted from snapshot at ${saved.instructions} instructions\\n`));
      const second = follow(cb, 'count');

      expect(await ref.end).toBe('powered off, status 0');
      expect(await second.end).toBe('powered off, status 0');
      const whole = ref.out();
      expect(whole.split('\n').length).toBeGreaterThan(40);
      // What the first run printed is the reference's beginning; the restarted one printed the rest from the snapshot on.
      expect(whole.startsWith(first.out())).toBe(true);
      expect(saved.transmitted).toBeLessThan(whole.length);
      expect(second.out()).toBe(whole.slice(saved.transmitted));
      // (its console bytes up to the snapshot had reached the follower before the kill: the continuation is exact)
      if (first.out().length >= saved.transmitted) expect(first.out().slice(0, saved.transmitted) + second.out()).toBe(whole);
      const stats2 = await cli(['vm', 'stats', 'count', '--connect', b.address]);
      expect(stats2.stdout).toContain(`\n  restarted         from ${file} at ${saved.instructions} instructions\n`);
    } finally {
      ca.close();
      cb.close();
      await Promise.all([a.kill('SIGKILL'), b.kill('SIGKILL')]);
    }
  }, 90_000);

  test('kill -9 of the daemon at random moments never leaves a torn file under the name', async () => {
    const store = join(dir, 'store-kill');
    const big = join(dir, 'big.img');
    // 16 MiB of data (cpu.s fills RAM at boot): each version is ~15 MB, long enough to be killed inside.
    writeFileSync(big, writeImage(loadWorkload(WORKLOADS, 'cpu', { ITERATIONS: 100_000_000, PRINT_EVERY: 1_000_000 }).image));
    const image = readFileSync(big).toString('base64');
    let midWrite = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 800 }), fc.boolean(), async (delayMs, midReplace) => {
        const d = await storeDaemon(store, '100ms');
        const c = await clientFor(d);
        const file = storeFile(store, 'big');
        try {
          await c.start({ name: 'big', kernel: 'big.img', image, memSize: 16 * 1024 * 1024, share: 1 });
          const t0 = Date.now();
          // After a random delay; or then, once the file is there, while a new version of it is being written.
          const moment = (): boolean => Date.now() - t0 >= delayMs && (!midReplace || (statSync(file, { throwIfNoEntry: false }) !== undefined && readdirSync(store).some(isTempName)));
          await waitFor('the moment to kill', moment, 20_000);
          if (readdirSync(store).some(isTempName)) midWrite++;
        } finally {
          c.close();
          await d.kill('SIGKILL');
        }
        // None yet, or a whole one: never a torn one.
        if (statSync(file, { throwIfNoEntry: false })) expect(() => check(file)).not.toThrow();
      }),
      // (the first run kills it mid-replace, so a file is there to check from then on)
      { numRuns: 5, examples: [[300, true]] },
    );
    expect(midWrite).toBeGreaterThan(0);
    expect(latestSnapshot(store, 'big')!.instructions).toBeGreaterThan(0);
    // (stray temporary files may stay beside it; image ls leaves them out)
    const ls = await cli(['image', 'ls', store]);
    expect(ls.stdout).toMatch(/^FILE +VM +KERNEL +TAKEN ON +MEMORY +PAGES +INSTRUCTIONS +AGE +DISK +SIZE\n/);
    expect(ls.stdout).toMatch(new RegExp(`\\nbig\\.tvsn +big +big\\.img +native +16 MiB +\\d+/4096 +${latestSnapshot(store, 'big')!.instructions} +\\d+s +none +\\d+ KiB\\n`));
    expect(ls.stdout).not.toMatch(/tmp-/);
  }, 120_000);

  test('a paused VM is not saved again; a VM whose file cannot be written is logged once and runs on, and the others are saved', async () => {
    const store = join(dir, 'store-rules');
    mkdirSync(join(store, 'stuck.tvsn'), { recursive: true }); // a directory where stuck's file would go: the rename fails
    const d = await storeDaemon(store, '100ms');
    const c = await clientFor(d);
    try {
      const image = readFileSync(counter).toString('base64');
      await c.start({ name: 'stuck', kernel: 'counter.img', image, memSize: 1024 * 1024, share: 1 });
      await c.start({ name: 'calm', kernel: 'counter.img', image, memSize: 1024 * 1024, share: 1 });
      await waitFor('calm saved', () => latestSnapshot(store, 'calm') !== undefined, 20_000);
      await c.request('vm.pause', { name: 'calm' });
      const paused = (await c.request('vm.stats', { name: 'calm' })) as VmStatsInfo;
      // The one taken after the pause holds it; after that, nothing new.
      await waitFor('the paused state saved', async () => ((await c.request('vm.stats', { name: 'calm' })) as VmStatsInfo).periodicSnapshot?.last?.instructions === paused.instructions, 20_000);
      const before = statSync(storeFile(store, 'calm'));
      await new Promise((r) => setTimeout(r, 600));
      const after = statSync(storeFile(store, 'calm'));
      expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);

      const stuck = (await c.request('vm.stats', { name: 'stuck' })) as VmStatsInfo;
      expect(stuck.periodicSnapshot!.error).toMatch(/^cannot write .*stuck\.tvsn: /);
      expect(['running', 'off']).toContain(stuck.state); // it ran on (to its end, maybe)
      expect(stuck.reason ?? '').not.toMatch(/snapshot/);
      const failures = d.log().split('\n').filter((l) => l.includes('stuck: periodic snapshot failed (the VM runs on): cannot write'));
      expect(failures).toHaveLength(1);
      const stats = await cli(['vm', 'stats', 'stuck', '--connect', d.address]);
      expect(stats.stdout).toMatch(/\n {2}snapshots +every 100 ms to .*stuck\.tvsn: none yet; the last attempt failed: cannot write /);
    } finally {
      c.close();
      await d.kill('SIGKILL');
    }
  }, 60_000);

  test('latestSnapshot: none, and a corrupt file named by field and offset', () => {
    const store = join(dir, 'store-latest');
    mkdirSync(store, { recursive: true });
    expect(latestSnapshot(store, 'nobody')).toBeUndefined();
    writeFileSync(storeFile(store, 'junk'), 'TVSN but not really');
    expect(() => latestSnapshot(store, 'junk')).toThrow(SnapshotError);
    expect(() => latestSnapshot(store, 'junk')).toThrow(/at offset \d+/);
  });

  test('serve refuses a bad --snapshot-every or --snapshot-dir in one line', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const cases: [string[], RegExp][] = [
      [['--snapshot-every', '1s'], /^error: --snapshot-every needs --snapshot-dir DIR/],
      [['--snapshot-dir', dir], /^error: --snapshot-dir needs --snapshot-every DURATION/],
      [['--snapshot-every', 'often', '--snapshot-dir', dir], /^error: --snapshot-every: 'often' is not a duration/],
      [['--snapshot-every', '1ms', '--snapshot-dir', dir], /^error: --snapshot-every: at least 50ms/],
      [['--snapshot-every', '1s', '--snapshot-dir', join(file, 'sub')], /^error: --snapshot-dir: cannot use .*a-file\/sub: not a directory/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['serve', '--listen', '127.0.0.1:0', '--token', 'x'.repeat(20), ...args]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
