/**
 * JSON lines on a socket: split what arrives into lines, send one value per
 * line. The reader can be detached mid-stream — what it has buffered past the
 * last line goes back to the socket — because a migration channel starts as
 * lines and goes on as binary frames.
 */
import type { Socket } from 'node:net';
import { MAX_LINE_BYTES } from './protocol.js';

export class LineReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly onData = (chunk: Buffer): void => this.take(chunk);
  private detached = false;
  private closed = false;

  /**
   * The longest line taken, in bytes: a longer one (or that many bytes
   * without a newline) is dropped and onOverflow called. A daemon keeps it
   * small until the connection's hello is accepted.
   */
  limit: number;

  constructor(
    private readonly socket: Socket,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    limit = MAX_LINE_BYTES,
  ) {
    this.limit = limit;
    socket.on('data', this.onData);
  }

  private take(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      if (this.closed) return;
      if (this.detached) {
        // A line handler switched the channel over: the rest is not ours.
        if (start < chunk.length) this.socket.unshift(chunk.subarray(start));
        return;
      }
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      if (this.buffered + (nl - start) > this.limit) return this.overflow();
      const piece = chunk.subarray(start, nl);
      const line = this.chunks.length === 0 ? piece : Buffer.concat([...this.chunks, piece]);
      this.chunks = [];
      this.buffered = 0;
      start = nl + 1;
      const text = line.toString('utf8').replace(/\r$/, '');
      if (text.length > 0) this.onLine(text);
    }
    if (start < chunk.length) {
      this.buffered += chunk.length - start;
      if (this.buffered > this.limit) return this.overflow();
      this.chunks.push(chunk.subarray(start));
    }
  }

  private overflow(): void {
    this.chunks = [];
    this.buffered = 0;
    this.onOverflow();
  }

  /** Stop reading and drop whatever is buffered (the connection is refused or gone). */
  close(): void {
    this.closed = this.detached = true;
    this.socket.off('data', this.onData);
    this.chunks = [];
    this.buffered = 0;
  }

  /**
   * Stop reading lines; bytes after the last line are handed back to the
   * socket, which is left paused (nothing is lost while no one listens): the
   * new reader attaches its listener, then resumes it.
   */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.socket.off('data', this.onData);
    this.socket.pause();
    if (this.chunks.length > 0) this.socket.unshift(Buffer.concat(this.chunks));
    this.chunks = [];
    this.buffered = 0;
  }
}

/** Send one message as a line; false if the socket can no longer take it. */
export function sendLine(socket: Socket, message: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.write(JSON.stringify(message) + '\n');
  return true;
}
