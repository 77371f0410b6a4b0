/**
 * Hosted VMs on a daemon: the control plane (startService, the typed client)
 * over a HostedHost, unchanged — it only knows core's VmHost. Start, console,
 * stats, pause and resume, stop; and a `migrate` between two daemons that
 * lands the guest on the destination's hosted monitor and brings it back.
 *
 * The vCPU threads run from dist/ (build first). No timing thresholds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAddress } from '../../../hypervisor/control/address.js';
import { ControlClient } from '../../../hypervisor/control/client.js';
import { startService, type Service } from '../../../hypervisor/control/service.js';
import { HostedHost } from '../../../hypervisor/hosted/host.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { fixtureImage, waitFor } from '../control/daemons.js';

const TOKEN = 'hosted-daemon-token';
const WORKER = new URL('../../../dist/hypervisor/hosted/vcpu-worker.js', import.meta.url);
const CAPACITY = 32 * 1024 * 1024;
const MEM = 2 * 1024 * 1024;

let a: Service;
let b: Service;
let ca: ControlClient;
let cb: ControlClient;

const daemon = (): Promise<Service> =>
  startService({
    listen: { host: '127.0.0.1', port: 0 },
    token: TOKEN,
    hosts: { native: new NativeMonitor([], { capacity: CAPACITY }), hosted: new HostedHost({ capacity: CAPACITY, workerUrl: WORKER }) },
  });

const client = (s: Service): Promise<ControlClient> => ControlClient.connect({ address: parseAddress(s.address), token: TOKEN });

beforeAll(async () => {
  [a, b] = await Promise.all([daemon(), daemon()]);
  [ca, cb] = await Promise.all([client(a), client(b)]);
});

afterAll(async () => {
  ca?.close();
  cb?.close();
  await Promise.all([a?.close(), b?.close()]);
});

describe('a daemon hosting hosted VMs', () => {
  test('start, console, stats, pause, resume, stop', async () => {
    const info = await ca.start({ name: 'h', kernel: 'pages.s', image: fixtureImage('control/pages.s'), memSize: MEM, share: 1, monitor: 'hosted' });
    expect(info).toMatchObject({ name: 'h', monitor: 'hosted', state: 'running' });
    let out = '';
    const follow = ca.console('h', true, (bytes) => (out += Buffer.from(bytes).toString()));
    await waitFor('pass 2', () => out.includes('pass 2 '));
    await waitFor('stats from the vCPU', async () => (await ca.stats('h')).counts.mmio > 0);
    const paused = await ca.pause('h');
    expect(paused.state).toBe('paused');
    const at = (await ca.stats('h')).instructions;
    expect(at).toBeGreaterThan(0);
    // Paused, shown by events rather than by waiting a while: another hosted VM makes a million
    // instructions of progress meanwhile, and this one none.
    await ca.start({ name: 'witness', kernel: 'pages.s', image: fixtureImage('control/pages.s'), memSize: MEM, share: 1, monitor: 'hosted' });
    await waitFor('the witness to run a million instructions', async () => (await ca.stats('witness')).instructions > 1_000_000);
    expect((await ca.stats('h')).instructions).toBe(at);
    await ca.stop('witness');
    expect((await ca.resume('h')).state).toBe('running');
    await waitFor('progress after resume', async () => (await ca.stats('h')).instructions > at);
    await ca.stop('h');
    expect(await follow.result).toEqual({ reason: 'stopped' });
    expect(out).toMatch(/^pass 1 sum \d+\npass 2 sum \d+\n/);
    expect(await ca.list()).toEqual([]);
  }, 60_000);

  test('console input reaches a hosted guest waiting for it; its end reaches the daemon', async () => {
    await ca.start({ name: 'echo', kernel: 'echo.s', image: fixtureImage('control/echo.s'), memSize: MEM, share: 1, monitor: 'hosted' });
    let out = '';
    const follow = ca.console('echo', true, (bytes) => (out += Buffer.from(bytes).toString()));
    await waitFor('the guest to be ready', () => out.includes('echo ready\n'));
    // Idle in wfi with no timer and nothing typed yet: waiting, not stuck (a console may attach later).
    let last = -1;
    await waitFor('the guest to idle', async () => {
      const now = (await ca.stats('echo')).instructions;
      const idle = now === last;
      last = now;
      return idle;
    });
    expect((await ca.list()).find((v) => v.name === 'echo')).toMatchObject({ state: 'running' });
    await ca.input('echo', new TextEncoder().encode('abc q'));
    expect(await follow.result).toEqual({ reason: 'powered off, status 0' });
    expect(out).toBe('echo ready\nABC bye\n');
    expect((await ca.list()).find((v) => v.name === 'echo')).toMatchObject({ state: 'off', status: 0, monitor: 'hosted' });
    await ca.stop('echo');
  }, 60_000);

  test('migrate native → hosted on another daemon and back: every pass comes next, with the sum an unmoved run prints', async () => {
    await ca.start({ name: 'm', kernel: 'pages.s', image: fixtureImage('control/pages.s'), memSize: MEM, share: 1 });
    let text = '';
    const follow = (c: ControlClient) => c.console('m', true, (bytes) => (text += Buffer.from(bytes).toString()));
    const lines = () => text.match(/pass \d+ sum \d+\n/g) ?? [];
    // The highest pass printed so far: a console attached after a move replays the history
    // it came with, so lines are counted by their pass number, not one by one.
    const last = () => Math.max(0, ...lines().map((l) => Number(/pass (\d+)/.exec(l)![1])));
    const followA = follow(ca);
    await waitFor('pass 2 on A', () => last() >= 2);
    const there = await ca.migrate({ name: 'm', to: b.address, toToken: TOKEN, strategy: 'pre-copy', monitor: 'hosted' }, () => undefined).result;
    expect(there.kind).toBe('completed');
    await followA.result;
    expect((await cb.list()).find((v) => v.name === 'm')).toMatchObject({ monitor: 'hosted', state: 'running' });
    const followB = follow(cb);
    const onA = last();
    await waitFor('two more passes on B', () => last() >= onA + 2);
    const back = await cb.migrate({ name: 'm', to: a.address, toToken: TOKEN, strategy: 'post-copy', monitor: 'native' }, () => undefined).result;
    expect(back.kind).toBe('completed');
    await followB.result;
    expect((await ca.list()).find((v) => v.name === 'm')).toMatchObject({ monitor: 'native' });
    const followA2 = follow(ca);
    const onB = last();
    await waitFor('a pass after coming back', () => last() >= onB + 1);
    await ca.stop('m');
    await followA2.result;
    // Each pass adds pass + page to one word of each of 96 pages, then prints their sum.
    const seen = new Map<number, number>();
    for (const line of lines()) {
      const [, k, sum] = /pass (\d+) sum (\d+)/.exec(line)!.map(Number) as [number, number, number];
      expect(sum, line).toBe((96 * k * (k + 1)) / 2 + k * ((95 * 96) / 2));
      seen.set(k, sum);
    }
    expect([...seen.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: seen.size }, (_, i) => i + 1));
    expect(seen.size).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
