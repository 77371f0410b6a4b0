/**
 * A migration over TCP: a socket as a Transport. Writes resolve when the
 * socket has flushed them to the kernel, so a sender never queues more than
 * one frame in user space (and a post-copy fault's answer is not stuck
 * behind a long queue of pushed pages). Reading pauses the socket while too
 * much is buffered and unread.
 */
import { connect, type Socket } from 'node:net';
import { LinkError } from '../migration-error.js';
import type { Transport } from '../transport.js';

const HIGH_WATER = 64;

export class TcpTransport implements Transport {
  readonly description: string;
  /** A write's callback comes once libuv has written the bytes: the buffer is free again. */
  readonly releasesWrites = true;
  private readonly inbox: Uint8Array[] = [];
  private waiter: ((b: Uint8Array | null) => void) | undefined;
  private ended = false;
  private error: string | undefined;

  /** `alreadyRead`: bytes taken off the socket before it was handed over (the control plane's sniffing). */
  constructor(
    private readonly socket: Socket,
    alreadyRead?: Uint8Array,
  ) {
    this.description = `tcp ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (alreadyRead && alreadyRead.length > 0) this.inbox.push(alreadyRead);
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.length);
      const w = this.waiter;
      if (w) {
        this.waiter = undefined;
        w(bytes);
      } else {
        this.inbox.push(bytes);
        if (this.inbox.length >= HIGH_WATER) socket.pause();
      }
    });
    const end = (): void => {
      this.ended = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.(null);
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (e) => {
      this.error = e.message;
      end();
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.reject(new LinkError(`the connection is closed${this.error ? ` (${this.error})` : ''}`));
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(new LinkError(`the connection broke: ${err.message}`)) : resolve()));
    });
  }

  read(): Promise<Uint8Array | null> {
    const b = this.inbox.shift();
    if (b) {
      if (this.inbox.length < HIGH_WATER / 2 && this.socket.isPaused()) this.socket.resume();
      return Promise.resolve(b);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((r) => (this.waiter = r));
  }

  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A peer that never closes its side does not keep us waiting.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Drop the connection at once (tests: a pulled cable). */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Connect to a migration peer. */
export function connectTcp(host: string, port: number, timeoutMs = 5000): Promise<TcpTransport> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LinkError(`could not connect to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(new TcpTransport(socket));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new LinkError(`could not connect to ${host}:${port}: ${e.message}`));
    });
  });
}
