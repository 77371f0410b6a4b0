/**
 * The guest's network device as a host TCP socket, owned by the main thread.
 *
 *   --net-listen ADDR   the host listens on ADDR; the first peer to connect is
 *                       the guest's connection, and while it lasts any other
 *                       is refused (closed at once). When it ends, the next
 *                       peer may connect.
 *   --net-connect ADDR  the host connects to ADDR once, at boot; when that
 *                       connection ends (or cannot be made) no other comes.
 *
 * A listener binds to loopback unless told otherwise: a bare PORT means
 * 127.0.0.1:PORT, and a non-loopback address must be allowed explicitly
 * (whoever can reach it can talk to the guest). Port 0 asks the host for a
 * free port; `address` says which it gave.
 *
 * Bytes flow both ways as they come: from the socket to the guest through the
 * monitor (NetPeer), and from the guest to the socket with send(). Half-open
 * connections are not kept: when the peer finishes sending, the connection is
 * over for the guest too (its STATUS says closed).
 */
import { connect, createServer, isIP, type Server, type Socket } from 'node:net';

export class NetAddressError extends Error {
  override readonly name = 'NetAddressError';
}

export interface NetAddress {
  readonly host: string;
  readonly port: number;
}

/** Where the guest's connection events go (the monitor, which posts them to the vCPU). */
export interface NetPeer {
  connected(): void;
  data(bytes: Uint8Array): void;
  /** `final`: no other connection will ever come. */
  closed(final: boolean): void;
}

export interface NetCounters {
  readonly mode: 'listen' | 'connect';
  readonly address: string;
  readonly connections: number;
  readonly refused: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bytes the guest sent while no socket could take them. */
  readonly dropped: number;
}

/** `HOST:PORT`, `[IPV6]:PORT`, or a bare `PORT` (on 127.0.0.1). */
export function parseNetAddress(text: string): NetAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:\s]+):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new NetAddressError(`${JSON.stringify(text)} is not an address: give HOST:PORT (e.g. 127.0.0.1:7000), [::1]:PORT or a PORT`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Why a listener may not bind there without being allowed to. */
export function notLoopback(addr: NetAddress): NetAddressError {
  return new NetAddressError(`${formatAddress(addr)} is not a loopback address: anyone who can reach it could talk to the guest (add --net-public to listen there anyway)`);
}

export function formatAddress(a: NetAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

type Pending = { readonly kind: 'connected' } | { readonly kind: 'data'; readonly bytes: Uint8Array } | { readonly kind: 'closed'; readonly final: boolean };

export class HostNet {
  connections = 0;
  refused = 0;
  bytesIn = 0;
  bytesOut = 0;
  dropped = 0;
  private socket: Socket | undefined;
  private peer: NetPeer | undefined;
  /** Events from before the monitor attached (a peer may connect before the guest boots). */
  private readonly early: Pending[] = [];
  private server: Server | undefined;

  private constructor(readonly mode: 'listen' | 'connect', public address: NetAddress, private readonly log: (line: string) => void) {}

  /** Listen on `addr` (loopback unless `allowRemote`); resolves once listening, with the bound address. */
  static async listen(addr: NetAddress, log: (line: string) => void, allowRemote = false): Promise<HostNet> {
    if (!allowRemote && !isLoopback(addr.host)) throw notLoopback(addr);
    const net = new HostNet('listen', addr, log);
    const server = createServer({ allowHalfOpen: false }, (s) => net.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new NetAddressError(`cannot listen on ${formatAddress(addr)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      server.listen(addr.port, addr.host, () => resolve());
    });
    const bound = server.address();
    if (bound && typeof bound === 'object') net.address = { host: bound.address, port: bound.port };
    net.server = server;
    return net;
  }

  /** Connect to `addr` (in the background: a failure is a closed connection, and a line in the log). */
  static connect(addr: NetAddress, log: (line: string) => void): HostNet {
    const net = new HostNet('connect', addr, log);
    const s = connect({ host: addr.host, port: addr.port, allowHalfOpen: false });
    s.once('connect', () => net.take(s, true));
    s.once('error', (e) => {
      if (net.socket === s) return; // a connected socket's error: 'close' follows
      log(`net: cannot connect to ${formatAddress(addr)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
      net.emit({ kind: 'closed', final: true });
    });
    return net;
  }

  /**
   * Connect to `addr` and resolve once connected; reject with NetAddressError
   * when the peer cannot be reached. For `boot --net-connect`: a guest booted
   * toward a closed port would only ever see a closed connection, so the
   * command says so and boots nothing.
   */
  static async connectFirst(addr: NetAddress, log: (line: string) => void): Promise<HostNet> {
    const net = new HostNet('connect', addr, log);
    const s = connect({ host: addr.host, port: addr.port, allowHalfOpen: false });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'ECONNREFUSED' ? 'connection refused (is anything listening there?)' : code ?? e.message;
        reject(new NetAddressError(`cannot connect to ${formatAddress(addr)}: ${why}`));
      });
    });
    net.take(s, true);
    return net;
  }

  /** Start delivering events to the monitor (those that came before first). */
  attach(peer: NetPeer): void {
    this.peer = peer;
    for (const e of this.early.splice(0)) this.deliver(e);
  }

  /** Bytes from the guest. */
  send(bytes: Uint8Array): void {
    const s = this.socket;
    if (!s || !s.writable) {
      this.dropped += bytes.length;
      return;
    }
    this.bytesOut += bytes.length;
    s.write(bytes);
  }

  /** Close the listener and the connection. */
  async close(): Promise<void> {
    this.peer = undefined;
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      // Let what the guest sent go out; a peer that never closes its side gets a second.
      await new Promise<void>((r) => {
        const t = setTimeout(() => s.destroy(), 1000);
        s.once('close', () => {
          clearTimeout(t);
          r();
        });
        s.end();
      });
    }
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  counters(): NetCounters {
    return { mode: this.mode, address: formatAddress(this.address), connections: this.connections, refused: this.refused, bytesIn: this.bytesIn, bytesOut: this.bytesOut, dropped: this.dropped };
  }

  private accept(s: Socket): void {
    if (this.socket || !this.server) {
      this.refused++;
      this.log(`net: refused a connection from ${s.remoteAddress}:${s.remotePort}: the guest has one already`);
      s.destroy();
      return;
    }
    this.take(s, false);
  }

  /** `s` is the guest's connection now. */
  private take(s: Socket, final: boolean): void {
    this.socket = s;
    this.connections++;
    s.setNoDelay(true);
    this.emit({ kind: 'connected' });
    s.on('data', (b: Buffer) => {
      this.bytesIn += b.length;
      this.emit({ kind: 'data', bytes: new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) });
    });
    s.on('error', () => undefined); // 'close' follows and says it all
    s.once('close', () => {
      if (this.socket === s) this.socket = undefined;
      this.emit({ kind: 'closed', final });
    });
  }

  private emit(e: Pending): void {
    if (this.peer) this.deliver(e);
    else if (this.server || this.mode === 'connect') this.early.push(e);
  }

  private deliver(e: Pending): void {
    const p = this.peer!;
    if (e.kind === 'connected') p.connected();
    else if (e.kind === 'data') p.data(e.bytes);
    else p.closed(e.final);
  }
}
