/**
 * Frames over a transport: numbered and sent in order (one at a time, so
 * concurrent senders never interleave), received and checked in order, and
 * — when the migration has a bandwidth cap — paced to it.
 */
import type { MigrationClock } from './clock.js';
import { LinkError, PeerError } from './error.js';
import { encodeFrame, FrameReader, FrameType, frameName, type Frame } from './protocol.js';
import type { Transport } from './transport.js';

export class Channel {
  private readonly reader = new FrameReader();
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
    const bytes = encodeFrame(frame, this.seq++);
    const run = async (): Promise<void> => {
      if (this.closed) throw new LinkError(`cannot send ${frameName(frame.type)}: the channel is closed`);
      const t0 = this.clock.now();
      await this.transport.write(bytes);
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
    return p;
  }

  /**
   * The next frame. Throws a LinkError when the stream ends (between frames),
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
