/**
 * Frames over a transport: numbered and sent in order (one at a time, so
 * concurrent senders never interleave), received and checked in order, and
 * — when the migration has a bandwidth cap — paced to it.
 */
import type { MigrationClock } from './clock.js';
import { LinkError, PeerError } from './migration-error.js';
import { encodeFrame, FrameReader, FrameType, frameName, pagesFrameSize, type Frame } from './protocol.js';
import type { Transport } from './transport.js';

/** Buffers for PAGES frames kept for reuse, at most. */
const POOL_MAX = 8;

export class Channel {
  /** Frames put together in one reused buffer: a PAGES frame's data is good until the next receive(). */
  private readonly reader = new FrameReader({ reuse: true });
  /** Free buffers for PAGES frames (only when the transport lets go of a buffer once written). */
  private readonly pool: Uint8Array[] = [];
  private seq = 0;
  private tail: Promise<void> = Promise.resolve();
  private capStart = -1;
  private capBytes = 0;
  /** Bytes and frames this side has sent on this channel. */
  bytesSent = 0;
  framesSent = 0;
  /** Time the link spent sending (sum of each write's duration: bandwidth achieved = bytes ÷ this). */
  busyMs = 0;
  closed = false;

  constructor(
    readonly transport: Transport,
    private readonly clock: MigrationClock,
    /** Bytes per second; 0: no cap. */
    private readonly cap = 0,
  ) {}

  /** Send a frame after those already queued; resolves once the link has taken it. */
  send(frame: Frame): Promise<void> {
    // A PAGES frame is encoded (its pages copied) now, into a reused buffer when the transport allows.
    const buffer = frame.type === FrameType.PAGES && this.transport.releasesWrites ? this.take(pagesFrameSize(frame.pages)) : undefined;
    const bytes = encodeFrame(frame, this.seq++, buffer);
    let held = buffer !== undefined;
    const release = (): void => {
      if (held) this.give(buffer!);
      held = false;
    };
    const run = async (): Promise<void> => {
      if (this.closed) throw new LinkError(`cannot send ${frameName(frame.type)}: the channel is closed`);
      const t0 = this.clock.now();
      try {
        await this.transport.write(bytes);
      } finally {
        release();
      }
      const t1 = this.clock.now();
      this.busyMs += t1 - t0;
      this.bytesSent += bytes.length;
      this.framesSent++;
      if (this.cap > 0) {
        if (this.capStart < 0) this.capStart = t0;
        this.capBytes += bytes.length;
        const due = this.capStart + (this.capBytes / this.cap) * 1000;
        if (due > t1) await this.clock.sleep(due - t1);
      }
    };
    const p = this.tail.then(run);
    this.tail = p.catch(() => {});
    if (buffer) p.catch(release); // never written (the channel closed first): free it all the same
    return p;
  }

  private take(size: number): Uint8Array {
    for (let i = this.pool.length - 1; i >= 0; i--) {
      const b = this.pool[i]!;
      if (b.length >= size) {
        this.pool.splice(i, 1);
        return b;
      }
    }
    // Not zeroed: every byte of the frame is written before it is sent (a browser has no Buffer: zeroed there).
    return typeof Buffer === 'function' ? Buffer.allocUnsafeSlow(size) : new Uint8Array(size);
  }

  private give(buffer: Uint8Array): void {
    if (this.pool.length < POOL_MAX) this.pool.push(buffer);
  }

  /**
   * The next frame (a PAGES frame's page data are views, good until the next
   * receive(): write them, do not keep them). Throws a LinkError when the stream ends (between frames),
   * a ProtocolError for a frame that cannot be read or a stream cut inside a
   * frame, and a PeerError for ERROR and CANCEL frames.
   */
  async receive(): Promise<Frame> {
    for (;;) {
      const f = this.reader.next();
      if (f) {
        if (f.type === FrameType.ERROR) throw new PeerError(`the peer gave up: ${f.reason}`);
        if (f.type === FrameType.CANCEL) throw new PeerError(`the peer cancelled: ${f.reason}`);
        return f;
      }
      const bytes = await this.transport.read();
      if (bytes === null) {
        this.reader.end();
        throw new LinkError('the connection closed');
      }
      this.reader.push(bytes);
    }
  }

  /**
   * After the link failed under a sender (a write refused): the ERROR or
   * CANCEL the peer sent before it closed, if it is among what already
   * arrived. A sender that only writes (the source in pre-copy) reads
   * nothing until the next reply it expects, so without this a destination
   * that refused a frame and hung up would pass for a broken link. Waits at
   * most `waitMs` for the end of the stream.
   */
  async lastWords(waitMs: number): Promise<PeerError | undefined> {
    let done = false;
    const read = (async (): Promise<PeerError | undefined> => {
      try {
        while (!done) await this.receive();
      } catch (e) {
        if (e instanceof PeerError) return e;
      }
      return undefined;
    })();
    const timeout = this.clock.sleep(waitMs).then(() => undefined);
    const words = await Promise.race([read, timeout]);
    done = true;
    return words;
  }

  /** Tell the peer why (best effort), then close. */
  async fail(type: FrameType.ERROR | FrameType.CANCEL, reason: string): Promise<void> {
    if (!this.closed) {
      try {
        await Promise.race([this.send({ type, reason }), this.clock.sleep(1000)]);
      } catch {
        // the link is already gone: nobody to tell
      }
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}
