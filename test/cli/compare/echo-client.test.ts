/**
 * The echo workload's client (cli/compare/echo-client.ts) against echo
 * servers on 127.0.0.1: a faithful one, one that repeats a byte and one that
 * drops one — the client must tell the first from the others, and count what
 * the guest's console would.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { echoConsole, EchoClient } from '../../../cli/compare/echo-client.js';

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A server that sends back what `answer` makes of each chunk; its address. */
async function serve(answer: (chunk: Buffer, count: number) => Buffer): Promise<string> {
  let count = 0;
  server = createServer((s: Socket) => s.on('data', (d: Buffer) => s.write(answer(d, count++))).on('error', () => {}));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Send `lines` lines, then wait up to `drainMs` for the rest of the echo (a server that drops a byte never sends it). */
async function drive(address: string, lines: number, drainMs = 5_000): Promise<ReturnType<EchoClient['finish']>> {
  const client = await EchoClient.open(address);
  client.start(1);
  while (client.lines.sent < lines) await new Promise((r) => setTimeout(r, 2));
  return client.finish(drainMs);
}

describe('EchoClient', () => {
  test('a faithful echo: every byte back once, in order; a round trip per line', async () => {
    const seen = await drive(await serve((d) => d), 30);
    expect(seen.inOrder).toBe(true);
    expect(seen.bytesEchoed).toBe(seen.bytesSent);
    expect(seen.lines).toBeGreaterThanOrEqual(30);
    expect(seen.roundTrip.p50Ms).toBeLessThanOrEqual(seen.roundTrip.p99Ms);
    expect(seen.roundTrip.p99Ms).toBeLessThanOrEqual(seen.roundTrip.maxMs);
  });

  test('a byte repeated or dropped is not in order', async () => {
    const repeated = await drive(await serve((d, n) => (n === 3 ? Buffer.concat([d.subarray(0, 1), d]) : d)), 10);
    expect(repeated.inOrder).toBe(false);
    expect(repeated.bytesEchoed).toBe(repeated.bytesSent + 1);
    server!.close();
    const dropped = await drive(await serve((d, n) => (n === 3 ? d.subarray(1) : d)), 10, 300);
    expect(dropped.inOrder).toBe(false);
    expect(dropped.bytesEchoed).toBe(dropped.bytesSent - 1);
  });

  test('echoConsole: a line per newline with the bytes so far, then the close', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '\n') }), (text) => {
        const out = echoConsole(Buffer.from(text));
        const lines = out.split('\n').slice(0, -1);
        expect(lines.at(-1)).toBe(`closed after ${text.length} bytes`);
        expect(lines.length - 1).toBe([...text].filter((ch) => ch === '\n').length);
        lines.slice(0, -1).forEach((l, i) => expect(l).toMatch(new RegExp(`^line ${i + 1}: \\d+ bytes$`)));
      }),
    );
  });
});
