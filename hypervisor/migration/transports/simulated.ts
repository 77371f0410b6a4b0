/**
 * A migration link simulated in virtual time: two endpoints joined by two
 * one-way pipes, each with a bandwidth and a latency. A frame written at t
 * starts when the pipe is free, takes length ÷ bandwidth to serialize (the
 * writer's promise resolves then: flow control), and arrives a latency
 * later. Time is the VirtualClock's, which runs the guests meanwhile — so
 * how much a guest computes and dirties while its pages are on the wire is
 * fixed by the numbers, the same on every run.
 *
 * Faults for the tests: cut() drops the link at once (frames in flight are
 * lost: a dead peer or a pulled cable); `tamper` sees every frame before it is
 * sent and may corrupt it, truncate it (the rest never comes: the link drops),
 * or drop the link instead of sending it.
 */
import { TICKS_PER_MS } from '../clock.js';
import { LinkError } from '../migration-error.js';
import { frameName } from '../protocol.js';
import type { Transport } from '../transport.js';
import type { VirtualClock } from '../virtual-clock.js';

export interface LinkSpec {
  /** Bytes per (virtual) second. */
  readonly bandwidth: number;
  /** One-way latency, virtual ms. */
  readonly latencyMs: number;
}

export type Side = 'source' | 'destination';

/** A frame about to be sent, as `tamper` sees it. */
export interface FrameOnWire {
  readonly from: Side;
  /** Frames this side has sent on this link before this one. */
  readonly index: number;
  /** FRAME_NAMES of its type. */
  readonly type: string;
  readonly bytes: Uint8Array;
}

export type Tampering = 'pass' | 'corrupt' | 'truncate' | 'cut';

class Pipe {
  busyUntil = 0;
  sent = 0;
}

export class SimulatedEndpoint implements Transport {
  readonly description: string;
  private inbox: (Uint8Array | null)[] = [];
  private waiter: ((b: Uint8Array | null) => void) | undefined;
  private ended = false;
  /** This side has closed (no more writes). */
  private closed = false;

  constructor(
    private readonly link: SimulatedLink,
    readonly side: Side,
    private readonly pipe: Pipe,
  ) {
    this.description = `simulated ${formatRate(link.spec.bandwidth)}, ${link.spec.latencyMs} ms`;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed || this.link.isCut) return Promise.reject(new LinkError(this.link.isCut ? `the link was cut (${this.link.cutReason})` : 'this end of the link is closed'));
    const clock = this.link.clock;
    let data = bytes;
    const verdict = this.link.tamper?.({ from: this.side, index: this.pipe.sent, type: frameName(bytes[3] ?? 0), bytes }) ?? 'pass';
    this.pipe.sent++;
    if (verdict === 'cut') {
      this.link.cut(`dropped before ${frameName(bytes[3] ?? 0)} from the ${this.side}`);
      return Promise.reject(new LinkError(`the link was cut (${this.link.cutReason})`));
    }
    if (verdict === 'corrupt') {
      data = bytes.slice();
      const at = data.length > 24 ? 24 + ((data.length - 24) >>> 1) : data.length - 1;
      data[at]! ^= 0x5a;
    } else if (verdict === 'truncate') {
      data = bytes.slice(0, Math.max(1, bytes.length >>> 1));
    }
    const start = Math.max(clock.ticks, this.pipe.busyUntil);
    const end = start + Math.ceil((data.length * TICKS_PER_MS * 1000) / this.link.spec.bandwidth);
    this.pipe.busyUntil = end;
    const generation = this.link.generation;
    const peer = this.link.peerOf(this.side);
    clock.schedule(end + Math.round(this.link.spec.latencyMs * TICKS_PER_MS), () => {
      if (this.link.generation !== generation) return; // cut while in flight: lost
      peer.deliver(data);
      if (verdict === 'truncate') this.link.cut(`${frameName(bytes[3] ?? 0)} from the ${this.side} was truncated`);
    });
    return new Promise((resolve, reject) =>
      clock.schedule(end, () => (this.link.generation === generation ? resolve() : reject(new LinkError(`the link was cut (${this.link.cutReason})`)))),
    );
  }

  read(): Promise<Uint8Array | null> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise((r) => (this.waiter = r));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endStream();
    // The peer reads what is in flight, then the end of the stream.
    const peer = this.link.peerOf(this.side);
    const generation = this.link.generation;
    this.link.clock.schedule(this.pipe.busyUntil + Math.round(this.link.spec.latencyMs * TICKS_PER_MS), () => {
      if (this.link.generation === generation) peer.deliver(null);
    });
  }

  /** @internal */
  deliver(bytes: Uint8Array | null): void {
    if (this.ended) return;
    if (bytes === null) this.ended = true;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(bytes);
    } else this.inbox.push(bytes);
  }

  /** @internal the link went down: what has arrived can still be read, then the stream ends. */
  endStream(): void {
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(null);
  }
}

export class SimulatedLink {
  readonly source: SimulatedEndpoint;
  readonly destination: SimulatedEndpoint;
  /** Sees every frame before it is sent (fault injection). */
  tamper: ((f: FrameOnWire) => Tampering) | undefined;
  /** Bumped by cut(): what was in flight before is lost. */
  generation = 0;
  isCut = false;
  cutReason = '';

  constructor(
    readonly clock: VirtualClock,
    readonly spec: LinkSpec,
  ) {
    if (!(spec.bandwidth > 0)) throw new RangeError('a simulated link needs a positive bandwidth');
    this.source = new SimulatedEndpoint(this, 'source', new Pipe());
    this.destination = new SimulatedEndpoint(this, 'destination', new Pipe());
  }

  peerOf(side: Side): SimulatedEndpoint {
    return side === 'source' ? this.destination : this.source;
  }

  /** Drop the link now: both ends see the stream end; frames in flight are lost. */
  cut(reason = 'cut'): void {
    if (this.isCut) return;
    this.isCut = true;
    this.cutReason = reason;
    this.generation++;
    this.source.endStream();
    this.destination.endStream();
  }
}

/** `125 MB/s`, `1.5 GB/s`, `512 KB/s` (decimal units, as links are sold). */
export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let v = bytesPerSecond;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${Number(v.toPrecision(3))} ${units[u]}`;
}
