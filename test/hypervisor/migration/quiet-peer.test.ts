/**
 * The idle timeout of a TCP transport (a peer that goes quiet), and what the
 * engine makes of it on either side of the commit point: before STATE_ACK a
 * stalled source's copy is discarded (other tests: the daemons'); after it,
 * the destination cannot know whether GO left the source, so it keeps the
 * guest paused ('interrupted') for a recovery — which then finishes the
 * migration, the guest computing exactly what it computes unmigrated.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WallClock } from '../../../hypervisor/migration/clock.js';
import { IncomingMigration, type IncomingOutcome } from '../../../hypervisor/migration/incoming.js';
import { QuietPeerError } from '../../../hypervisor/migration/migration-error.js';
import { OutgoingMigration } from '../../../hypervisor/migration/outgoing.js';
import { connectTcp, TcpTransport } from '../../../hypervisor/migration/transports/tcp.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { baseline, image, MiB } from './helpers.js';
import { until } from '../../helpers/until.js';

const done: (() => void)[] = [];
afterEach(() => {
  for (const f of done.splice(0)) f();
});

/** Two sockets connected over 127.0.0.1. */
async function pair(): Promise<[Socket, Socket]> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const near = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => near.once('connect', r));
  const far = await accepted;
  done.push(() => {
    near.destroy();
    far.destroy();
    server.close();
  });
  return [near, far];
}

describe('TcpTransport idleMs', () => {
  test('a read that waits that long with nothing arriving fails, saying the peer went quiet, and drops the connection', async () => {
    const [near, far] = await pair();
    const t = new TcpTransport(near, undefined, { idleMs: 100 });
    const err = await t.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuietPeerError);
    expect((err as Error).message).toBe('the peer went quiet: nothing moved on the connection for 100 ms (idle timeout)');
    await until(() => far.destroyed || far.readableEnded, 'the far end to see the connection go');
    await expect(t.write(new Uint8Array(4))).rejects.toBeInstanceOf(QuietPeerError);
  });

  test('only waiting counts: bytes that arrived while nobody read are there afterwards, however long it was', async () => {
    const [near, far] = await pair();
    const t = new TcpTransport(near, undefined, { idleMs: 100 });
    far.write(Buffer.from('hello'));
    await new Promise((r) => setTimeout(r, 300));
    expect(Buffer.from((await t.read())!).toString()).toBe('hello');
  });

  test('a busy spell between two reads does not count against the next wait', async () => {
    const [near, far] = await pair();
    const t = new TcpTransport(near, undefined, { idleMs: 200 });
    far.write(Buffer.from('a'));
    expect(Buffer.from((await t.read())!).toString()).toBe('a'); // the watchdog is armed by this wait
    await new Promise((r) => setTimeout(r, 150)); // busy, not waiting
    setTimeout(() => far.write(Buffer.from('b')), 100); // the next wait lasts about 100 ms of the 200 allowed
    expect(Buffer.from((await t.read())!).toString()).toBe('b');
  });

  test('a peer that trickles a byte more often than the timeout is never dropped', async () => {
    const [near, far] = await pair();
    const t = new TcpTransport(near, undefined, { idleMs: 150 });
    const timer = setInterval(() => far.write(Buffer.from('.')), 40);
    done.push(() => clearInterval(timer));
    let got = 0;
    const end = Date.now() + 600;
    while (Date.now() < end) got += (await t.read())!.length;
    expect(got).toBeGreaterThan(3);
  });
});

describe('a source that goes quiet between STATE_ACK and GO', () => {
  test('the destination keeps the guest paused (interrupted), not discarded; the source recovers and it finishes whole', async () => {
    const IMG = () => image('writes', { WS_PAGES: 100, WRITES: 400_000, SPIN: 4, RANDOM: 1, PRINT_EVERY: 50_000 });
    const MEM = 2 * MiB;
    const ref = await baseline(IMG(), MEM);
    const clock = new WallClock();
    let out = '';
    const src = new NativeMonitor([], { capacity: MEM + 2 * MiB });
    const dst = new NativeMonitor([], { capacity: MEM + 2 * MiB });
    void src.serve();
    void dst.serve();
    const vm = src.addVm({ name: 'g', memSize: MEM, image: IMG(), output: (b) => (out += Buffer.from(b).toString()) });
    let inc: IncomingMigration | undefined;
    const outcomes: Promise<IncomingOutcome>[] = [];
    const sockets: Socket[] = [];
    const server = createServer((sock) => {
      sockets.push(sock);
      const transport = new TcpTransport(sock, undefined, { idleMs: 200 });
      if (!inc) {
        inc = new IncomingMigration({ host: dst, clock, output: (b) => (out += Buffer.from(b).toString()) });
        outcomes.push(inc.run(transport));
      } else outcomes.push(inc.recover(transport));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    done.push(() => {
      src.close();
      dst.close();
      server.close();
      for (const s of sockets) s.destroy();
    });
    const port = (server.address() as AddressInfo).port;
    await until(() => vm.cpu.instret > 100_000, 'the guest to get going');

    // The source stops dead after STATE_ACK: its commit decision never comes while the destination waits.
    let commit!: () => void;
    const decided = new Promise<void>((r) => (commit = r));
    const outgoing = new OutgoingMigration({ host: src, vm: 'g', strategy: 'stop-and-copy', clock, beforeCommit: () => decided });
    const first = outgoing.run(await connectTcp('127.0.0.1', port));

    const there = await outcomes[0]!;
    expect(there.kind).toBe('interrupted');
    expect((there as { reason: string }).reason).toMatch(/^the peer went quiet: nothing moved on the connection for 200 ms \(idle timeout\); the guest is paused here until the source reconnects$/);
    expect(dst.state('g')).toBe('paused');

    // The source comes back and commits: GO cannot reach the destination over the dropped link…
    commit();
    const here = await first;
    expect(here.kind).toBe('interrupted');
    expect(src.state('g')).toBe('paused');
    // …so it recovers on a new connection, and the guest finishes there as if it had never moved.
    const recovered = await outgoing.recover(await connectTcp('127.0.0.1', port));
    expect(recovered.kind, recovered.kind === 'completed' ? '' : recovered.reason).toBe('completed');
    expect((await outcomes[1]!).kind).toBe('completed');
    await until(() => dst.find('g') !== undefined && dst.state('g') === 'poweroff', 'the guest to power off on the destination');
    expect(out).toBe(ref.output);
  });
});
