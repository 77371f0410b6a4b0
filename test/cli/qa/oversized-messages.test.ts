/**
 * A control message too big for the protocol's line limit, met the way a user
 * meets it: `volume create --from` a disk image of more than 36 MiB (base64
 * makes 48 MiB of it). Before, the daemon dropped the line and closed the
 * socket at once, and the user read only "the daemon dropped the connection".
 *
 *   - the CLI refuses such a --from before sending, saying the limit and what
 *     to do instead, and the daemon is untouched;
 *   - the client refuses any request over the limit without sending it, and
 *     its connection goes on working;
 *   - a raw over-long line gets the daemon's reason (written before the
 *     socket closes), and the daemon goes on serving.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../../hypervisor/control/client.js';
import { formatInlineLimit, MAX_INLINE_BYTES } from '../../../hypervisor/control/line-budget.js';
import { MAX_LINE_BYTES } from '../../../hypervisor/control/protocol.js';
import { cleanup, cli, clientFor, spawnDaemon, TOKEN, type Daemon } from '../../hypervisor/control/daemons.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-oversized-'));
let d: Daemon;
let c: ControlClient;

/** A file of `size` bytes, zeros but for its last (written, so it is real data when read). */
function fileOf(name: string, size: number): string {
  const path = join(temp, name);
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.from([1]), 0, 1, size - 1);
  closeSync(fd);
  return path;
}

beforeAll(async () => {
  d = await spawnDaemon(['--state-dir', join(temp, 'state')]);
  c = await clientFor(d);
});
afterAll(async () => {
  c.close();
  await cleanup();
  rmSync(temp, { recursive: true, force: true });
});

describe('a message over the line limit', () => {
  test('volume create --from a disk image too big to send says so, and creates nothing', async () => {
    const big = fileOf('big.img', MAX_INLINE_BYTES + 512);
    const r = await cli(['volume', 'create', 'big', '--from', big, '--connect', d.address], { timeoutMs: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: ${big} is ${MAX_INLINE_BYTES + 512} bytes; --from sends at most ${formatInlineLimit()} with the request (a bigger disk: vm start --disk FILE, which the daemon reads itself)\n`);
    expect((await c.request('volume.list', {})).volumes.map((v) => v.name)).not.toContain('big');
  });

  test('the largest image that fits is sent and becomes the volume', async () => {
    const edge = fileOf('edge.img', MAX_INLINE_BYTES);
    const r = await cli(['volume', 'create', 'edge', '--from', edge, '--connect', d.address], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((await c.request('volume.list', {})).volumes.find((v) => v.name === 'edge')?.size).toBe(MAX_INLINE_BYTES);
  });

  test('the client refuses a request over the limit without sending it; its connection goes on', async () => {
    const from = 'A'.repeat(MAX_LINE_BYTES);
    await expect(c.request('volume.create', { name: 'huge', size: 512, from })).rejects.toThrow(/^volume\.create: the request is 48\.0 MiB, more than the 48\.0 MiB a control message may be$/);
    expect(Array.isArray(await c.list())).toBe(true);
  });

  test('a raw over-long line gets the reason before the socket closes; the daemon goes on', async () => {
    const [host, port] = [d.address.split(':')[0]!, Number(d.address.split(':')[1])];
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host, port });
      let got = '';
      s.on('data', (b) => (got += b.toString('utf8')));
      s.on('error', () => undefined); // the daemon closes while we still write: EPIPE/ECONNRESET are expected
      s.on('close', () => resolve(got));
      setTimeout(() => reject(new Error(`no close; got ${got}`)), 20_000).unref();
      s.write(JSON.stringify({ type: 'hello', version: 1, token: TOKEN, client: 'test' }) + '\n');
      s.write(Buffer.alloc(MAX_LINE_BYTES + 1024, 0x78));
    });
    const lines = answer.trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: number; error?: { message: string } });
    expect(lines[0]!.type).toBe('welcome');
    expect(lines[1]).toEqual({ type: 'response', id: -1, ok: false, error: { code: 'bad-request', message: `a line longer than ${MAX_LINE_BYTES} bytes; the connection is closed` } });
    expect(Array.isArray(await c.list())).toBe(true);
  });
});
