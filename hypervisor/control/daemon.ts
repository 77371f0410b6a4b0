/**
 * The daemon behind `typevisor serve`: a TCP server speaking the control
 * protocol in front of a VmHost. Each connection must open with a hello that
 * carries the shared token; anything else, or a wrong token, is refused with
 * a reason and the socket closed. Operations are checked here (parameters
 * and their types) and carried out by the host and the migration driver.
 *
 * Before its hello is accepted a connection costs the daemon little: at most
 * MAX_UNAUTHENTICATED of them at once (more are refused as busy), each may
 * send HELLO_MAX_BYTES before its hello (more is refused), and each has
 * helloTimeoutMs to say it. Only a connection that presented the token may
 * send the long lines (a kernel image, MAX_LINE_BYTES) requests need.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { formatAddress, type Address } from './address.js';
import { ControlError, type ControlErrorCode } from './control-error.js';
import { LineReader, sendLine } from './lines.js';
import {
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  parseClientMessage,
  type ControlFailure,
  type DaemonInfo,
  type ErrorCode,
  type OpName,
  type Params,
  type Refused,
  type Request,
  type Result,
  type StreamEvent,
} from './protocol.js';
import { tokensMatch } from './token.js';
import { checkParams } from './params.js';
import { ConnectionScreen, type ServerTls } from './tls.js';
import { RefusalLog } from './refusal-log.js';

export interface DaemonOptions {
  readonly listen: Address;
  readonly token: string;
  /** One line per notable thing (connections refused, VMs started, migrations). */
  readonly log?: (line: string) => void;
  /** How long a new connection may take to say hello (default HELLO_TIMEOUT_MS). */
  readonly helloTimeoutMs?: number;
  /** Connections that have not said hello yet allowed at once (default MAX_UNAUTHENTICATED). */
  readonly maxUnauthenticated?: number;
  /** Require TLS (a client certificate too when it has a CA): see tls.ts. */
  readonly tls?: ServerTls;
}

/** How long a new connection may take to say hello, by default. */
export const HELLO_TIMEOUT_MS = 5_000;
/** Connections that have not yet said hello allowed at once, by default; more are refused (busy). */
export const MAX_UNAUTHENTICATED = 16;
/** "TM", little-endian: the first bytes of a migration frame (hypervisor/migration/protocol.ts). */
const MIGRATION_MAGIC = 0x4d54;
/** What a connection may send before its hello is accepted: the hello line. */
export const HELLO_MAX_BYTES = 4096;

/** What an operation's handler gets besides its parameters. */
export interface OpContext {
  /** Send an event on this request's stream. */
  emit(event: StreamEvent): void;
  /** Called when the client cancels this request, or its connection ends. */
  onCancel(handler: (why: 'cancel' | 'disconnect') => void): void;
  /** The connection's socket (migration.incoming takes it over). */
  readonly socket: Socket;
  /** Stop reading lines on this connection: the socket now belongs to someone else. */
  handOver(): void;
  /** Run once the response has been written (a handed-over socket's new owner starts here). */
  after(fn: () => void): void;
  /** HOST:PORT of the client. */
  readonly peer: string;
}

export type OpHandler<K extends OpName> = (params: Params<K>, ctx: OpContext) => Promise<Result<K>> | Result<K>;
export type OpHandlers = { readonly [K in OpName]: OpHandler<K> };

export class ControlDaemon {
  private readonly sessions = new Set<Socket>();
  /** Connections that have not been welcomed (or refused and closed) yet. */
  private unauthenticated = 0;
  /** Connections before their first byte (or in a TLS handshake): screened, not yet accepted. */
  private readonly screening = new Set<Socket>();
  private closing = false;
  private readonly screen: ConnectionScreen;
  /** Refusals, a flood of them counted rather than logged one by one. */
  private readonly refusals: RefusalLog;
  readonly info: DaemonInfo;

  private constructor(
    private readonly server: Server,
    private readonly options: DaemonOptions,
    readonly address: string,
    private readonly handlers: OpHandlers,
  ) {
    this.info = { version: PROTOCOL_VERSION, pid: process.pid, listen: address, startedAt: new Date().toISOString() };
    this.refusals = new RefusalLog((line) => this.log(line));
    this.screen = new ConnectionScreen(
      options.tls,
      (s) => {
        this.screening.delete(s);
        this.accept(s);
      },
      // The screen logs only refusals (TLS, plaintext, no first byte in time).
      (line) => this.refusals.refused(line),
      options.helloTimeoutMs ?? HELLO_TIMEOUT_MS,
    );
    server.on('connection', (s) => {
      // Before its first byte (or during a TLS handshake) a connection counts against the cap too.
      const max = this.options.maxUnauthenticated ?? MAX_UNAUTHENTICATED;
      if (this.screening.size + this.unauthenticated >= max) return this.refuseBusy(s, max);
      this.screening.add(s);
      s.once('close', () => this.screening.delete(s));
      this.screen.screen(s);
    });
  }

  /**
   * Listen. `makeHandlers` gets the daemon's own address (known only once
   * listening, when port 0 picked a free one) and returns what each operation does.
   */
  static start(options: DaemonOptions, makeHandlers: (address: string, info: () => DaemonInfo) => OpHandlers): Promise<ControlDaemon> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      server.once('error', reject);
      server.listen({ host: options.listen.host, port: options.listen.port, exclusive: true }, () => {
        server.off('error', reject);
        const a = server.address() as AddressInfo;
        const address = formatAddress({ host: a.address, port: a.port });
        let daemon: ControlDaemon | undefined;
        daemon = new ControlDaemon(server, options, address, makeHandlers(address, () => daemon!.info));
        resolve(daemon);
      });
    });
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Too many connections waiting to say hello: this one is told so and closed, nothing read from it. */
  private refuseBusy(socket: Socket, max: number): void {
    const peer = formatAddress({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    socket.on('error', () => {});
    // Nothing is read from it: its bytes stay in the kernel until it is gone.
    this.refusals.refused(`refused ${peer}: ${max} connections are already waiting to say hello`);
    sendLine(socket, { type: 'refused', code: 'busy', reason: `too many connections waiting to say hello (${max}); try again` } satisfies Refused);
    socket.pause();
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private accept(socket: Socket): void {
    if (this.closing) return void socket.destroy();
    const peer = formatAddress({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    socket.on('error', () => {});
    const maxUnauthenticated = this.options.maxUnauthenticated ?? MAX_UNAUTHENTICATED;
    if (this.unauthenticated + this.screening.size >= maxUnauthenticated) return this.refuseBusy(socket, maxUnauthenticated);
    this.sessions.add(socket);
    socket.setNoDelay(true);
    let authed = false;
    let pending = true;
    this.unauthenticated++;
    /** Not waiting for a hello any more: welcomed, or gone. */
    const settle = (): void => {
      if (!pending) return;
      pending = false;
      this.unauthenticated--;
      clearTimeout(helloTimer);
    };
    let ownedElsewhere = false;
    const streams = new Map<number, (why: 'cancel' | 'disconnect') => void>();
    const helloTimeoutMs = this.options.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    const helloTimer = setTimeout(() => refuse('bad-hello', `no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);

    let refused = false;
    const refuse = (code: Refused['code'], reason: string): void => {
      if (refused) return;
      refused = true;
      clearTimeout(helloTimer);
      this.refusals.refused(`refused ${peer}: ${reason}`);
      sendLine(socket, { type: 'refused', code, reason } satisfies Refused);
      reader.close();
      socket.pause();
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    };

    const reader = new LineReader(
      socket,
      (line) => {
        const m = parseClientMessage(line);
        if (!authed) {
          if (typeof m === 'string' || m.type !== 'hello') return refuse('bad-hello', 'the first message must be a hello with the token');
          if (!tokensMatch(this.options.token, m.token)) return refuse('bad-token', 'wrong token (give the daemon\'s token with --token or TYPEVISOR_TOKEN)');
          if (m.version !== PROTOCOL_VERSION) return refuse('bad-version', `protocol version ${m.version} is not spoken here (this daemon speaks ${PROTOCOL_VERSION})`);
          settle();
          authed = true;
          reader.limit = MAX_LINE_BYTES;
          sendLine(socket, { type: 'welcome', daemon: this.info });
          return;
        }
        if (typeof m === 'string') return void sendLine(socket, { type: 'response', id: -1, ok: false, error: { code: 'bad-request', message: m } });
        if (m.type === 'hello') return;
        if (m.type === 'cancel') return streams.get(m.id)?.('cancel');
        void this.dispatch(m, socket, peer, streams, () => {
          ownedElsewhere = true;
          reader.detach();
        });
      },
      () => {
        if (!authed) return refuse('bad-hello', `more than ${HELLO_MAX_BYTES} bytes before a hello`);
        this.log(`${peer}: a line longer than ${MAX_LINE_BYTES} bytes; connection closed`);
        sendLine(socket, { type: 'response', id: -1, ok: false, error: { code: 'bad-request', message: `a line longer than ${MAX_LINE_BYTES} bytes; the connection is closed` } });
        // end, not destroy: destroy would drop the answer before it is written, and the client would only see a closed socket.
        reader.close();
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      },
      HELLO_MAX_BYTES,
    );
    // A hello is a JSON line: a first byte that cannot begin one is refused now, not after the hello timeout.
    socket.once('data', (chunk: Buffer) => {
      const first = chunk.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
      if (authed || first === undefined || first === 0x7b /* { */) return;
      const what = chunk.length >= 2 && chunk.readUInt16LE(0) === MIGRATION_MAGIC ? 'a migration frame (a migration starts with migration.incoming on a connection that said hello)' : `a byte 0x${first.toString(16).padStart(2, '0')} that cannot begin a JSON line`;
      refuse('bad-hello', `the first message must be a hello with the token; this connection began with ${what}`);
    });
    socket.on('close', () => {
      settle();
      this.sessions.delete(socket);
      if (ownedElsewhere) return;
      reader.close();
      for (const cancel of [...streams.values()]) cancel('disconnect');
      streams.clear();
    });
  }

  private async dispatch(
    req: Request,
    socket: Socket,
    peer: string,
    streams: Map<number, (why: 'cancel' | 'disconnect') => void>,
    handOver: () => void,
  ): Promise<void> {
    const cancelHandlers: ((why: 'cancel' | 'disconnect') => void)[] = [];
    const afterResponse: (() => void)[] = [];
    streams.set(req.id, (why) => {
      for (const h of cancelHandlers.splice(0)) h(why);
    });
    const ctx: OpContext = {
      emit: (event) => void sendLine(socket, { type: 'event', id: req.id, event }),
      onCancel: (h) => void cancelHandlers.push(h),
      socket,
      handOver,
      after: (fn) => void afterResponse.push(fn),
      peer,
    };
    try {
      const problem = checkParams(req);
      if (problem) throw new ControlError('bad-request', `${req.op}: ${problem}`);
      const handler = this.handlers[req.op] as OpHandler<typeof req.op>;
      const result = await handler(req.params as never, ctx);
      sendLine(socket, { type: 'response', id: req.id, ok: true, result });
      for (const fn of afterResponse) {
        try {
          fn();
        } catch (e) {
          this.log(`${req.op}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        }
      }
    } catch (e) {
      const error = wireError(e);
      if (error.code === 'internal') this.log(`${req.op} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      sendLine(socket, { type: 'response', id: req.id, ok: false, error });
    } finally {
      streams.delete(req.id);
    }
  }

  /** Stop listening and close every connection. */
  close(): Promise<void> {
    this.closing = true;
    this.refusals.flush();
    this.screen.close();
    for (const s of this.sessions) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const CLIENT_SIDE: ReadonlySet<ControlErrorCode> = new Set<ControlErrorCode>(['no-daemon', 'refused', 'connection', 'protocol', 'timeout']);

/** An error as a response carries it: a client-side failure (reaching another daemon) is `unreachable` here. */
function wireError(e: unknown): ControlFailure {
  if (!(e instanceof ControlError)) return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
  return { code: CLIENT_SIDE.has(e.code) ? 'unreachable' : (e.code as ErrorCode), message: e.message, ...(e.movedTo !== undefined ? { movedTo: e.movedTo } : {}) };
}
