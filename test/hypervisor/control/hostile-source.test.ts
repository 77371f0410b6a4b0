/**
 * A destination daemon facing a source that is not a well-behaved daemon:
 * one that goes quiet in the middle of a frame or between two, sends bytes
 * that are not frames, a length no frame has, frames out of order, or a
 * HELLO that contradicts what it announced. The source here is this test,
 * speaking the control protocol and then raw migration frames to a real
 * `typevisor serve`. Whatever it does, the destination must end the arrival
 * (with the reason in its log and, where it can, in an ERROR frame naming
 * the field), hold nothing for it afterwards (no VM listed, its memory free
 * again) and go on serving.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../../hypervisor/control/client.js';
import { encodeFrame, FrameReader, FrameType, type Frame } from '../../../hypervisor/migration/protocol.js';
import { cleanup, clientFor, fixtureImage, spawnDaemon, states, waitFor, type Daemon } from './daemons.js';

/** The daemon's idle timeout here: short, so a stalled arrival ends within the test. */
const IDLE = '400ms';
/** Guest memory of the fake arrivals: the whole of the daemon's capacity but 2 MiB. */
const MEM = 4 * 1024 * 1024;
const CAPACITY = '6M';

let d: Daemon;
let c: ControlClient;
const sockets: Socket[] = [];
const stateDir = mkdtempSync(join(tmpdir(), 'typevisor-hostile-'));

beforeAll(async () => {
  d = await spawnDaemon(['--migration-idle-timeout', IDLE, '--capacity', CAPACITY, '--state-dir', stateDir]);
  c = await clientFor(d);
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

afterAll(async () => {
  c.close();
  await cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

interface FakeSource {
  readonly socket: Socket;
  /** Frames the destination sent back so far. */
  readonly received: Frame[];
  /** Resolves when the destination has closed the connection. */
  readonly closed: Promise<void>;
}

let names = 0;

/** Announce an arrival as a source daemon would (migration.incoming), then own the raw socket. */
async function announce(name = `fake${++names}`, memSize = MEM, disk?: { sectors: number }): Promise<FakeSource & { name: string }> {
  const client = await clientFor(d);
  const socket = await client.openMigrationChannel({
    name, from: '127.0.0.1:9', strategy: 'pre-copy', monitor: 'native', kernel: 'fake.s', memSize, share: 1, recover: false,
    ...(disk ? { disk: { mode: 'copy', kind: 'transient', sectors: disk.sectors } } : {}),
  });
  sockets.push(socket);
  const received: Frame[] = [];
  const reader = new FrameReader();
  socket.on('data', (b: Buffer) => {
    reader.push(new Uint8Array(b));
    try {
      for (let f = reader.next(); f; f = reader.next()) received.push(f);
    } catch {
      // the destination's half is checked by the daemon's own tests; here only its answers matter
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.resume();
  return { name, socket, received, closed };
}

const ID = '0123456789abcdef0123456789abcdef';
const hello = (name: string, memSize = MEM): Uint8Array => encodeFrame({ type: FrameType.HELLO, id: ID, memSize, strategy: 'pre-copy', observeMs: 0, name }, 0);
const page = (n: number, fill: number): { page: number; data: Uint8Array } => ({ page: n, data: new Uint8Array(4096).fill(fill) });

/** A valid opening of a pre-copy: HELLO, a round of three pages, its ROUND_END. */
function validPrefix(name: string): Uint8Array {
  const frames = [
    hello(name),
    encodeFrame({ type: FrameType.PAGES, requested: false, round: 0, pages: [page(0, 1), page(1, 2), { page: 2, data: undefined }] }, 1),
    encodeFrame({ type: FrameType.ROUND_END, round: 0, pages: 3 }, 2),
  ];
  return Buffer.concat(frames);
}

/** The daemon ended the arrival: NAME is no longer listed, and its log says why. */
async function discarded(name: string, why: RegExp): Promise<void> {
  await waitFor(`${name} to be discarded`, async () => !(name in (await states(c))), 10_000);
  const line = d.log().split('\n').find((l) => l.includes(`${name}: incoming migration from`));
  expect(line, d.log()).toMatch(why);
  expect(line).toMatch(/the copy here was discarded/);
}

/** Nothing is held for the arrivals that ended: a VM as large as one of them starts (the capacity has room for one). */
async function roomForOneMore(): Promise<void> {
  const name = `after${++names}`;
  await c.start({ name, kernel: 'pages.s', image: fixtureImage('control/pages.s'), memSize: MEM, share: 1 });
  await c.stop(name);
}

describe('a source that goes quiet before the commit point: the destination gives up after --migration-idle-timeout', () => {
  test('announced, then not one byte: discarded, the reason logged', async () => {
    const s = await announce();
    await waitFor('the arrival to be listed', async () => (await states(c))[s.name] === 'incoming');
    await discarded(s.name, /the peer went quiet: nothing moved on the connection for 400 ms \(idle timeout\)/);
    await s.closed;
    await roomForOneMore();
  });

  test('with a disk on its way: the arriving disk file is deleted with the copy', async () => {
    const scratch = join(stateDir, 'scratch');
    const s = await announce(undefined, MEM, { sectors: 2048 });
    expect(readdirSync(scratch)).toHaveLength(1); // the arriving disk, 1 MiB, sparse
    s.socket.write(validPrefix(s.name).subarray(0, 40));
    await discarded(s.name, /the peer went quiet/);
    expect(readdirSync(scratch)).toEqual([]);
  });

  test('stalled at any byte of a valid opening (inside a frame or between two): discarded, and a source that comes back finds the link gone', async () => {
    const prefixLength = validPrefix('x').length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: prefixLength - 1 }), async (cut) => {
        const s = await announce();
        s.socket.write(validPrefix(s.name).subarray(0, cut));
        await discarded(s.name, /the peer went quiet/);
        await s.closed;
        // The source, back: what it writes goes nowhere, and nothing of it is listed again.
        s.socket.write(validPrefix(s.name).subarray(cut), () => {});
        expect(s.socket.destroyed).toBe(true);
        expect(s.name in (await states(c))).toBe(false);
      }),
      { numRuns: 6, seed: 7 },
    );
    await roomForOneMore();
  });
});

describe('hostile bytes on the migration channel: rejected at once, with the field and offset, nothing held', () => {
  const cases: { what: string; bytes: (name: string) => Uint8Array; why: RegExp }[] = [
    { what: 'bytes that are not frames', bytes: () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), why: /header\.magic is 0x4547, not 0x4d54 .*\(offset 0\)/ },
    {
      what: 'a length prefix of 4 GiB',
      bytes: () => {
        const b = Buffer.from(hello('x'));
        b.writeUInt32LE(0xffffffff, 4);
        return b;
      },
      why: /header\.length is 4294967295, outside 16\.\.16777216 \(offset 4\)/,
    },
    {
      what: 'a corrupted HELLO',
      bytes: (name) => {
        const b = Buffer.from(hello(name));
        b[20] = b[20]! ^ 0xff;
        return b;
      },
      why: /header\.checksum mismatch.*the frame is corrupt \(offset 12\)/,
    },
    { what: 'a frame out of order: GO before STATE', bytes: (name) => Buffer.concat([hello(name), encodeFrame({ type: FrameType.GO }, 1)]), why: /GO.*out of order: GO before STATE/ },
    { what: 'a frame only a destination sends: PAGE_REQUEST', bytes: (name) => Buffer.concat([hello(name), encodeFrame({ type: FrameType.PAGE_REQUEST, page: 0 }, 1)]), why: /PAGE_REQUEST.*out of order/ },
    { what: 'WELCOME as the opening', bytes: () => encodeFrame({ type: FrameType.WELCOME }, 0), why: /WELCOME.*cannot open a migration connection/ },
    { what: 'a page past the end of guest memory', bytes: (name) => Buffer.concat([hello(name), encodeFrame({ type: FrameType.PAGES, requested: false, round: 0, pages: [page(1 << 20, 1)] }, 1)]), why: /entry\[0\]\.page.*is 1048576; the guest has 1024 pages/ },
    { what: 'a round that claims more pages than came', bytes: (name) => Buffer.concat([hello(name), encodeFrame({ type: FrameType.ROUND_END, round: 0, pages: 5 }, 1)]), why: /ROUND_END.*round 0 had 5 pages; 0 arrived/ },
    { what: 'a sequence number out of order', bytes: (name) => Buffer.concat([hello(name), encodeFrame({ type: FrameType.ROUND_END, round: 0, pages: 0 }, 5)]), why: /header\.seq is 5, expected 1/ },
    { what: 'a HELLO asking for more memory than was announced', bytes: (name) => hello(name, 64 * 1024 * 1024), why: /HELLO.*memSize.*is 67108864; this migration was announced with 4194304 bytes/ },
    {
      what: 'a HELLO asking the destination to watch the guest for 49 days before it finishes',
      bytes: (name) => encodeFrame({ type: FrameType.HELLO, id: ID, memSize: MEM, strategy: 'pre-copy', observeMs: 0xffffffff, name }, 0),
      why: /frame HELLO: observeMs is 4294967295; at most 60000 ms of watching the guest after it arrives \(offset 37\)/,
    },
    { what: 'a valid header, then the connection closed', bytes: (name) => hello(name).subarray(0, 16), why: /truncated/ },
  ];

  for (const k of cases) {
    test(k.what, async () => {
      const s = await announce();
      s.socket.write(k.bytes(s.name));
      if (k.what.includes('closed')) s.socket.end();
      await discarded(s.name, k.why);
      // Told why, in an ERROR frame, when the link still allowed it.
      const error = s.received.find((f) => f.type === FrameType.ERROR);
      if (error) expect((error as { reason: string }).reason).toMatch(k.why);
      await s.closed;
    });
  }

  test('a HELLO naming another VM: the arrival keeps the announced name, and that other name stays free', async () => {
    const small = 1024 * 1024;
    const s = await announce(undefined, small);
    s.socket.write(hello('someone-else', small));
    await waitFor('WELCOME', () => s.received.some((f) => f.type === FrameType.WELCOME));
    const listed = await states(c);
    expect(listed[s.name]).toBe('incoming');
    expect('someone-else' in listed).toBe(false);
    // The name HELLO gave is free for a VM of this daemon's own, on the same monitor (no hidden guest holds it).
    await c.start({ name: 'someone-else', kernel: 'pages.s', image: fixtureImage('control/pages.s'), memSize: small, share: 1 });
    await c.stop('someone-else');
    s.socket.destroy();
    await discarded(s.name, /connection closed/);
  });

  test('after all of that the daemon serves on, with room for a VM as large as the arrivals', async () => {
    expect((await c.info()).pid).toBe(d.proc.pid);
    await roomForOneMore();
  });
});
