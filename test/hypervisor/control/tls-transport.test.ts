/**
 * The migration engine's TcpTransport over a TLSSocket (what a migration
 * channel between TLS daemons is): bytes arrive whole and in order through
 * pause/resume, and a write's buffer is free once write() resolves
 * (releasesWrites: TLS encrypts the bytes into its own records before the
 * write completes — in fact within the write call itself, when no earlier
 * write is queued), so the sender may overwrite it at once.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TcpTransport } from '../../../hypervisor/migration/transports/tcp.js';
import { makeCerts, type Certs } from '../../helpers/tls-certs.js';

let certs: Certs;
beforeAll(() => void (certs = makeCerts()));
afterAll(() => certs?.remove());

test('a reused write buffer arrives intact, through backpressure', async () => {
  const server = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey), ca: readFileSync(certs.ca), requestCert: true, rejectUnauthorized: true });
  const accepted = new Promise<TLSSocket>((r) => server.once('secureConnection', r));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const client = connect({ host: '127.0.0.1', port, ca: readFileSync(certs.ca), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
  await new Promise<void>((resolve, reject) => client.once('secureConnect', resolve).once('error', reject));
  const sender = new TcpTransport(client);
  const receiver = new TcpTransport(await accepted);
  expect(sender.releasesWrites).toBe(true);
  expect(sender.description).toBe(`tcp 127.0.0.1:${port}`);

  const FRAMES = 256;
  const SIZE = 64 * 1024;
  const buffer = new Uint8Array(SIZE); // one buffer for every frame, as the channel's pool reuses one
  const sending = (async () => {
    for (let i = 0; i < FRAMES; i++) {
      buffer.fill(i & 0xff);
      new DataView(buffer.buffer).setUint32(0, i);
      await sender.write(buffer);
      buffer.fill(0xee); // scribble over it the moment the write is done
    }
    sender.close();
  })();

  // Read slowly at first so the receiver's inbox fills and it pauses the socket.
  await new Promise((r) => setTimeout(r, 200));
  const got: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const b = await receiver.read();
    if (b === null) break;
    got.push(Uint8Array.from(b));
    total += b.length;
  }
  await sending;
  expect(total).toBe(FRAMES * SIZE);
  const all = Buffer.concat(got);
  for (let i = 0; i < FRAMES; i++) {
    const frame = all.subarray(i * SIZE, (i + 1) * SIZE);
    expect(frame.readUInt32BE(0)).toBe(i);
    const wrong = frame.subarray(4).findIndex((v) => v !== (i & 0xff));
    expect(wrong, `frame ${i}`).toBe(-1);
  }
  receiver.close();
  await new Promise((r) => server.close(r));
}, 30_000);
