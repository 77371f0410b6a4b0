/**
 * `typevisor vm …` against a real daemon process: start, list, stats,
 * console (output live, stdin forwarded), pause/resume, stop.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanup, cli, spawnDaemon, startCli, waitFor, type Daemon } from '../hypervisor/control/daemons.js';

let d: Daemon;
const vm = (...args: string[]) => cli(['vm', ...args, '--connect', d.address]);

beforeAll(async () => {
  d = await spawnDaemon();
});
afterAll(cleanup);

describe('typevisor vm', () => {
  test('start assembles the kernel here and starts it there; list shows it; stop forgets it', async () => {
    const s = await vm('start', 'test/fixtures/control/pages.s', '--name', 'work', '--mem', '2M');
    expect(s.stderr).toBe('');
    expect(s.stdout).toBe(`started work (pages.s, 2 MiB, native monitor) on ${d.address}\n`);
    expect(s.status).toBe(0);

    const l = await vm('list');
    expect(l.stdout).toMatch(/^NAME +STATE +MONITOR +KERNEL +MEMORY +INSTRUCTIONS\nwork +running +native +pages\.s +2 MiB +\d+\n$/);

    const j = await vm('list', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ daemon: d.address, vms: [{ name: 'work', state: 'running', memSize: 2 * 1024 * 1024 }] });

    const st = await vm('stats', 'work');
    expect(st.stdout).toMatch(/^\[work\] running\n {2}kernel +pages\.s, 2 MiB, native monitor, share 1\n {2}lifecycle +running\n {2}instructions +\d+ \(virtual time \d+\)\n/);
    expect(st.stdout).toMatch(/ {2}device accesses +\d+ emulated\n/);

    const stop = await vm('stop', 'work');
    expect(stop.stdout).toMatch(/^stopped work after \d+ instructions\n$/);
    expect((await vm('list')).stdout).toBe('no VMs (start one: typevisor vm start KERNEL)\n');
  });

  test('console: output so far, then live; stdin goes to the guest; it ends when the guest powers off', async () => {
    await vm('start', 'test/fixtures/control/echo.s', '--name', 'echo', '--mem', '1M');
    const r = await cli(['vm', 'console', 'echo', '--connect', d.address], { input: 'hello, vm q' });
    expect(r.stdout).toBe('echo ready\nHELLO, VM bye\n');
    expect(r.stderr).toBe('[echo: powered off, status 0]\n');
    expect(r.status).toBe(0);
    const l = await vm('list');
    expect(l.stdout).toMatch(/\necho +off +native +echo\.s +1 MiB +\d+ +powered off, status 0\n$/);
    await vm('stop', 'echo');
  });

  test('console --no-history shows only what comes next; a watcher is ended, with the reason, when the VM powers off', async () => {
    await vm('start', 'test/fixtures/control/echo.s', '--name', 'watched', '--mem', '1M');
    const watch = startCli(['vm', 'console', 'watched', '--no-history', '--no-input', '--connect', d.address]);
    await waitFor('the watcher to attach', async () => JSON.parse((await vm('stats', 'watched', '--json')).stdout).consoleFollowers === 1);
    await cli(['vm', 'console', 'watched', '--no-history', '--connect', d.address], { input: 'hi q' });
    const r = await watch.done;
    expect(r.stdout).toBe('HI bye\n');
    expect(r.stderr).toBe('[watched: powered off, status 0]\n');
    expect(r.status).toBe(0);
    await vm('stop', 'watched');
  });

  test('pause and resume', async () => {
    await vm('start', 'test/fixtures/control/pages.s', '--name', 'pp', '--mem', '2M');
    expect((await vm('pause', 'pp')).stdout).toBe('pp: paused\n');
    expect((await vm('list')).stdout).toMatch(/\npp +paused /);
    expect((await vm('resume', 'pp')).stdout).toBe('pp: running\n');
    await vm('stop', 'pp');
  });

  test('errors: an unknown VM, a name in use, a kernel that does not assemble (the daemon never sees it)', async () => {
    const none = await vm('stop', 'ghost');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^error: no VM named ghost on this daemon/);

    await vm('start', 'test/fixtures/control/echo.s', '--name', 'dup', '--mem', '1M');
    const dup = await vm('start', 'test/fixtures/control/echo.s', '--name', 'dup', '--mem', '1M');
    expect(dup.status).toBe(1);
    expect(dup.stderr).toBe('error: a VM named dup already exists on this daemon (pick another --name)\n');
    await vm('stop', 'dup');

    const bad = await vm('start', 'test/fixtures/control/missing.s');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('error: cannot read test/fixtures/control/missing.s: no such file\n');

    const mem = await vm('start', 'test/fixtures/control/echo.s', '--mem', 'lots');
    expect(mem.stderr).toBe('error: --mem "lots" is not a size (try 16M, 512K, 1G)\n');
  });

  test('--help lists the subcommands with examples', async () => {
    const r = await cli(['vm', '--help']);
    for (const sub of ['start', 'list', 'stats', 'stop', 'pause', 'resume', 'console']) expect(r.stdout).toContain(`  ${sub} `);
    expect(r.stdout).toContain('typevisor vm console web');
  });
});
