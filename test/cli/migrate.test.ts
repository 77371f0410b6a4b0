/**
 * `typevisor migrate` between two real daemon processes on 127.0.0.1: each
 * strategy moves a running guest, which then finishes on the destination with
 * the same console output as if it had never moved; the report, --json, and
 * the errors a user meets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../hypervisor/control/client.js';
import { cleanup, cli, clientFor, finishPages, referenceOutput, spawnDaemon, startPages, states, type Daemon } from '../hypervisor/control/daemons.js';

let a: Daemon;
let b: Daemon;
let ca: ControlClient;
let cb: ControlClient;
let reference: string;

beforeAll(async () => {
  [a, b, reference] = await Promise.all([spawnDaemon(), spawnDaemon(), referenceOutput()]);
  [ca, cb] = await Promise.all([clientFor(a), clientFor(b)]);
});

afterAll(async () => {
  ca?.close();
  cb?.close();
  await cleanup();
});

const migrate = (vm: string, ...args: string[]) => cli(['migrate', vm, '--connect', a.address, '--to', b.address, ...args]);

describe('each strategy moves a running guest, and it finishes as if it had never moved', () => {
  test.each(['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'])('%s', async (strategy) => {
    const name = `g-${strategy}`;
    await startPages(ca, name);
    const r = await migrate(name, '--strategy', strategy);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`migrated ${name} to ${b.address}\n\n${name}: ${strategy} over tcp ${b.address}, 2.0 MiB of guest memory\n`);
    expect(r.stdout).toMatch(/\n {2}outcome +completed\n {2}total \(ms\) +[\d.]+\n {2}downtime \(ms\) +[\d.]+\n/);
    // Exactly one copy: gone from the source, running on the destination.
    expect((await states(ca))[name]).toBeUndefined();
    expect((await states(cb))[name]).toBe('running');
    expect(await finishPages(cb, name)).toBe(reference);
    await cb.stop(name);
  });
});

describe('typevisor migrate', () => {
  test('--json: status lines, the engine\'s phase and progress events, then the outcome with its report', async () => {
    await startPages(ca, 'j');
    const r = await migrate('j', '--json', '--strategy', 'pre-copy');
    expect(r.status).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; phase?: string; outcome?: { kind: string; report: { vm: string; strategy: string; pagesSent: number } } });
    expect(events[0]).toEqual({ kind: 'status', message: `connecting to ${b.address}` });
    expect(events.filter((e) => e.kind === 'phase').map((e) => e.phase)).toEqual(['setup', 'pre-copy', 'switchover', 'completed']);
    expect(events.some((e) => e.kind === 'progress')).toBe(true);
    const last = events.at(-1)!;
    expect(last.kind).toBe('result');
    expect(last.outcome).toMatchObject({ kind: 'completed', report: { vm: 'j', strategy: 'pre-copy' } });
    expect(last.outcome!.report.pagesSent).toBeGreaterThanOrEqual(512);
    await cb.stop('j');
  });

  test('plain lines when stdout is not a terminal: no redrawn bar', async () => {
    await startPages(ca, 'plain');
    const r = await migrate('plain', '--strategy', 'pre-copy');
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).toMatch(/^connecting to .*\n.* accepted plain; pre-copy begins\nphase setup\nphase pre-copy\nround 0: \d+ pages sent, \d+ dirtied meanwhile\n/);
    await cb.stop('plain');
  });

  test('a wrong destination token: the destination refuses the source daemon, and the guest stays where it was', async () => {
    await startPages(ca, 'stay');
    const r = await migrate('stay', '--to-token', 'wrong');
    expect(r.status).toBe(1);
    // Worded for the migrate command's user: the token to fix is --to-token's, not --token's.
    expect(r.stderr).toBe(`error: the destination ${b.address} refused the token: give its token with --to-token (without it, --token's is used)\n`);
    expect((await states(ca))['stay']).toBe('running');
    expect((await states(cb))['stay']).toBeUndefined();
    await ca.stop('stay');
  });

  test('a destination that already has a VM of that name says so before anything moves', async () => {
    await startPages(ca, 'twin');
    await startPages(cb, 'twin', 1);
    const r = await migrate('twin');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error: a VM named twin already exists on the destination daemon\n');
    expect((await states(ca))['twin']).toBe('running');
    await Promise.all([ca.stop('twin'), cb.stop('twin')]);
  });

  test('usage errors are caught before the daemon is asked', async () => {
    expect((await cli(['migrate', 'x', '--connect', a.address])).stderr).toBe('error: say where to: --to HOST:PORT (the destination daemon)\n');
    expect((await migrate('x', '--strategy', 'teleport')).stderr).toBe('error: --strategy "teleport": choose stop-and-copy, pre-copy, post-copy, hybrid\n');
    expect((await migrate('x', '--on-stall', 'panic')).stderr).toBe('error: --on-stall "panic": choose cancel, stop-and-copy, post-copy\n');
    expect((await migrate('x', '--bandwidth', 'fast')).stderr).toBe('error: --bandwidth "fast" is not a rate (try 10M, 512K/s)\n');
    expect((await migrate('ghost')).stderr).toMatch(/^error: no VM named ghost on this daemon/);
    const self = await cli(['migrate', 'ghost', '--connect', a.address, '--to', a.address]);
    expect(self.stderr).toBe(`error: ${a.address} is this daemon: migrate to another one\n`);
    // localhost names the same listener as 127.0.0.1.
    const local = a.address.replace('127.0.0.1', 'localhost');
    const viaName = await cli(['migrate', 'ghost', '--connect', a.address, '--to', local]);
    expect(viaName.stderr).toBe(`error: ${local} is this daemon: migrate to another one\n`);
  });

  test('--help explains strategies, Ctrl-C, --recover and the exit statuses', async () => {
    const r = await cli(['migrate', '--help']);
    expect(r.stdout).toContain('post-copy      pause, send the CPU, resume on the destination at once');
    expect(r.stdout).toContain('Ctrl-C cancels a migration that has not switched over');
    expect(r.stdout).toContain('typevisor migrate vm1 --to 127.0.0.1:7481 --recover');
    expect(r.stdout).toContain('75 interrupted after switchover');
  });
});
