/**
 * The control port of a real `typevisor serve` under hostile input: bytes
 * that are not a hello (a migration frame, binary garbage, a line longer
 * than any hello, a huge length prefix), a wrong token, and hundreds of
 * connections that never speak. Each is refused with a reason, in one line,
 * without reading more than a hello's worth; the daemon stays up, its log
 * is not flooded, and a client with the token is served once the flood is gone.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeFrame, FrameType } from '../../../hypervisor/migration/protocol.js';
import { parseAddress } from '../../../hypervisor/control/address.js';
import { cleanup, clientFor, spawnDaemon, waitFor, type Daemon } from './daemons.js';

let d: Daemon;

beforeAll(async () => {
  d = await spawnDaemon();
});

afterAll(async () => {
  await cleanup();
});

/** Send `bytes` on a fresh connection; resolve with everything the daemon answered before it closed. */
function answerTo(bytes: Uint8Array | string): Promise<string> {
  const { host, port } = parseAddress(d.address);
  return new Promise((resolve) => {
    const s = connect(port, host);
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    s.on('connect', () => s.write(bytes));
  });
}

const refusal = (answer: string): { type: string; code: string; reason: string } => JSON.parse(answer.trim().split('\n')[0]!) as { type: string; code: string; reason: string };

describe('what is not a hello is refused with a reason, and the connection closed', () => {
  test.each([
    ['a migration frame where the hello belongs', encodeFrame({ type: FrameType.GO }, 0), 'bad-hello', /began with a migration frame \(a migration starts with migration\.incoming/],
    ['binary garbage, no newline', Buffer.from([0xff, 0x00, 0x13, 0x37]), 'bad-hello', /began with a byte 0xff that cannot begin a JSON line/],
    ['a length prefix of 2 GiB', Buffer.from([0xff, 0xff, 0xff, 0x7f]), 'bad-hello', /began with a byte 0xff/],
    ['a JSON line longer than any hello', '{' + ' '.repeat(8192), 'bad-hello', /more than 4096 bytes before a hello/],
    ['a hello with the wrong token', JSON.stringify({ type: 'hello', version: 1, token: 'guess' }) + '\n', 'bad-token', /wrong token/],
    ['a hello that is not JSON', '{"type":"hello",\n', 'bad-hello', /the first message must be a hello/],
  ])('%s', async (_what, bytes, code, reason) => {
    const r = refusal(await answerTo(bytes));
    expect(r).toMatchObject({ type: 'refused', code });
    expect(r.reason).toMatch(reason);
  });
});

describe('hundreds of connections that never speak', () => {
  test('are refused as busy past 16 and dropped after the hello timeout; the log holds a dozen lines, not hundreds; a client is served once they go', async () => {
    const { host, port } = parseAddress(d.address);
    const before = d.log().split('\n').length;
    const silent: Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const s = connect(port, host);
      s.on('error', () => {});
      silent.push(s);
    }
    await Promise.all(silent.map((s) => new Promise<void>((r) => (s.readyState === 'open' ? r() : s.once('connect', () => r()).once('error', () => r())))));
    await waitFor('the count of unlogged refusals', () => /refused \d+ more connections in the last second/.test(d.log()), 5_000);
    const logged = d.log().split('\n').length - before;
    expect(logged).toBeLessThan(40);
    for (const s of silent) s.destroy();
    // The flood gone, the token gets in at once (the 16 hello slots free as their sockets close).
    await waitFor('a client to be served', async () => {
      try {
        const c = await clientFor(d);
        c.close();
        return true;
      } catch {
        return false;
      }
    }, 8_000);
    expect(d.proc.exitCode).toBeNull();
  });
});
