/**
 * A daemon in this process (startService on 127.0.0.1, a free port) and the
 * typed client: who gets in, and what each VM operation does.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAddress } from '../../../hypervisor/control/address.js';
import { ControlClient } from '../../../hypervisor/control/client.js';
import { ControlError } from '../../../hypervisor/control/control-error.js';
import { startService, type Service } from '../../../hypervisor/control/service.js';
import { daemonHosts } from '../../../cli/control/hosts.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { fixtureImage, waitFor } from './daemons.js';

const TOKEN = 'in-process-token';
let service: Service;
let client: ControlClient;

const image = fixtureImage;

const connectWith = (token: string): Promise<ControlClient> => ControlClient.connect({ address: parseAddress(service.address), token });

/** What a raw socket gets back for the lines it sends (the daemon closes it after a refusal). */
function raw(lines: string): Promise<string> {
  return new Promise((resolve) => {
    const a = parseAddress(service.address);
    const s = connect(a.port, a.host);
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => {});
    s.write(lines);
    setTimeout(() => s.destroy(), 3000);
  });
}

beforeAll(async () => {
  service = await startService({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, hosts: daemonHosts({ capacity: 32 * 1024 * 1024, workerUrl: new URL('../../../dist/hypervisor/hosted/vcpu-worker.js', import.meta.url) }) });
  client = await connectWith(TOKEN);
});

afterAll(async () => {
  client?.close();
  await service?.close();
});

describe('every connection presents the token', () => {
  test('the right token is welcomed with the daemon\'s details', async () => {
    expect(client.daemon.listen).toBe(service.address);
    expect(client.daemon.pid).toBe(process.pid);
    expect(await client.list()).toEqual([]);
  });

  test('a wrong token is refused with a reason, and the connection closed', async () => {
    const e = await connectWith('guess').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ControlError);
    expect((e as ControlError).code).toBe('refused');
    expect((e as ControlError).message).toMatch(/refused the connection: wrong token/);
  });

  test('anything but a hello first is refused before any request runs', async () => {
    const got = await raw('{"type":"request","id":1,"op":"vm.list","params":{}}\n');
    expect(JSON.parse(got.trim())).toEqual({ type: 'refused', code: 'bad-hello', reason: 'the first message must be a hello with the token' });
  });

  test('a client speaking another protocol version is told which one this is', async () => {
    const got = await raw(`{"type":"hello","version":99,"token":"${TOKEN}"}\n`);
    expect(JSON.parse(got.trim())).toMatchObject({ type: 'refused', code: 'bad-version' });
  });

  test('a malformed request gets an error response; the connection stays usable', async () => {
    const c = await connectWith(TOKEN);
    try {
      const e = await c.request('vm.stop', { name: '' }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^vm.stop: name must be/) });
      expect(await c.list()).toEqual([]);
    } finally {
      c.close();
    }
  });
});

describe('VMs on the daemon', () => {
  test('start, list, stats, console history, stop', async () => {
    const info = await client.start({ kernel: 'pages.s', image: image('control/pages.s'), memSize: 2 * 1024 * 1024, share: 1 });
    expect(info).toMatchObject({ name: 'vm1', state: 'running', kernel: 'pages.s', memSize: 2 * 1024 * 1024 });
    let out = '';
    const follow = client.console('vm1', true, (b) => (out += Buffer.from(b).toString()));
    await waitFor('pass 3', () => out.includes('pass 3 '));
    const stats = await client.stats('vm1');
    expect(stats.instructions).toBeGreaterThan(0);
    expect(stats.consoleBytes).toBeGreaterThan(0);
    expect(stats.counts.mmio).toBeGreaterThan(0);
    expect((await client.list()).map((v) => v.name)).toEqual(['vm1']);
    const stopped = await client.stop('vm1');
    expect(stopped.name).toBe('vm1');
    expect(await follow.result).toEqual({ reason: 'stopped' });
    expect(out).toMatch(/^pass 1 sum \d+\npass 2 sum \d+\npass 3 /);
    expect(await client.list()).toEqual([]);
  });

  test('console input reaches the guest; the console ends when the guest powers off', async () => {
    await client.start({ name: 'echo', kernel: 'echo.s', image: image('control/echo.s'), memSize: 1024 * 1024, share: 1 });
    let out = '';
    const follow = client.console('echo', true, (b) => (out += Buffer.from(b).toString()));
    await client.input('echo', new TextEncoder().encode('abc q'));
    expect(await follow.result).toEqual({ reason: 'powered off, status 0' });
    expect(out).toBe('echo ready\nABC bye\n');
    const [vm] = await client.list();
    expect(vm).toMatchObject({ name: 'echo', state: 'off', status: 0, reason: 'powered off, status 0' });
    await client.stop('echo');
  });

  test('pause stops the guest between instructions; resume goes on', async () => {
    await client.start({ name: 'p', kernel: 'pages.s', image: image('control/pages.s'), memSize: 2 * 1024 * 1024, share: 1 });
    const paused = await client.pause('p');
    expect(paused.state).toBe('paused');
    const a = (await client.stats('p')).instructions;
    // Paused, shown by events: another VM on the same monitor makes progress meanwhile, this one none.
    await client.start({ name: 'witness', kernel: 'pages.s', image: image('control/pages.s'), memSize: 2 * 1024 * 1024, share: 1 });
    await waitFor('the witness to run a million instructions', async () => (await client.stats('witness')).instructions > 1_000_000);
    expect((await client.stats('p')).instructions).toBe(a);
    await client.stop('witness');
    expect((await client.resume('p')).state).toBe('running');
    await waitFor('progress after resume', async () => (await client.stats('p')).instructions > a);
    await client.stop('p');
  });

  test('errors say what is wrong: unknown VM, name taken, bad image, no room', async () => {
    await expect(client.stop('ghost')).rejects.toMatchObject({ code: 'no-such-vm', message: expect.stringMatching(/^no VM named ghost on this daemon/) });
    await client.start({ name: 'x', kernel: 'echo.s', image: image('control/echo.s'), memSize: 1024 * 1024, share: 1 });
    await expect(client.start({ name: 'x', kernel: 'echo.s', image: image('control/echo.s'), memSize: 1024 * 1024, share: 1 })).rejects.toMatchObject({ code: 'name-taken' });
    await expect(client.start({ name: 'y', kernel: 'junk.img', image: Buffer.from('not an image').toString('base64'), memSize: 1024 * 1024, share: 1 })).rejects.toMatchObject({ code: 'bad-image', message: expect.stringMatching(/^junk.img: /) });
    await expect(client.start({ name: 'z', kernel: 'echo.s', image: image('control/echo.s'), memSize: 64 * 1024 * 1024, share: 1 })).rejects.toMatchObject({ code: 'no-room', message: expect.stringMatching(/no room/) });
    await client.stop('x');
  });

  test('a token holder cannot freeze the daemon: share and memory are checked here, and a busy VM leaves room to answer', async () => {
    const spin = image('monitor/spinner.s');
    await expect(client.start({ name: 'hog', kernel: 'spinner.s', image: spin, memSize: 2 ** 40, share: 1 })).rejects.toMatchObject({
      code: 'bad-request',
      message: expect.stringMatching(/^vm.start: memSize must be /),
    });
    await expect(client.start({ name: 'hog', kernel: 'spinner.s', image: spin, memSize: 1024 * 1024, share: 1e9 })).rejects.toMatchObject({
      code: 'bad-request',
      message: 'vm.start: share must be a whole number from 1 to 1000',
    });
    expect(await client.list()).toEqual([]);
    // The largest share there is, on a guest that never waits: the daemon still answers, again and again.
    await client.start({ name: 'hog', kernel: 'spinner.s', image: spin, memSize: 1024 * 1024, share: 1000 });
    try {
      for (let i = 0; i < 5; i++) expect((await client.list()).map((v) => [v.name, v.state])).toEqual([['hog', 'running']]);
      await waitFor('the hog to run', async () => (await client.stats('hog')).instructions > 0);
    } finally {
      await client.stop('hog');
    }
  });
});

describe('before its hello, a connection costs the daemon little', () => {
  let guarded: Service;
  let inside: ControlClient;
  const HELLO_MS = 3000;

  interface Hostile {
    readonly socket: Socket;
    got: string;
    closed: boolean;
  }

  /** A connection that sends `junk` (no newline: a hello begun, never finished) and then says nothing more. */
  function hostile(junk: string): Promise<Hostile> {
    return new Promise((resolve) => {
      const a = parseAddress(guarded.address);
      const h: Hostile = { socket: connect(a.port, a.host), got: '', closed: false };
      h.socket.on('data', (b) => (h.got += b.toString()));
      h.socket.on('close', () => (h.closed = true));
      h.socket.on('error', () => {});
      h.socket.on('connect', () => h.socket.write(junk, () => resolve(h)));
    });
  }

  const refusal = (h: Hostile): unknown => JSON.parse(h.got.trim());

  beforeAll(async () => {
    guarded = await startService({ listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, hosts: { native: new NativeMonitor([], { capacity: 8 * 1024 * 1024 }) }, helloTimeoutMs: HELLO_MS });
    inside = await ControlClient.connect({ address: parseAddress(guarded.address), token: TOKEN });
  });

  afterAll(async () => {
    inside?.close();
    await guarded?.close();
  });

  test('at most 16 wait to say hello at once; the next are refused as busy; a client already in is served throughout', async () => {
    const waiting: Hostile[] = [];
    try {
      for (let i = 0; i < 20; i++) waiting.push(await hostile('{' + 'x'.repeat(999)));
      await waitFor('the connections past the cap to be refused', () => waiting.filter((h) => h.closed).length >= 4);
      const [held, refused] = [waiting.slice(0, 16), waiting.slice(16)];
      for (const h of refused) expect(refusal(h)).toEqual({ type: 'refused', code: 'busy', reason: 'too many connections waiting to say hello (16); try again' });
      expect(held.map((h) => [h.got, h.closed])).toEqual(held.map(() => ['', false]));
      expect(await inside.list()).toEqual([]);
      const late = await ControlClient.connect({ address: parseAddress(guarded.address), token: TOKEN }).catch((x: unknown) => x);
      expect(late).toMatchObject({ code: 'refused', message: expect.stringMatching(/too many connections waiting to say hello/) });
    } finally {
      for (const h of waiting) h.socket.destroy();
    }
    // Their places are given back as they close.
    let again: ControlClient | undefined;
    await waitFor('a new client to be let in', async () => (again = await ControlClient.connect({ address: parseAddress(guarded.address), token: TOKEN }).catch(() => undefined)) !== undefined);
    expect(await again!.list()).toEqual([]);
    again!.close();
  });

  test('more than 4 KiB before a hello is refused with a reason, and the connection closed', async () => {
    const noNewline = await hostile('{' + 'x'.repeat(8 * 1024));
    await waitFor('the connection to close', () => noNewline.closed);
    expect(refusal(noNewline)).toEqual({ type: 'refused', code: 'bad-hello', reason: 'more than 4096 bytes before a hello' });
    // A hello padded past the limit is refused the same way, even with the right token.
    const padded = await hostile(JSON.stringify({ type: 'hello', version: 1, token: TOKEN, client: 'p'.repeat(8 * 1024) }) + '\n');
    await waitFor('the connection to close', () => padded.closed);
    expect(refusal(padded)).toEqual({ type: 'refused', code: 'bad-hello', reason: 'more than 4096 bytes before a hello' });
    expect(await inside.list()).toEqual([]);
  });

  test('a connection that does not finish its hello in time is refused and closed', async () => {
    const slow = await hostile('{"type":"hel');
    await waitFor('the connection to close', () => slow.closed, 10 * HELLO_MS);
    expect(refusal(slow)).toEqual({ type: 'refused', code: 'bad-hello', reason: `no hello within ${HELLO_MS} ms` });
  });
});
