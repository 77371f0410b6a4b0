/**
 * `typevisor migrate` says what happened when a migration aborts before its
 * commit point — the destination died, refused, went quiet, or the link
 * broke — and where the guest runs now, from what the source daemon found
 * when it asked the destination (never "discarded its copy" for a daemon
 * that was killed). Real daemons, the real CLI, 127.0.0.1.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../hypervisor/control/client.js';
import { LineReader, sendLine } from '../../hypervisor/control/lines.js';
import { encodeFrame, FrameReader, FrameType } from '../../hypervisor/migration/protocol.js';
import { cleanup, clientFor, Relay, spawnDaemon, startCli, startPages, states, waitFor, type CliCall, type Daemon } from '../hypervisor/control/daemons.js';

const SLOW = ['--bandwidth', '150K'];
const clients: ControlClient[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.close();
  await cleanup();
});

async function source(extra: string[] = []): Promise<{ a: Daemon; ca: ControlClient }> {
  const a = await spawnDaemon(extra);
  const ca = await clientFor(a);
  clients.push(ca);
  await startPages(ca, 'vm');
  return { a, ca };
}

function migrate(a: Daemon, to: string, ...args: string[]): CliCall {
  return startCli(['migrate', 'vm', '--connect', a.address, '--to', to, '--strategy', 'pre-copy', ...SLOW, ...args], { timeoutMs: 25_000 });
}

/** Wait until the destination lists the copy as arriving, its pages coming (pre-copy). */
const arriving = (cb: ControlClient): Promise<void> =>
  waitFor('the copy to arrive', async () => (await cb.list()).find((v) => v.name === 'vm')?.migration?.phase === 'pre-copy', 15_000);

/** The one line `migrate` ends with on stderr. */
const lastLine = (stderr: string): string => stderr.trim().split('\n').at(-1)!;

/** A source's VM migrating to a fresh daemon B through a relay (the cable a test pulls), its copy arriving there. */
async function midCopyThroughRelay() {
  const { a, ca } = await source();
  const b = await spawnDaemon();
  const cb = await keep(clientFor(b));
  const relay = await Relay.to(b.address);
  const m = migrate(a, relay.address);
  await arriving(cb);
  return { a, ca, cb, relay, m };
}


describe('an aborted migration says what became of the destination, and that the guest runs on the source', () => {
  test('the destination daemon killed (kill -9): it died, no copy is left there', async () => {
    const { a, ca } = await source();
    const b = await spawnDaemon();
    const m = migrate(a, b.address);
    const cb = await keep(clientFor(b));
    await arriving(cb);
    await b.kill('SIGKILL');
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(`aborted during pre-copy: vm is running on ${a.address}, unchanged; the destination daemon ${b.address} died (nothing listens there now): no copy is left there`);
    expect(r.stderr).not.toMatch(/discarded/);
    expect(await states(ca)).toEqual({ vm: 'running' });
  });

  test('the cable pulled and left out: the destination cannot be asked, and migrate says so; the copy there goes on its own', async () => {
    const { a, ca, cb, relay, m } = await midCopyThroughRelay();
    relay.refuse = true; // the cable stays out: the source cannot reach B again through it…
    relay.cut();
    const r = await m.done;
    expect(r.status).toBe(1);
    // …so the daemon it asks is the relay's address, where nothing answers now.
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^aborted during pre-copy: vm is running on ${a.address}, unchanged; the connection to ${relay.address} broke; ${relay.address} could not be asked what it holds \\(.*\\); a copy there never runs without this daemon's GO, and is dropped once it notices the link is gone$`));
    await waitFor('B to drop its copy', async () => !('vm' in (await states(cb))));
    expect(await states(ca)).toEqual({ vm: 'running' });
  });

  test('the link broke and came back: the destination is asked, and discarded its copy', async () => {
    const { a, ca, cb, relay, m } = await midCopyThroughRelay();
    relay.cut();
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(`aborted during pre-copy: vm is running on ${a.address}, unchanged; the connection to ${relay.address} broke; ${relay.address} discarded its copy`);
    expect(await states(cb)).toEqual({});
    expect(await states(ca)).toEqual({ vm: 'running' });
  });

  test('the destination refused a frame while the source was only writing (pre-copy): its ERROR is read, and said', async () => {
    const { a, ca } = await source();
    const refusing = await muteDestination({ refuseOnPages: true });
    const r = await migrate(a, refusing).done;
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(`aborted during pre-copy: vm is running on ${a.address}, unchanged; ${refusing} refused to go on; ${refusing} discarded its copy`);
    const [vm] = await ca.list();
    expect(vm).toMatchObject({ state: 'running', reason: expect.stringMatching(/the peer gave up: frame PAGES: header\.checksum mismatch/) });
  });

  test('a destination that accepts and then says nothing: the source gives up after its idle timeout instead of waiting for ever', async () => {
    const { a, ca } = await source(['--migration-idle-timeout', '500ms']);
    const mute = await muteDestination();
    const r = await migrate(a, mute).done;
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(`aborted during setup: vm is running on ${a.address}, unchanged; ${mute} went quiet (nothing from it for the idle timeout); ${mute} discarded its copy`);
    expect(await states(ca)).toEqual({ vm: 'running' });
    const [vm] = await ca.list();
    expect(vm!.reason).toMatch(/the peer went quiet: nothing moved on the connection for 500 ms \(idle timeout\)/);
  });
});

describe('a destination that never answers the migration request', () => {
  test('migrate gives up after the source daemon\'s idle timeout: one line, nothing moved, the guest runs on the source', async () => {
    const { a, ca } = await source(['--migration-idle-timeout', '500ms']);
    const mute = await muteDestination({ answerIncoming: false });
    const r = await migrate(a, mute).done;
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: the destination ${mute} did not answer the migration request within 0.5 s (serve --migration-idle-timeout): nothing was moved, vm runs here unchanged\n`);
    expect(await states(ca)).toEqual({ vm: 'running' });
  });
});

async function keep(c: Promise<ControlClient>): Promise<ControlClient> {
  const client = await c;
  clients.push(client);
  return client;
}

/**
 * A daemon that welcomes any hello, accepts a migration (or, with
 * answerIncoming false, never answers the request) and then never sends a
 * frame — or, with refuseOnPages, answers HELLO with WELCOME and the first
 * PAGES frame with an ERROR, and hangs up; asked for its VMs afterwards, it has none.
 */
async function muteDestination(o: { answerIncoming?: boolean; refuseOnPages?: boolean } = {}): Promise<string> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    const reader = new LineReader(
      socket,
      (line) => {
        const m = JSON.parse(line) as { type: string; id?: number; op?: string };
        if (m.type === 'hello') return void sendLine(socket, { type: 'welcome', daemon: { version: 1, pid: 1, listen: 'mute', startedAt: new Date(0).toISOString() } });
        if (m.op === 'migration.incoming') {
          if (o.answerIncoming === false) return; // and never will
          sendLine(socket, { type: 'response', id: m.id, ok: true, result: {} });
          reader.detach();
          if (o.refuseOnPages) refuseOnPages(socket);
          return; // else silence
        }
        if (m.op === 'vm.list') return void sendLine(socket, { type: 'response', id: m.id, ok: true, result: { vms: [] } });
      },
      () => socket.destroy(),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** WELCOME for HELLO; for the first PAGES frame an ERROR, as a daemon whose checksum failed says it, then FIN. */
function refuseOnPages(socket: Socket): void {
  const frames = new FrameReader();
  let seq = 0;
  socket.on('data', (b: Buffer) => {
    frames.push(new Uint8Array(b));
    for (let f = frames.next(); f; f = frames.next()) {
      if (f.type === FrameType.HELLO) socket.write(encodeFrame({ type: FrameType.WELCOME }, seq++));
      if (f.type === FrameType.PAGES) {
        socket.write(encodeFrame({ type: FrameType.ERROR, reason: 'frame PAGES: header.checksum mismatch (offset 12)' }, seq++));
        socket.end();
        socket.removeAllListeners('data');
        socket.resume(); // what still comes is read and dropped, as a closing daemon's kernel would
        return;
      }
    }
  });
  socket.resume();
}
