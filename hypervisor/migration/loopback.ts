/**
 * This machine's raw TCP throughput over 127.0.0.1, as Node sees it: a
 * server on a free port, a client pushing large writes at it as fast as the
 * socket takes them, the bytes counted as they arrive. What a migration over
 * loopback is measured against — its effective rate as a fraction of this.
 * Bounded in size and time; everything it opens is closed before it returns.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface LoopbackOptions {
  /** Bytes to push at most (default 256 MiB). */
  readonly bytes?: number;
  /** Size of each write (default 1 MiB). */
  readonly chunk?: number;
  /** Stop after this long even if not all was pushed (default 3000 ms). */
  readonly timeoutMs?: number;
}

export interface LoopbackRate {
  /** Bytes that arrived. */
  readonly bytes: number;
  /** From the first write to the last byte received. */
  readonly ms: number;
  /** Bytes per second. */
  readonly rate: number;
}

/** Measure raw loopback TCP throughput (one connection, large writes). */
export async function measureLoopback(options: LoopbackOptions = {}): Promise<LoopbackRate> {
  const total = Math.max(1, options.bytes ?? 256 * 1024 * 1024);
  const chunk = Math.max(1, Math.min(options.chunk ?? 1024 * 1024, total));
  const timeoutMs = options.timeoutMs ?? 3000;
  const payload = Buffer.alloc(chunk, 0xa5);
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  try {
    const port = (server.address() as AddressInfo).port;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect({ host: '127.0.0.1', port });
    sockets.add(client);
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    const sink = await accepted;
    sink.on('error', () => {});
    let received = 0;
    let sent = 0;
    let stop = false;
    const t0 = performance.now();
    let t1 = t0;
    const done = new Promise<void>((resolve) => {
      sink.on('data', (b: Buffer) => {
        received += b.length;
        t1 = performance.now();
        if (received >= total || (stop && received >= sent)) resolve();
      });
      sink.on('close', () => resolve());
      setTimeout(() => {
        stop = true;
        if (received >= sent) resolve();
      }, timeoutMs).unref();
    });
    // Push as fast as the socket takes it: write until it says wait, then wait for drain.
    void (async () => {
      while (sent < total && !stop && !client.destroyed) {
        const n = Math.min(chunk, total - sent);
        sent += n;
        if (!client.write(n === chunk ? payload : payload.subarray(0, n))) await new Promise<void>((r) => client.once('drain', r));
      }
      stop = true;
    })();
    await done;
    const ms = Math.max(t1 - t0, 1e-3);
    return { bytes: received, ms, rate: (received / ms) * 1000 };
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** `1234.5 MB/s` (decimal megabytes: what the migration report's rates use). */
export function formatMBps(rate: number): string {
  return `${(rate / 1e6).toFixed(rate >= 1e8 ? 0 : 1)} MB/s`;
}

/** An effective rate as a multiple of raw loopback: `0.74× raw loopback`. */
export function ofLoopback(rate: number, raw: number): string {
  return raw > 0 ? `${(rate / raw).toFixed(2)}× raw loopback` : '—';
}
