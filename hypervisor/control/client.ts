/**
 * The typed client stub: every CLI command (and a source daemon talking to a
 * destination) reaches a daemon through this. One method per operation, the
 * parameter and result types straight from protocol.ts.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { formatAddress, type Address } from './address.js';
import { ControlError } from './control-error.js';
import { LineReader, sendLine } from './lines.js';
import { lineTooLong } from './line-budget.js';
import {
  PROTOCOL_VERSION,
  parseServerMessage,
  type DaemonInfo,
  type MigrateParams,
  type OpName,
  type Params,
  type RecoverParams,
  type Result,
  type StreamEvent,
  type VmInfo,
  type VmStatsInfo,
} from './protocol.js';
import { connectOptions as tlsOptions, tlsError, type ClientTls } from './tls.js';

export interface ClientOptions {
  readonly address: Address;
  readonly token: string;
  /** Who we are, for the daemon's log. */
  readonly client?: string;
  /** Give up connecting (and on the hello) after this long. */
  readonly connectTimeoutMs?: number;
  /** Connect with TLS (see tls.ts). */
  readonly tls?: ClientTls;
}

/** A request in flight: its result, and for streams a way to end it early. */
export interface Call<K extends OpName> {
  readonly id: number;
  readonly result: Promise<Result<K>>;
  cancel(): void;
}

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly onEvent: ((e: StreamEvent) => void) | undefined;
  /** On success the socket stops carrying lines at once (before the next byte is read as one). */
  readonly becomesChannel?: boolean;
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private reader: LineReader | undefined;
  private closedWith: ControlError | undefined;
  /** Called once when the connection ends, with why (undefined: we closed it). */
  onClose: ((error: ControlError | undefined) => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly daemon: DaemonInfo,
  ) {}

  /** Connect and authenticate. Rejects with a ControlError that says what to do about it. */
  static connect(options: ClientOptions): Promise<ControlClient> {
    const where = formatAddress(options.address);
    return new Promise((resolve, reject) => {
      const { host, port } = options.address;
      const socket = options.tls ? tlsConnect(tlsOptions(host, port, options.tls)) : tcpConnect({ host, port });
      socket.setNoDelay(true);
      let settled = false;
      const timer = setTimeout(() => fail(new ControlError('timeout', `no answer from a daemon at ${where} within ${options.connectTimeoutMs ?? 10_000} ms`)), options.connectTimeoutMs ?? 10_000);
      const fail = (e: ControlError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reader.detach();
        socket.destroy();
        reject(e);
      };
      const reader = new LineReader(
        socket,
        (line) => {
          if (settled) return;
          const m = parseServerMessage(line);
          if (typeof m === 'string') return fail(new ControlError('protocol', `${where} does not speak the typevisor control protocol (${m})`));
          if (m.type === 'refused') return fail(new ControlError('refused', `the daemon at ${where} refused the connection: ${m.reason}`, undefined, m.code));
          if (m.type !== 'welcome') return fail(new ControlError('protocol', `${where} answered the hello with a ${m.type}`));
          settled = true;
          clearTimeout(timer);
          reader.detach();
          socket.off('error', onError);
          socket.off('close', onEarlyClose);
          const client = new ControlClient(socket, where, m.daemon);
          client.listen();
          resolve(client);
        },
        () => fail(new ControlError('protocol', `${where} sent a line longer than the protocol allows`)),
      );
      const onError = (e: NodeJS.ErrnoException): void => fail(connectionError(where, e, options.tls !== undefined));
      const onEarlyClose = (): void => fail(new ControlError('connection', `the daemon at ${where} closed the connection before answering`));
      socket.on('error', onError);
      socket.on('close', onEarlyClose);
      socket.on(options.tls ? 'secureConnect' : 'connect', () => sendLine(socket, { type: 'hello', version: PROTOCOL_VERSION, token: options.token, client: options.client ?? 'cli' }));
    });
  }

  private listen(): void {
    this.reader = new LineReader(
      this.socket,
      (line) => this.receive(line),
      () => this.end(new ControlError('protocol', `${this.address} sent a line longer than the protocol allows`)),
    );
    this.socket.resume();
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.end(connectionError(this.address, e)));
    this.socket.on('close', () => this.end(new ControlError('connection', `the connection to the daemon at ${this.address} closed`)));
  }

  private receive(line: string): void {
    const m = parseServerMessage(line);
    if (typeof m === 'string') return this.end(new ControlError('protocol', `${this.address} sent a bad message: ${m}`));
    if (m.type === 'event') {
      this.pending.get(m.id)?.onEvent?.(m.event);
      return;
    }
    if (m.type !== 'response') return;
    // id -1: the daemon could not tell which request a line was (it was not one); it says why before it closes.
    if (m.id === -1 && !m.ok) return this.end(new ControlError(m.error.code, `the daemon at ${this.address} refused a message: ${m.error.message}`));
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok && p.becomesChannel) this.handOver();
    if (m.ok) p.resolve(m.result);
    else p.reject(new ControlError(m.error.code, m.error.message, m.error.movedTo));
  }

  private end(error: ControlError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.socket.destroy();
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.onClose?.(error);
  }

  /** Send a request; events of a streaming operation go to `onEvent`. */
  call<K extends OpName>(op: K, params: Params<K>, onEvent?: (e: StreamEvent) => void): Call<K> {
    const id = this.nextId++;
    const result = new Promise<Result<K>>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      // Measured here: the daemon would drop an overlong line and the connection with it.
      const line = JSON.stringify({ type: 'request', id, op, params });
      const tooLong = lineTooLong(op, Buffer.byteLength(line) + 1);
      if (tooLong) return reject(new ControlError('bad-request', tooLong));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent });
      if (!this.socket.destroyed && this.socket.writable) this.socket.write(line + '\n');
    });
    return { id, result, cancel: () => void sendLine(this.socket, { type: 'cancel', id }) };
  }

  request<K extends OpName>(op: K, params: Params<K>): Promise<Result<K>> {
    return this.call(op, params).result;
  }

  // ---- one method per operation ----------------------------------------------------

  info(): Promise<DaemonInfo> {
    return this.request('daemon.info', {});
  }

  start(params: Params<'vm.start'>): Promise<VmInfo> {
    return this.request('vm.start', params);
  }

  async list(): Promise<readonly VmInfo[]> {
    return (await this.request('vm.list', {})).vms;
  }

  stats(name: string): Promise<VmStatsInfo> {
    return this.request('vm.stats', { name });
  }

  stop(name: string): Promise<VmInfo> {
    return this.request('vm.stop', { name });
  }

  pause(name: string): Promise<VmInfo> {
    return this.request('vm.pause', { name });
  }

  resume(name: string): Promise<VmInfo> {
    return this.request('vm.resume', { name });
  }

  /** Follow a VM's console; `onData` gets its output bytes (and their offset, when the daemon says). */
  console(name: string, history: boolean, onData: (bytes: Uint8Array, at: number | undefined) => void, since?: number): Call<'vm.console'> {
    return this.call('vm.console', { name, history, ...(since !== undefined ? { since } : {}) }, (e) => {
      if (e.kind === 'console') onData(Buffer.from(e.data, 'base64'), e.at);
    });
  }

  input(name: string, bytes: Uint8Array | null): Promise<Result<'vm.input'>> {
    return this.request('vm.input', { name, data: bytes === null ? null : Buffer.from(bytes).toString('base64') });
  }

  migrate(params: MigrateParams, onEvent: (e: StreamEvent) => void): Call<'migrate'> {
    return this.call('migrate', params, onEvent);
  }

  recover(params: RecoverParams, onEvent: (e: StreamEvent) => void): Call<'migrate.recover'> {
    return this.call('migrate.recover', params, onEvent);
  }

  abandon(name: string, reason: string): Promise<VmInfo> {
    return this.request('migration.abandon', { name, reason });
  }

  /**
   * Turn this connection into a migration channel: after `migration.incoming`
   * succeeds, the socket is the engine's. The client is done.
   */
  async openMigrationChannel(params: Params<'migration.incoming'>): Promise<Socket> {
    return this.openChannel('migration.incoming', params);
  }

  /**
   * Hand a migrated guest's connection events to the daemon it went to; with
   * a socket (`carried`, `new`), this connection then carries that
   * connection's bytes and the client is done.
   */
  async attachNet(params: Params<'vm.net.attach'>): Promise<Socket | undefined> {
    if (params.socket === 'none') {
      await this.request('vm.net.attach', params);
      return undefined;
    }
    return this.openChannel('vm.net.attach', params);
  }

  private async openChannel<K extends 'migration.incoming' | 'vm.net.attach'>(op: K, params: Params<K>): Promise<Socket> {
    await new Promise<unknown>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject, onEvent: undefined, becomesChannel: true });
      sendLine(this.socket, { type: 'request', id, op, params });
    });
    return this.socket;
  }

  private handOver(): void {
    this.reader?.detach();
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.closedWith = new ControlError('connection', 'the connection became a migration channel');
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
  }

  close(): void {
    if (this.closedWith) return;
    this.closedWith = new ControlError('connection', 'closed');
    this.onClose = undefined;
    this.socket.end();
    this.socket.destroySoon?.();
    for (const p of this.pending.values()) p.reject(this.closedWith);
    this.pending.clear();
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }
}

function connectionError(where: string, e: NodeJS.ErrnoException, tls = false): ControlError {
  const tlsProblem = tlsError(where, e, tls);
  if (tlsProblem !== undefined) return new ControlError('connection', tlsProblem);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new ControlError('no-daemon', `no daemon is listening at ${where} (start one with: typevisor serve --listen ${where})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ControlError('unreachable', `cannot resolve the host in ${where}`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ControlError('connection', `the daemon at ${where} dropped the connection`);
    default:
      return new ControlError('connection', `${where}: ${e.message}`);
  }
}
