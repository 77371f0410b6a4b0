/**
 * A daemon VM's network device, the host's end of it: a TCP listener (one
 * peer at a time, as `boot --monitor hosted --net-listen` has it) or one
 * outgoing connection, owned by the daemon's main thread. The VM's device
 * sees connection events (connected, bytes, closed) through Guest.netEvent;
 * what it transmits comes back through the sink given to the monitor.
 *
 * The connection may also be one another daemon relays (control/home-agent.ts):
 * after a migration the source keeps the client's socket and relays its bytes
 * over a control connection turned raw (`vm.net.attach`); to this file that is
 * a socket like any other.
 *
 * Moving a VM out (migrations.ts drives it):
 *   hold()      the guest is paused for the last time: events stop reaching
 *               it — the socket is paused, anything already on its way is
 *               kept — and the events its monitor had not delivered to the
 *               device yet are taken back. The device's own queue is in the
 *               VM state; everything else is in `held`, in order.
 *   release()   the migration failed: the held events go to the guest, in
 *               order, and the socket flows again. Nothing was lost or sent twice.
 *   handOff()   the guest runs elsewhere: the held events, the socket and the
 *               listener leave this object (to a HomeAgent).
 * Arriving:
 *   expectCarried()  the guest's device believes it is connected, but its
 *               connection is still on its way (the source relays it): what
 *               it transmits meanwhile waits here (bounded), then goes first.
 *   attach()    the events and the socket from the source.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Guest, NetEvent } from '../core/host.js';
import { AddressError, formatAddress, isLoopback, parseAddress } from './address.js';
import { ControlError } from './control-error.js';
import type { NetSpec } from './protocol.js';

/** What a guest may transmit while its connection is on its way to it; more is dropped (and counted). */
export const AWAIT_CARRIED_BYTES = 16 * 1024 * 1024;

/** What leaves with a VM: its device's undelivered events, its connection, its listener. */
export interface NetHandOff {
  readonly events: NetEvent[];
  readonly connection: Socket | undefined;
  readonly listener: Server | undefined;
  /** Where the listener listens (HOST:PORT), if there is one. */
  readonly listen: string | undefined;
}

export class VmNet {
  connections = 0;
  refused = 0;
  bytesIn = 0;
  bytesOut = 0;
  dropped = 0;
  private conn: Socket | undefined;
  private server: Server | undefined;
  /** Events for a guest not on its host yet (an arriving VM before the engine made it). */
  private early: NetEvent[] = [];
  /** While the VM moves out: events kept from it. */
  private held: NetEvent[] | undefined;
  /** While a carried connection is on its way: what the guest transmitted meanwhile. */
  private awaiting: Uint8Array[] | undefined;
  private awaitingBytes = 0;
  private done = false;

  private constructor(
    readonly name: string,
    readonly mode: 'listen' | 'connect',
    /** Where it listens, or what it connects to (HOST:PORT). */
    public address: string,
    private readonly guestOf: () => Guest | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Cable a VM as `spec` says: listening (bound before this resolves) or
   * connecting (in the background; not at all without `dial`: a VM arriving
   * by migration keeps the connection its source made, relayed).
   */
  static async open(name: string, spec: NetSpec, guestOf: () => Guest | undefined, log: (line: string) => void, dial = true): Promise<VmNet> {
    let addr;
    try {
      addr = parseAddress(spec.address, spec.mode === 'listen');
    } catch (e) {
      if (e instanceof AddressError) throw new ControlError('bad-request', `--net-${spec.mode}: ${e.message}`);
      throw e;
    }
    const net = new VmNet(name, spec.mode, formatAddress(addr), guestOf, log);
    if (spec.mode === 'connect') {
      if (!dial) return net;
      const s = connect({ host: addr.host, port: addr.port });
      s.once('connect', () => net.take(s, true));
      s.once('error', (e: NodeJS.ErrnoException) => {
        if (net.conn === s) return; // a connected socket's error: 'close' follows
        log(`${name}: net: cannot connect to ${net.address}: ${e.code ?? e.message}`);
      });
      return net;
    }
    if (!spec.public && !isLoopback(addr.host)) throw new ControlError('bad-request', `--net-listen ${formatAddress(addr)} is not a loopback address: anyone who can reach it could talk to the guest (add --net-public to listen there anyway)`);
    const server = createServer({ allowHalfOpen: false, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new ControlError('bad-request', `${name}: cannot listen on ${formatAddress(addr)}: ${e.code ?? e.message}`)));
      server.listen(addr.port, addr.host, () => resolve());
    });
    server.on('error', () => {});
    const bound = server.address();
    if (bound && typeof bound === 'object') net.address = formatAddress({ host: bound.address, port: bound.port });
    server.on('connection', (s) => net.accept(s));
    net.server = server;
    return net;
  }

  /** A peer for the guest: taken if it has none, else turned away. */
  accept(s: Socket): void {
    if (this.conn || this.done) {
      this.refused++;
      this.log(`${this.name}: net: refused a connection from ${s.remoteAddress}:${s.remotePort}: the guest has one already`);
      s.destroy();
      return;
    }
    this.take(s, true);
  }

  /** Bytes the guest's device transmitted. */
  fromGuest(bytes: Uint8Array): void {
    const s = this.conn;
    if (s && s.writable) {
      this.bytesOut += bytes.length;
      s.write(bytes);
    } else if (this.awaiting && this.awaitingBytes + bytes.length <= AWAIT_CARRIED_BYTES) {
      this.awaiting.push(bytes.slice());
      this.awaitingBytes += bytes.length;
    } else this.dropped += bytes.length;
  }

  // ---- moving out ------------------------------------------------------------------

  /** The guest leaves (paused for the last time here): keep its events from it, and take back those it has not had. */
  async hold(guest: Guest): Promise<void> {
    if (this.held) return;
    this.held = [];
    this.conn?.pause();
    const pending = await guest.takeNetPending();
    this.held = [...this.early.splice(0), ...pending, ...this.held];
  }

  /** The guest stays: what was held goes to it, in order, and the connection flows again. */
  release(guest: Guest): void {
    const events = this.held ?? [];
    this.held = undefined;
    for (const e of events) guest.netEvent(e);
    this.conn?.resume();
  }

  /** The guest runs elsewhere: everything goes with it; this object is spent. */
  handOff(): NetHandOff {
    const out: NetHandOff = { events: this.held ?? [], connection: this.conn, listener: this.server, listen: this.server ? this.address : undefined };
    this.conn?.pause();
    this.conn?.removeAllListeners('data');
    this.conn?.removeAllListeners('close');
    this.server?.removeAllListeners('connection');
    this.held = undefined;
    this.conn = undefined;
    this.server = undefined;
    this.done = true;
    return out;
  }

  // ---- arriving ----------------------------------------------------------------------

  /** Its connection is on its way: keep what the guest sends until it comes. */
  expectCarried(): void {
    this.awaiting = [];
    this.awaitingBytes = 0;
  }

  /** From the daemon it left: events for the device, then perhaps a connection (carried: already connected for the guest). */
  attach(events: readonly NetEvent[], socket: Socket | undefined, kind: 'carried' | 'new' | 'none'): void {
    for (const e of events) this.emit(e);
    if (kind === 'carried' && socket) return this.take(socket, false);
    this.dropAwaiting();
    if (kind === 'new' && socket) this.accept(socket);
  }

  /** Close the listener and the connection (the VM is stopped or gone). */
  close(): void {
    this.done = true;
    this.server?.close();
    this.server = undefined;
    this.conn?.end();
    this.conn = undefined;
  }

  /** For vm list and vm stats. */
  describe(): string {
    const where = this.mode === 'listen' ? `listening on ${this.address}` : `connecting to ${this.address}`;
    const conns = `${this.connections} connection${this.connections === 1 ? '' : 's'}${this.conn ? ' (1 open)' : ''}, ${this.refused} refused`;
    return `${where}: ${conns}; ${this.bytesIn} bytes in, ${this.bytesOut} bytes out${this.dropped > 0 ? `, ${this.dropped} dropped` : ''}`;
  }

  // ---- inside ------------------------------------------------------------------------

  /** `s` is the guest's connection now. */
  private take(s: Socket, announce: boolean): void {
    this.conn = s;
    this.connections++;
    s.setNoDelay(true);
    s.on('error', () => {}); // 'close' follows and says it all
    if (announce) this.emit({ kind: 'connected' });
    if (this.awaiting) {
      for (const b of this.awaiting) {
        this.bytesOut += b.length;
        s.write(b);
      }
      this.awaiting = undefined;
      this.awaitingBytes = 0;
    }
    s.on('data', (b: Buffer) => {
      this.bytesIn += b.length;
      this.emit({ kind: 'data', bytes: new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) });
    });
    s.once('close', () => {
      if (this.conn !== s) return;
      this.conn = undefined;
      this.emit({ kind: 'closed' });
    });
    if (!this.held) s.resume();
  }

  private dropAwaiting(): void {
    if (!this.awaiting) return;
    this.dropped += this.awaitingBytes;
    this.awaiting = undefined;
    this.awaitingBytes = 0;
  }

  private emit(e: NetEvent): void {
    if (this.held) return void this.held.push(e);
    const guest = this.guestOf();
    if (!guest) return void this.early.push(e);
    for (const x of this.early.splice(0)) guest.netEvent(x);
    guest.netEvent(e);
  }
}
