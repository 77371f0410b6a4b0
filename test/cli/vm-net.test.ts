/**
 * A daemon VM's network across a migration, through the real CLI between two
 * `typevisor serve` processes on 127.0.0.1: the echo workload
 * (guests/workloads/echo.s) serves a client that keeps sending while the VM
 * moves, by every strategy and on both monitors. Every byte must come back
 * exactly once, in order; an attached `vm console` must show the guest's
 * whole output — from before and after the move — once; a failed migration
 * must leave the connection working on the source.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanup, cli, spawnDaemon, startCli, waitFor, type Daemon } from '../hypervisor/control/daemons.js';

const ECHO = 'guests/workloads/echo.s';

let a: Daemon;
let b: Daemon;

beforeAll(async () => {
  [a, b] = await Promise.all([spawnDaemon(), spawnDaemon()]);
});

afterAll(async () => {
  await cleanup();
});

/** Start the echo service on `d`, listening on a free port; its address. */
async function startEcho(d: Daemon, name: string, monitor: string, mem = '4M'): Promise<string> {
  const r = await cli(['vm', 'start', ECHO, '--name', name, '--mem', mem, '--monitor', monitor, '--net-listen', '127.0.0.1:0', '--connect', d.address]);
  expect(r.stderr).toBe('');
  const m = /net: listening on (127\.0\.0\.1:\d+)/.exec(r.stdout);
  expect(m).not.toBeNull();
  return m![1]!;
}

/** A client of the echo service: what it sent and what came back. */
class EchoClient {
  sent = Buffer.alloc(0);
  received = Buffer.alloc(0);
  closed = false;
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static open(address: string): Promise<EchoClient> {
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new EchoClient(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.sent = Buffer.concat([this.sent, bytes]);
    this.socket.write(bytes);
  }

  /** Wait until everything sent has come back. */
  async drained(): Promise<void> {
    await waitFor(`${this.sent.length} bytes echoed (${this.received.length} so far)`, () => this.received.length >= this.sent.length, 30_000);
  }

  end(): void {
    this.socket.end();
  }
}

/** Lines of printable text in pieces of random size: what the client sends while the VM moves. */
function traffic(seed: number, pieces: number): Buffer[] {
  const piece = fc.string({ unit: fc.constantFrom(...'abcdefghij0123456789 \n'), minLength: 1, maxLength: 40 });
  return fc.sample(piece, { seed, numRuns: pieces }).map((s) => Buffer.from(s));
}

/** Keep sending `pieces` (a few ms apart) until stopped; resolves with how many went. */
function keepSending(client: EchoClient, pieces: Buffer[]): { stop(): Promise<void> } {
  let i = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped && i < pieces.length) {
      client.send(pieces[i++]!);
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** What the echo service prints for a connection that carried `bytes` and then closed. */
function expectedConsole(bytes: Buffer, firstLine = 1): string {
  let out = '';
  let line = firstLine;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) out += `line ${line++}: ${i + 1} bytes\n`;
  return `${out}closed after ${bytes.length} bytes\n`;
}

const CASES: readonly (readonly [string, string])[] = [
  ['stop-and-copy', 'native'],
  ['pre-copy', 'hosted'],
  ['post-copy', 'native'],
  ['hybrid', 'hosted'],
];

describe('a connection open at the move survives it: every byte echoed once, in order; the console follows the VM', () => {
  test.each(CASES)('%s, %s monitor', async (strategy, monitor) => {
    const name = `echo-${strategy}-${monitor}`;
    const address = await startEcho(a, name, monitor);
    const console = startCli(['vm', 'console', name, '--connect', a.address, '--no-input'], { timeoutMs: 80_000 });
    // Attached to the source before anything moves (a CLI takes a while to start on a busy machine).
    await waitFor('the console to attach', () => console.stdout().startsWith('echo: ready\n'), 30_000);
    const client = await EchoClient.open(address);
    const sender = keepSending(client, traffic(strategy.length * 31 + monitor.length, 4000));
    await waitFor('some bytes echoed before the move', () => client.received.length > 200);

    const r = await cli(['migrate', name, '--connect', a.address, '--to', b.address, '--strategy', strategy]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`\n  connections relayed    1\n    forwarded from       ${address}\n`);
    const atMove = client.sent.length;
    // Bytes after the move go through the source's relay to the guest on the destination.
    await waitFor('bytes sent after the move', () => client.sent.length > atMove + 500);
    await sender.stop();
    await client.drained();
    expect(client.received.equals(client.sent)).toBe(true);
    client.end();

    // The console, attached to the source, followed the VM and shows its whole output once.
    const want = `echo: ready\n${expectedConsole(client.sent)}`;
    // On a timeout, what it did show is compared below (the difference is the diagnosis).
    await waitFor('the console to show the end of the connection', () => console.stdout().length >= want.length, 30_000).catch(() => undefined);
    console.proc.kill('SIGTERM');
    const seen = await console.done;
    expect(seen.stdout).toBe(want);
    expect(seen.stderr).toContain(`[${name}: migrated to ${b.address}; following it there]`);

    const stats = await cli(['vm', 'stats', name, '--connect', b.address]);
    expect(stats.stdout).toMatch(/ {2}net {15}listening on 127\.0\.0\.1:\d+: 1 connection, 0 refused; [1-9]\d* bytes in/);
    await cli(['vm', 'stop', name, '--connect', b.address]);
  }, 90_000);
});

describe('after the move', () => {
  test('the old address forwards new peers, the new one takes them too, and the source answers with where the VM went', async () => {
    const name = 'echo-after';
    const old = await startEcho(a, name, 'native');
    const r = await cli(['migrate', name, '--connect', a.address, '--to', b.address, '--net-listen', '127.0.0.1:0']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ {2}connections relayed +0\n/);

    // A peer that knows only the old address reaches the guest through the source.
    const first = await EchoClient.open(old);
    first.send(Buffer.from('via the old address\n'));
    await first.drained();
    expect(first.received.toString()).toBe('via the old address\n');
    first.end();
    await waitFor('the first peer to be gone', () => first.closed);

    // The destination listens on an address of its own too.
    const stats = await cli(['vm', 'stats', name, '--connect', b.address]);
    const fresh = /listening on (127\.0\.0\.1:\d+)/.exec(stats.stdout)![1]!;
    await waitFor('the relayed peer to be gone at the destination', async () => !(await cli(['vm', 'stats', name, '--connect', b.address])).stdout.includes('(1 open)'));
    const second = await EchoClient.open(fresh);
    second.send(Buffer.from('direct\n'));
    await second.drained();
    expect(second.received.toString()).toBe('direct\n');
    second.end();

    // The daemon it left says where it went, and --follow asks there.
    const moved = await cli(['vm', 'stats', name, '--connect', a.address]);
    expect(moved.status).toBe(1);
    expect(moved.stderr).toMatch(new RegExp(`^error: ${name} migrated to ${b.address.replace(/\./g, '\\.')} \\d+ s ago \\(ask there: --connect ${b.address.replace(/\./g, '\\.')}, or add --follow\\)\n$`));
    const followed = await cli(['vm', 'stats', name, '--connect', a.address, '--follow']);
    expect(followed.status).toBe(0);
    expect(followed.stdout).toContain(`[${name}] running`);
    const stopped = await cli(['vm', 'stop', name, '--connect', a.address, '--follow']);
    expect(stopped.status).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`^stopped ${name} after \\d+ instructions\n$`));
  }, 90_000);
});

describe('a VM that moves on (A → B → C)', () => {
  test('its connection is relayed along the chain, and the first address still reaches it', async () => {
    const c = await spawnDaemon();
    const name = 'echo-chain';
    const address = await startEcho(a, name, 'hosted');
    const client = await EchoClient.open(address);
    const sender = keepSending(client, traffic(99, 4000));
    await waitFor('some bytes echoed', () => client.received.length > 200);
    expect((await cli(['migrate', name, '--connect', a.address, '--to', b.address])).status).toBe(0);
    const atFirst = client.sent.length;
    await waitFor('bytes after the first move', () => client.sent.length > atFirst + 300);
    const second = await cli(['migrate', name, '--connect', b.address, '--to', c.address, '--strategy', 'post-copy', '--monitor', 'native']);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('\n  connections relayed    1\n');
    const atSecond = client.sent.length;
    await waitFor('bytes after the second move', () => client.sent.length > atSecond + 300);
    await sender.stop();
    await client.drained();
    expect(client.received.equals(client.sent)).toBe(true);
    client.end();
    await waitFor('the peer to be gone at the end of the chain', async () => !(await cli(['vm', 'stats', name, '--connect', c.address])).stdout.includes('(1 open)'));
    const late = await EchoClient.open(address);
    late.send(Buffer.from('through two home agents\n'));
    await late.drained();
    expect(late.received.toString()).toBe('through two home agents\n');
    late.end();
    const followed = await cli(['vm', 'stats', name, '--connect', a.address, '--follow']);
    const esc = (t: string): string => t.replace(/[.[\]]/g, '\\$&');
    expect(followed.stderr).toMatch(new RegExp(`^${esc(`[${name} migrated to ${b.address}`)} \\d+ s ago: following it there\\]\n${esc(`[${name} migrated to ${c.address}`)} \\d+ s ago: following it there\\]\n$`));
    expect(followed.stdout).toContain(`[${name}] running — migrated here from ${b.address}`);
    await c.kill();
  }, 90_000);
});

describe('a guest that connected out (--net-connect)', () => {
  test('its one connection is relayed after the move: the destination does not dial again', async () => {
    const accepted: Socket[] = [];
    const server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const name = 'echo-out';
    const r = await cli(['vm', 'start', ECHO, '--name', name, '--mem', '4M', '--net-connect', `127.0.0.1:${port}`, '--connect', a.address]);
    expect(r.status).toBe(0);
    await waitFor('the guest to connect', () => accepted.length === 1);
    const peer = accepted[0]!;
    let back = '';
    peer.on('data', (d: Buffer) => (back += d.toString()));
    peer.write('before\n');
    await waitFor('the echo before', () => back === 'before\n');
    const m = await cli(['migrate', name, '--connect', a.address, '--to', b.address, '--strategy', 'post-copy']);
    expect(m.status).toBe(0);
    expect(m.stdout).toContain('\n  connections relayed    1\n    forwarded from       —\n');
    peer.write('after\n');
    await waitFor('the echo after', () => back === 'before\nafter\n');
    expect(accepted.length).toBe(1);
    peer.destroy();
    server.close();
    await cli(['vm', 'stop', name, '--connect', b.address]);
  }, 60_000);
});

describe('a failed migration', () => {
  test('the destination killed during pre-copy: the guest stays on the source with its connection, no byte lost or repeated', async () => {
    const c = await spawnDaemon();
    const name = 'echo-stays';
    // A guest of 16 MiB of data on a slow link: pre-copy is still sending when the destination dies.
    const address = await startEcho(a, name, 'hosted', '16M');
    const client = await EchoClient.open(address);
    const sender = keepSending(client, traffic(7, 4000));
    await waitFor('some bytes echoed', () => client.received.length > 200);
    const mig = startCli(['migrate', name, '--connect', a.address, '--to', c.address, '--strategy', 'pre-copy', '--bandwidth', '300K'], { timeoutMs: 30_000 });
    await waitFor('pre-copy to be under way', () => mig.stdout().includes('phase pre-copy'));
    await c.kill('SIGKILL');
    const r = await mig.done;
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('aborted');
    const atAbort = client.sent.length;
    await waitFor('bytes sent after the abort', () => client.sent.length > atAbort + 300);
    await sender.stop();
    await client.drained();
    expect(client.received.equals(client.sent)).toBe(true);
    client.end();
    await cli(['vm', 'stop', name, '--connect', a.address]);
  }, 90_000);
});
