/**
 * A real source daemon facing a destination that answers with the wrong
 * frame where WELCOME or STATE_ACK belongs (any other type, an ERROR, a
 * CANCEL). Before GO nothing it says can take the guest: the migration
 * aborts, `migrate` says so in one line, and the guest — paused for the
 * switchover when STATE_ACK was due — runs on the source again, whole.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../../hypervisor/control/client.js';
import { LineReader, sendLine } from '../../../hypervisor/control/lines.js';
import { encodeFrame, FrameReader, FrameType, type Frame } from '../../../hypervisor/migration/protocol.js';
import { cleanup, clientFor, finishPages, referenceOutput, spawnDaemon, startCli, startPages, states, type Daemon } from './daemons.js';

/** One frame of each type a destination could send instead of the right one. */
const SAMPLES: readonly Frame[] = [
  { type: FrameType.WELCOME },
  { type: FrameType.PAGES, requested: false, round: 0, pages: [] },
  { type: FrameType.ROUND_END, round: 0, pages: 0 },
  { type: FrameType.STATE_ACK },
  { type: FrameType.GO },
  { type: FrameType.RESUMED, at: 0 },
  { type: FrameType.PAGE_REQUEST, page: 0 },
  { type: FrameType.COMPLETE, metrics: '{}' },
  { type: FrameType.CANCEL, reason: 'no' },
  { type: FrameType.ERROR, reason: 'no' },
  { type: FrameType.RECOVER, id: '0123456789abcdef0123456789abcdef' },
  { type: FrameType.SECTOR_REQUEST, sector: 0, count: 1 },
];

let a: Daemon;
let ca: ControlClient;
let reference: string;
let server: Server;
let fake = '';
/** What the fake destination does next: which step gets the wrong frame, and which frame. */
let plan: { step: 'welcome' | 'state-ack'; frame: Frame } = { step: 'welcome', frame: SAMPLES[0]! };

beforeAll(async () => {
  [a, reference] = await Promise.all([spawnDaemon(), referenceOutput()]);
  ca = await clientFor(a);
  await startPages(ca, 'vm');
  server = createServer(serveFake);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  ca.close();
  server.close();
  await cleanup();
});

/** A destination that speaks the control protocol, takes the migration, and then says the wrong thing at the planned step. */
function serveFake(socket: Socket): void {
  socket.on('error', () => {});
  const lines = new LineReader(
    socket,
    (line) => {
      const m = JSON.parse(line) as { type: string; id?: number; op?: string };
      if (m.type === 'hello') return void sendLine(socket, { type: 'welcome', daemon: { version: 1, pid: 1, listen: fake, startedAt: new Date(0).toISOString() } });
      if (m.op === 'vm.list') return void sendLine(socket, { type: 'response', id: m.id, ok: true, result: { vms: [] } });
      if (m.op !== 'migration.incoming') return;
      sendLine(socket, { type: 'response', id: m.id, ok: true, result: {} });
      lines.detach();
      const { step, frame } = plan;
      let seq = 0;
      const send = (f: Frame): void => void socket.write(encodeFrame(f, seq++));
      const frames = new FrameReader();
      socket.on('data', (b: Buffer) => {
        frames.push(new Uint8Array(b));
        for (let f = frames.next(); f; f = frames.next()) {
          if (f.type === FrameType.HELLO) send(step === 'welcome' ? frame : { type: FrameType.WELCOME });
          if (f.type === FrameType.STATE && step === 'state-ack') send(frame);
        }
      });
      socket.resume(); // detach() leaves the socket paused for its next owner
    },
    () => socket.destroy(),
  );
}

describe('the wrong frame where WELCOME or STATE_ACK belongs', () => {
  test('aborts with one line; the guest runs on the source, whole', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('welcome' as const, 'state-ack' as const), fc.constantFrom(...SAMPLES), async (step, frame) => {
        const expected = step === 'welcome' ? FrameType.WELCOME : FrameType.STATE_ACK;
        fc.pre(frame.type !== expected);
        plan = { step, frame };
        const r = await startCli(['migrate', 'vm', '--connect', a.address, '--to', fake, '--strategy', 'stop-and-copy'], { timeoutMs: 20_000 }).done;
        expect(r.status, `${r.stderr}\n${a.log()}`).toBe(1);
        const refused = frame.type === FrameType.ERROR || frame.type === FrameType.CANCEL;
        expect(r.stderr.trim().split('\n').at(-1)).toBe(
          `aborted during ${step === 'welcome' ? 'setup' : 'switchover'}: vm is running on ${a.address}, unchanged; ${fake} ${refused ? 'refused to go on' : 'sent a frame that is malformed or out of order'}; ${fake} discarded its copy`,
        );
        expect(await states(ca)).toEqual({ vm: 'running' });
      }),
      { numRuns: 6, seed: 5 },
    );
    // After all of that the guest is whole: it finishes exactly as it would have unmigrated.
    expect(await finishPages(ca, 'vm')).toBe(reference);
  });
});
