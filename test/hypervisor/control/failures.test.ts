/**
 * Migrations that go wrong between real daemon processes, and what must hold
 * afterwards: the guest runs on exactly one side (or is reported lost, on
 * both `migrate` and `vm list`), with the reason stated, and a guest that
 * survives finishes with the console output it would have had unmigrated.
 *
 * The link is slowed (--bandwidth) so each phase lasts long enough to strike
 * in; a Relay between the daemons stands for the network cable.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../../hypervisor/control/client.js';
import { cleanup, cli, clientFor, finishPages, referenceOutput, Relay, spawnDaemon, startCli, startPages, states, waitFor, type CliCall, type Daemon } from './daemons.js';

const SLOW = ['--bandwidth', '150K'];
let reference: string;
const clients: ControlClient[] = [];

beforeAll(async () => {
  reference = await referenceOutput();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cleanup();
});

interface Scene {
  a: Daemon;
  b: Daemon;
  ca: ControlClient;
  cb: ControlClient;
  relay: Relay;
}

/** Two daemons, a relay in front of B, and pages.s running mid-way on A as `vm`. */
async function scene(): Promise<Scene> {
  const [a, b] = await Promise.all([spawnDaemon(), spawnDaemon()]);
  const [ca, cb] = await Promise.all([clientFor(a), clientFor(b)]);
  clients.push(ca, cb);
  const relay = await Relay.to(b.address);
  await startPages(ca, 'vm');
  return { a, b, ca, cb, relay };
}

/** `typevisor migrate vm --json` from A to B through the relay. */
function migrate(s: Scene, ...args: string[]): CliCall {
  return startCli(['migrate', 'vm', '--connect', s.a.address, '--to', s.relay.address, '--json', ...SLOW, ...args], { timeoutMs: 25_000 });
}

/** Wait until the migration has reached a phase and sent something in it. */
async function inPhase(m: CliCall, phase: string): Promise<void> {
  await waitFor(`phase ${phase}`, () => {
    const lines = m.stdout().split('\n');
    const at = lines.findIndex((l) => l.includes(`"phase":"${phase}"`));
    return at >= 0 && lines.slice(at + 1).some((l) => l.includes('"kind":"progress"'));
  });
}

const resultOf = (r: { stdout: string; stderr: string }): { kind: string; reason: string } => {
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { kind: string; outcome: { kind: string; reason: string } };
  expect(last.kind, `the last line of stdout is not the result; stderr: ${r.stderr}`).toBe('result');
  return last.outcome;
};

describe('before switchover, the guest stays on the source, unchanged', () => {
  test('the destination daemon killed (kill -9) during pre-copy', async () => {
    const s = await scene();
    const m = migrate(s, '--strategy', 'pre-copy');
    await inPhase(m, 'pre-copy');
    await s.b.kill('SIGKILL');
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(resultOf(r)).toMatchObject({ kind: 'aborted', reason: expect.stringMatching(/the guest runs on the source, unchanged$/) });
    const [vm] = await s.ca.list();
    expect(vm).toMatchObject({ name: 'vm', state: 'running', reason: expect.stringMatching(new RegExp(`^migration to ${s.relay.address} aborted: `)) });
    expect(await finishPages(s.ca, 'vm')).toBe(reference);
  });

  test('the connection dropped during pre-copy: the destination discards its copy', async () => {
    const s = await scene();
    const m = migrate(s, '--strategy', 'pre-copy');
    await inPhase(m, 'pre-copy');
    expect(await states(s.cb)).toEqual({ vm: 'incoming' });
    s.relay.cut();
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(resultOf(r).kind).toBe('aborted');
    await waitFor('the destination to discard its copy', async () => Object.keys(await states(s.cb)).length === 0);
    expect(await states(s.ca)).toEqual({ vm: 'running' });
    expect(await finishPages(s.ca, 'vm')).toBe(reference);
  });

  test('Ctrl-C on migrate cancels: exit 130, the guest keeps running on the source', async () => {
    const s = await scene();
    const m = migrate(s, '--strategy', 'pre-copy');
    await inPhase(m, 'pre-copy');
    m.proc.kill('SIGINT');
    const r = await m.done;
    expect(r.status).toBe(130);
    expect(resultOf(r)).toMatchObject({ kind: 'aborted', reason: expect.stringMatching(/^cancelled: Ctrl-C on typevisor migrate/) });
    await waitFor('the destination to discard its copy', async () => Object.keys(await states(s.cb)).length === 0);
    expect(await states(s.ca)).toEqual({ vm: 'running' });
    expect(await finishPages(s.ca, 'vm')).toBe(reference);
  });

  test('the destination already dead: a clear error, nothing moved', async () => {
    const s = await scene();
    await s.b.kill('SIGKILL');
    const r = await cli(['migrate', 'vm', '--connect', s.a.address, '--to', s.b.address]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: no daemon is listening at ${s.b.address} (start one with: typevisor serve --listen ${s.b.address})\n`);
    expect(await states(s.ca)).toEqual({ vm: 'running' });
  });
});

describe('after switchover (post-copy), nothing runs twice and nothing is silently lost', () => {
  test('the link breaks: both sides pause; --recover reconnects and finishes', async () => {
    const s = await scene();
    const m = migrate(s, '--strategy', 'post-copy');
    await inPhase(m, 'post-copy');
    s.relay.cut();
    const r = await m.done;
    expect(r.status).toBe(75);
    expect(resultOf(r).kind).toBe('interrupted');
    await waitFor('both sides paused', async () => (await states(s.cb))['vm'] === 'paused');
    const [onA] = await s.ca.list();
    expect(onA).toMatchObject({ state: 'paused', reason: `post-copy link to ${s.relay.address} lost; finish with: typevisor migrate vm --recover --to ${s.relay.address} --connect ${s.a.address}` });
    const text = await cli(['vm', 'list', '--connect', s.b.address]);
    expect(text.stdout).toMatch(/\nvm +paused .*post-copy link to .* lost; waiting for the source to reconnect/);

    const again = await cli(['migrate', 'vm', '--connect', s.a.address, '--to', s.relay.address, '--recover']);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^reconnecting to .*\n.* took the migration back up\n/);
    expect(again.stdout).toContain(`migrated vm to ${s.relay.address}`);
    expect(await states(s.ca)).toEqual({});
    expect(await states(s.cb)).toEqual({ vm: 'running' });
    expect(await finishPages(s.cb, 'vm')).toBe(reference);
  });

  test('the source daemon killed during post-copy: migrate finds it gone and reports the guest lost, and so does vm list on the destination', async () => {
    const s = await scene();
    const m = migrate(s, '--strategy', 'post-copy');
    await inPhase(m, 'post-copy');
    await s.a.kill('SIGKILL');
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`{"kind":"status","message":"lost contact with the source daemon ${s.a.address} during post-copy"}`);
    expect(resultOf(r)).toEqual({ kind: 'lost', reason: expect.stringMatching(/^the source is gone with \d+ of the guest's 512 pages: the guest is lost$/) });
    const [vm] = await s.cb.list();
    expect(vm).toMatchObject({ name: 'vm', state: 'lost', reason: expect.stringMatching(/^the source is gone with \d+ of the guest's 512 pages/) });
    expect(vm!.instructions).toBeGreaterThan(0);
    const text = await cli(['vm', 'list', '--connect', s.b.address]);
    expect(text.stdout).toMatch(/\nvm +lost /);
    // Asking again says the same.
    const again = await cli(['migrate', 'vm', '--connect', s.a.address, '--to', s.b.address, '--recover']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^LOST: vm cannot be completed anywhere: the source is gone with \d+ of the guest's 512 pages: the guest is lost\n$/);
  });

  test('the destination daemon killed after switchover: the source pauses, and --recover reports the guest lost', async () => {
    const s = await scene();
    const m = migrate(s, '--strategy', 'post-copy');
    await inPhase(m, 'post-copy');
    await s.b.kill('SIGKILL');
    await s.relay.close(); // nothing listens where the destination was
    const r = await m.done;
    expect(r.status).toBe(75);
    expect(await states(s.ca)).toEqual({ vm: 'paused' });
    const again = await cli(['migrate', 'vm', '--connect', s.a.address, '--to', s.relay.address, '--recover']);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`LOST: vm cannot be completed anywhere: the guest is lost: the destination daemon ${s.relay.address} is gone (after the switchover neither side has all of it)\n`);
    expect(await s.ca.list()).toEqual([expect.objectContaining({ name: 'vm', state: 'lost' })]);
  });
});

describe('the goodbye lost: the guest completed on the destination, but COMPLETE never reached the source', () => {
  test.each(['hybrid', 'pre-copy', 'stop-and-copy', 'post-copy'])('%s: --recover learns that it completed; nothing is reported lost, the console is whole', async (strategy) => {
    const s = await scene();
    s.relay.cutBackInside = { frameType: 10 /* COMPLETE */, keep: 7 };
    const m = migrate(s, '--strategy', strategy, '--bandwidth', '2M');
    const r = await m.done;
    expect(s.relay.struck).toBe(true);
    expect(r.status).toBe(75);
    const interrupted = resultOf(r);
    expect(interrupted.kind).toBe('interrupted');
    // What the source says must be true of a guest whose every page reached the destination.
    expect(interrupted.reason).not.toMatch(/both sides paused/);
    expect(interrupted.reason).toMatch(/the guest is the destination's \(it has every page\)/);
    // The destination runs it: it had every page and the state before the goodbye.
    await waitFor('the guest running on the destination', async () => (await states(s.cb))['vm'] === 'running');

    const again = await cli(['migrate', 'vm', '--connect', s.a.address, '--to', s.relay.address, '--recover']);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`migrated vm to ${s.relay.address}`);
    expect(await states(s.ca)).toEqual({});
    expect(await states(s.cb)).toEqual({ vm: 'running' });
    // The source's console history came along with the recovery: the console there is whole.
    expect(await finishPages(s.cb, 'vm')).toBe(reference);
  });
});
