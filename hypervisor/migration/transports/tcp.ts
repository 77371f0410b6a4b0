/**
 * A migration over TCP: a socket as a Transport. Writes resolve when the
 * socket has flushed them to the kernel, so a sender never queues more than
 * one frame in user space (and a post-copy fault's answer is not stuck
 * behind a long queue of pushed pages). Reading pauses the socket while too
 * much is buffered and unread.
 *
 * A peer that goes quiet — stopped, wedged, or a hostile one that sends a
 * valid prefix and then nothing — would hold a read (or a write the kernel
 * cannot flush) forever, and with it whatever the migration reserved. With
 * `idleMs`, a read or write that has waited that long with not one byte
 * moving either way fails with a LinkError saying so, and the socket is
 * dropped: the engine then does what it does for a broken link (abort before
 * the commit point, interrupted after it). Time spent *not* waiting (the
 * receiver busy writing pages into the guest) never counts: the clock starts
 * when the wait does.
 */
import { connect, type Socket } from 'node:net';
import { LinkError, QuietPeerError } from '../migration-error.js';
import type { Transport } from '../transport.js';

const HIGH_WATER = 64;

export interface TcpOptions {
  /** Fail a read or write that has waited this long with nothing moving (ms; default: wait for ever). */
  readonly idleMs?: number;
}

export class TcpTransport implements Transport {
  readonly description: string;
  /** A write's callback comes once libuv has written the bytes: the buffer is free again. */
  readonly releasesWrites = true;
  private readonly inbox: Uint8Array[] = [];
  private waiter: ((b: Uint8Array | null) => void) | undefined;
  private ended = false;
  private error: string | undefined;
  /** Idle watchdog: writes not yet flushed, when bytes last moved, the timer (armed only while waiting). */
  private writing = 0;
  private lastMoved = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private readonly idleMs: number;

  /** `alreadyRead`: bytes taken off the socket before it was handed over (the control plane's sniffing). */
  constructor(
    private readonly socket: Socket,
    alreadyRead?: Uint8Array,
    options: TcpOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 0;
    this.description = `tcp ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (alreadyRead && alreadyRead.length > 0) this.inbox.push(alreadyRead);
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      this.lastMoved = performance.now();
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
      this.disarm();
      const w = this.waiter;
      this.waiter = undefined;
      w?.(null);
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (e) => {
      if (!this.idleFailed) this.error = e.message;
      end();
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return Promise.reject(this.idleFailed ? new QuietPeerError(this.error!) : new LinkError(`the connection is closed${this.error ? ` (${this.error})` : ''}`));
    this.waiting();
    this.writing++;
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => {
        this.writing--;
        this.lastMoved = performance.now();
        if (err) reject(this.idleFailed ? new QuietPeerError(this.error!) : new LinkError(`the connection broke: ${err.message}`));
        else resolve();
      });
    });
  }

  read(): Promise<Uint8Array | null> {
    const b = this.inbox.shift();
    if (b) {
      if (this.inbox.length < HIGH_WATER / 2 && this.socket.isPaused()) this.socket.resume();
      return Promise.resolve(b);
    }
    if (this.ended) return this.idleFailed ? Promise.reject(new QuietPeerError(this.error!)) : Promise.resolve(null);
    this.waiting();
    return new Promise((resolve, reject) => {
      this.waiter = (b) => (b === null && this.idleFailed ? reject(new QuietPeerError(this.error!)) : resolve(b));
    });
  }

  /** True once the watchdog dropped the connection (reads then say why, not just "closed"). */
  private idleFailed = false;

  /** A read or write starts waiting: arm the watchdog (a wait after a busy spell starts the clock afresh). */
  private waiting(): void {
    if (this.idleMs <= 0 || this.ended) return;
    // Nothing was waiting until now: the clock starts now, whatever the last byte's age (a timer armed earlier checks against this).
    if (this.waiter === undefined && this.writing === 0) this.lastMoved = performance.now();
    if (this.watchdog !== undefined) return;
    this.watchdog = setTimeout(() => this.check(), this.idleMs);
    this.watchdog.unref?.();
  }

  private check(): void {
    this.watchdog = undefined;
    if (this.ended) return;
    if (this.waiter === undefined && this.writing === 0) return; // not waiting: nothing to time
    const quiet = performance.now() - this.lastMoved;
    if (quiet < this.idleMs) {
      this.watchdog = setTimeout(() => this.check(), this.idleMs - quiet);
      this.watchdog.unref?.();
      return;
    }
    this.idleFailed = true;
    this.error = `the peer went quiet: nothing moved on the connection for ${formatSeconds(this.idleMs)} (idle timeout)`;
    this.socket.destroy();
  }

  private disarm(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  close(): void {
    this.disarm();
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

/** 30000 → "30 s", 1500 → "1.5 s", 250 → "250 ms". */
function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(3)} s`;
}
