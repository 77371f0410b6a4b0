/**
 * Migration across monitors, through the CLI between two real daemons on
 * 127.0.0.1: a guest started on one kind of monitor (native: the daemon's
 * shared machine in virtual time; hosted: a thread of its own in host time)
 * moves with every strategy to the same kind or the other one, and finishes
 * with the same console output as the guest never migrated. What crosses is
 * the VM's state in one format both monitors read.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../hypervisor/control/client.js';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import { cleanup, cli, clientFor, finishPages, referenceOutput, spawnDaemon, startPages, type Daemon } from '../hypervisor/control/daemons.js';

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

const STRATEGIES = ['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'] as const;
const PAIRS: readonly (readonly [MonitorKind, MonitorKind])[] = [
  ['hosted', 'hosted'],
  ['native', 'hosted'],
  ['hosted', 'native'],
];

describe.each(PAIRS)('%s → %s', (from, to) => {
  test.each(STRATEGIES)('%s: the guest finishes on the destination as if it had never moved', async (strategy) => {
    const name = `${from[0]}${to[0]}-${strategy}`;
    await startPages(ca, name, 3, from);
    expect((await ca.stats(name)).monitor).toBe(from);
    const r = await cli(['migrate', name, '--connect', a.address, '--to', b.address, '--strategy', strategy, '--monitor', to]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`migrated ${name} to ${b.address}`);
    // Exactly one copy, on the destination, on the monitor asked for.
    expect((await ca.list()).find((v) => v.name === name)).toBeUndefined();
    const there = await cb.stats(name);
    expect(there.monitor).toBe(to);
    expect(there.state).toBe('running');
    expect(await finishPages(cb, name)).toBe(reference);
    await cb.stop(name);
  });
});

describe('the destination keeps the source\'s monitor unless told otherwise', () => {
  test('a hosted VM arrives hosted', async () => {
    await startPages(ca, 'keep', 3, 'hosted');
    const r = await cli(['migrate', 'keep', '--connect', a.address, '--to', b.address, '--strategy', 'pre-copy']);
    expect(r.status).toBe(0);
    expect((await cb.stats('keep')).monitor).toBe('hosted');
    expect(await finishPages(cb, 'keep')).toBe(reference);
    await cb.stop('keep');
  });
});

describe('the guest kernel, native → native: virtual time is deterministic, so not one instruction differs', () => {
  // The bare machine's run is the same for every strategy (deterministic): booted once.
  let bareRun: ReturnType<typeof cli> | undefined;
  test.each(STRATEGIES)('%s: same console, same process table (instruction counts included) as on the bare machine', async (strategy) => {
    const bare = await (bareRun ??= cli(['boot', 'guests/kernel/kernel.s'], { input: '' }));
    expect(bare.status).toBe(0);
    const name = `kernel-${strategy}`;
    const start = await cli(['vm', 'start', 'guests/kernel/kernel.s', '--name', name, '--connect', a.address]);
    expect(start.status).toBe(0);
    await ca.pause(name); // somewhere in its run; where does not matter
    const r = await cli(['migrate', name, '--connect', a.address, '--to', b.address, '--strategy', strategy]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    let out = '';
    const follow = cb.console(name, true, (bytes) => (out += Buffer.from(bytes).toString()));
    const end = await follow.result;
    expect(end.reason).toBe('powered off, status 0');
    // The source handed its console history over before migrate answered: the console here is whole.
    expect(out).toBe(bare.stdout);
    expect(out).toMatch(/pid +name +status +instructions\n/);
    await cb.stop(name);
  });
});
