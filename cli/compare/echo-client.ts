/**
 * The client that drives the echo workload (guests/workloads/echo.s) in
 * `migrate-compare --workload echo`: one real TCP connection to the guest's
 * service, a numbered line every few ms, and a record of what came back and
 * when — what a user of the service would have seen while the guest moved.
 *
 * Each line's round trip runs from its write to the arrival of its last
 * echoed byte; a stall is a stretch with bytes outstanding and nothing
 * arriving (the switchover, a relay that is slow to start). Wall time.
 */
import { connect, type Socket } from 'node:net';
import type { EchoSeen } from '../../hypervisor/lab/compare.js';
import { parseAddress } from '../../hypervisor/control/address.js';

export class EchoClient {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private sent = 0;
  /** Per line: the offset just past it, and when it was written. */
  private readonly ends: number[] = [];
  private readonly sentAt: number[] = [];
  private readonly trips: number[] = [];
  /** The next line whose echo is not complete. */
  private next = 0;
  /** Since when bytes have been outstanding with nothing arriving (null: none outstanding). */
  private waitingSince: number | null = null;
  private maxStall = 0;
  private stopped = false;
  private sending: Promise<void> = Promise.resolve();
  private readonly sentText: Buffer[] = [];
  /** Set when the connection ends or fails: the client stops waiting. */
  private closedBecause: string | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.arrived(d));
    socket.on('close', () => (this.closedBecause ??= 'the connection closed'));
    socket.on('error', (e) => (this.closedBecause = e.message));
  }

  static open(address: string): Promise<EchoClient> {
    const { host, port } = parseAddress(address);
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off('error', reject);
        resolve(new EchoClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Lines sent and lines wholly echoed so far. */
  get lines(): { readonly sent: number; readonly echoed: number } {
    return { sent: this.ends.length, echoed: this.next };
  }

  /** Every byte sent so far, in order (what the guest's console counts). */
  sentBytes(): Buffer {
    return Buffer.concat(this.sentText);
  }

  /** Start sending a line every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    this.sending = (async () => {
      while (!this.stopped && this.closedBecause === null) {
        this.sendLine();
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  /** Stop sending; wait (up to `timeoutMs`) for every byte to come back; close. What the client saw. */
  async finish(timeoutMs: number): Promise<EchoSeen> {
    this.stopped = true;
    await this.sending;
    const end = Date.now() + timeoutMs;
    while (this.received < this.sent && this.closedBecause === null && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    this.socket.end();
    const echoed = Buffer.concat(this.chunks);
    const sorted = [...this.trips].sort((a, b) => a - b);
    const at = (q: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
    return {
      bytesSent: this.sent,
      bytesEchoed: this.received,
      inOrder: echoed.equals(this.sentBytes()),
      lines: this.ends.length,
      maxStallMs: this.maxStall,
      roundTrip: { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] ?? 0 },
    };
  }

  private sendLine(): void {
    const n = this.ends.length;
    // Printable, of varying length, ending in a newline: the service counts it as one line.
    const line = Buffer.from(`line ${n} ${'.'.repeat(n % 23)}\n`);
    const now = performance.now();
    if (this.received === this.sent) this.waitingSince = now;
    this.sent += line.length;
    this.ends.push(this.sent);
    this.sentAt.push(now);
    this.sentText.push(line);
    this.socket.write(line);
  }

  private arrived(d: Buffer): void {
    const now = performance.now();
    if (this.waitingSince !== null) this.maxStall = Math.max(this.maxStall, now - this.waitingSince);
    this.chunks.push(d);
    this.received += d.length;
    while (this.next < this.ends.length && this.ends[this.next]! <= this.received) {
      this.trips.push(now - this.sentAt[this.next]!);
      this.next++;
    }
    this.waitingSince = this.received < this.sent ? now : null;
  }
}

/** What the echo service prints for one connection that carried `bytes` and then closed (its first line numbered 1). */
export function echoConsole(bytes: Uint8Array): string {
  let out = '';
  let line = 1;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) out += `line ${line++}: ${i + 1} bytes\n`;
  return `${out}closed after ${bytes.length} bytes\n`;
}
