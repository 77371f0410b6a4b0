/**
 * TLS for the control protocol (and the migration channels it opens).
 *
 * Daemon side: every accepted TCP connection is screened before the control
 * protocol sees it. Its first byte tells a TLS ClientHello (0x16, a handshake
 * record) from a plaintext hello (`{`), so each side can say what went wrong
 * instead of hanging:
 *   - a TLS daemon answering a plaintext client sends a plaintext `refused`
 *     line ("this daemon requires TLS") and closes;
 *   - a plaintext daemon receiving a ClientHello closes at once, and the
 *     client reports that the daemon does not speak TLS.
 * A TLS connection is handed to a `tls.Server` that never listens (its
 * 'connection' event, as `net.Server` would emit it), which does the
 * handshake, asks for and checks a client certificate when a CA is given
 * (mutual TLS), and gives the daemon the TLSSocket once it is secure.
 *
 * Client side: `connectOptions` for `tls.connect`, and `tlsError` turning
 * OpenSSL's codes into a sentence that says which side refused and why.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Server as TlsServer, createSecureContext, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { formatAddress } from './address.js';
import type { Refused } from './protocol.js';

export const TLS_CA_ENV = 'TYPEVISOR_TLS_CA';
export const TLS_CERT_ENV = 'TYPEVISOR_TLS_CERT';
export const TLS_KEY_ENV = 'TYPEVISOR_TLS_KEY';

/** PEM contents. A daemon needs cert and key; ca makes it require client certificates. */
export interface TlsCredentials {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

/** What a client gives tls.connect; `ca` absent: the system's roots. */
export type ClientTls = TlsCredentials;

export interface ServerTls extends TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export class TlsConfigError extends Error {}

/** Paths of PEM files, as options name them. */
export interface TlsFiles {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly ca?: string | undefined;
}

/**
 * Read the files and check that they make a usable context (a key that
 * matches its certificate, PEM that parses). `what` names the options in
 * messages ("--tls-cert"...).
 */
export function loadTls(files: TlsFiles, names: { cert: string; key: string; ca: string }): TlsCredentials | undefined {
  if (files.cert === undefined && files.key === undefined && files.ca === undefined) return undefined;
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new TlsConfigError(files.cert === undefined ? `${names.key} needs ${names.cert} (the certificate that goes with the key)` : `${names.cert} needs ${names.key} (the certificate's private key)`);
  }
  const read = (path: string | undefined, name: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new TlsConfigError(`${name}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  };
  const creds = { cert: read(files.cert, names.cert), key: read(files.key, names.key), ca: read(files.ca, names.ca) };
  try {
    if (creds.ca) createSecureContext({ ca: creds.ca });
  } catch (e) {
    throw new TlsConfigError(`${names.ca}: ${files.ca} is not a usable CA certificate (${(e as Error).message})`);
  }
  try {
    if (creds.cert) createSecureContext({ cert: creds.cert, key: creds.key });
  } catch (e) {
    throw new TlsConfigError(`${names.cert}/${names.key}: ${files.cert} and ${files.key} do not make a usable certificate and key (${(e as Error).message})`);
  }
  return Object.fromEntries(Object.entries(creds).filter(([, v]) => v !== undefined)) as TlsCredentials;
}

/** Client credentials from options, else the environment (TYPEVISOR_TLS_CA, _CERT, _KEY). */
export function resolveClientTls(opts: { tlsCa?: string; tlsCert?: string; tlsKey?: string }, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const pick = (o: string | undefined, name: string): string | undefined => o ?? (env[name] === '' ? undefined : env[name]);
  return loadTls(
    { ca: pick(opts.tlsCa, TLS_CA_ENV), cert: pick(opts.tlsCert, TLS_CERT_ENV), key: pick(opts.tlsKey, TLS_KEY_ENV) },
    {
      ca: opts.tlsCa !== undefined ? '--tls-ca' : `$${TLS_CA_ENV}`,
      cert: opts.tlsCert !== undefined ? '--tls-cert' : `$${TLS_CERT_ENV}`,
      key: opts.tlsKey !== undefined ? '--tls-key' : `$${TLS_KEY_ENV}`,
    },
  );
}

/** tls.connect's options for a client: verify the daemon (by IP SAN when connecting by IP). */
export function connectOptions(host: string, port: number, tls: ClientTls): ConnectionOptions {
  return {
    host,
    port,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
    // tls.connect sends SNI only for names, and checks an IP against the certificate's IP SANs.
    rejectUnauthorized: true,
  };
}

const TLS_HANDSHAKE = 0x16;

/**
 * The daemon's gate: `screen(socket)` for each new TCP connection; `accept`
 * gets the socket the control protocol runs on (a TLSSocket once secure,
 * when TLS is on).
 */
export class ConnectionScreen {
  private readonly server: TlsServer | undefined;
  private readonly open = new Set<Socket>();

  constructor(
    tls: ServerTls | undefined,
    private readonly accept: (socket: Socket) => void,
    private readonly log: (line: string) => void,
    private readonly timeoutMs: number,
  ) {
    if (!tls) return;
    // Client certificates are checked here rather than by OpenSSL, so that a refused client is told
    // why in a `refused` line (over TLS) instead of seeing the connection drop.
    this.server = new TlsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.ca !== undefined, rejectUnauthorized: false, handshakeTimeout: timeoutMs });
    this.server.on('secureConnection', (s: TLSSocket) => {
      if (tls.ca === undefined || s.authorized) return this.accept(s);
      const none = Object.keys(s.getPeerCertificate()).length === 0;
      const why = none
        ? 'this daemon requires a client certificate signed by its CA (give one with --tls-cert and --tls-key)'
        : `the client certificate is not signed by this daemon's CA (${String(s.authorizationError ?? 'not verified')})`;
      this.log(`refused ${peerOf(s)}: ${none ? 'the client presented no certificate' : `the client's certificate is not signed by this daemon's --tls-ca (${String(s.authorizationError)})`}`);
      s.on('error', () => {});
      s.end(JSON.stringify({ type: 'refused', code: 'bad-hello', reason: why } satisfies Refused) + '\n');
      setTimeout(() => s.destroy(), 1000).unref();
    });
    this.server.on('tlsClientError', (e: NodeJS.ErrnoException, s: TLSSocket) => {
      // The TLSSocket lost its handle; the TCP socket under it (Node's _parent) remembers the peer.
      const raw = (s as TLSSocket & { _parent?: Socket })._parent;
      this.log(`refused ${peerOf(raw ?? s)}: TLS handshake failed: ${handshakeFailure(e)}`);
      s.destroy();
    });
  }

  screen(socket: Socket): void {
    if (!this.server) {
      // Plaintext: the control protocol has the socket at once; only a ClientHello is turned away here.
      this.accept(socket);
      socket.prependOnceListener('data', (chunk: Buffer) => {
        if (chunk[0] !== TLS_HANDSHAKE) return;
        // A plaintext line would be read as a garbled TLS record: close, and the client says what it means.
        this.log(`refused ${peerOf(socket)}: it began a TLS handshake, but this daemon does not use TLS`);
        socket.destroy();
      });
      return;
    }
    const server = this.server;
    const peer = peerOf(socket);
    // Kept until it closes: a handshake under way when the daemon closes is dropped with it.
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      this.log(`refused ${peer}: no hello within ${this.timeoutMs} ms`);
      socket.destroy();
    }, this.timeoutMs);
    socket.once('close', () => clearTimeout(timer));
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE) return void server.emit('connection', socket);
      const reason = `this daemon requires TLS: connect with --tls-ca (its CA certificate) or $${TLS_CA_ENV}`;
      this.log(`refused ${peer}: a plaintext connection, but this daemon requires TLS`);
      socket.end(JSON.stringify({ type: 'refused', code: 'bad-hello', reason } satisfies Refused) + '\n');
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  /** Drop every TLS connection's TCP socket, handshakes under way included (the daemon is closing). */
  close(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}

function peerOf(s: Socket): string {
  return formatAddress({ host: s.remoteAddress ?? '?', port: s.remotePort ?? 0 });
}

/** Why a handshake failed, as the daemon logs it (client certificates are checked after it: see the constructor). */
function handshakeFailure(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT' || /timed? ?out/i.test(e.message)) return 'the client did not finish the handshake in time';
  if (/ALERT/.test(code)) return `the client refused this daemon's certificate (${alertName(code)})`;
  if (code === 'ECONNRESET' || e.message === 'socket hang up') return 'the client hung up during the handshake (does it trust this daemon\'s certificate? its --tls-ca must be the CA that signed it)';
  return e.message.trim() || code;
}

function alertName(code: string): string {
  return code.replace(/^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/, '').toLowerCase().replace(/_/g, ' ');
}

/**
 * A client's TLS failure as one sentence naming the side that refused, or
 * undefined when `e` is not about TLS. `tls`: whether the client used it.
 */
export function tlsError(where: string, e: NodeJS.ErrnoException, tls: boolean): string | undefined {
  const code = e.code ?? '';
  if (!tls) return undefined;
  // The daemon answered in plaintext (a refusal line) or dropped the ClientHello.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST' || /before secure TLS connection was established/.test(e.message)) {
    return `the daemon at ${where} does not speak TLS (it dropped or answered the TLS handshake in plaintext): connect without --tls-ca/--tls-cert, or start it with --tls-cert and --tls-key`;
  }
  switch (code) {
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `refused the daemon at ${where}: its certificate is not for this address (${e.message.replace(/^Hostname\/IP does not match certificate's altnames: /, '')})`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return `refused the daemon at ${where}: its certificate is not signed by the CA in --tls-ca ($${TLS_CA_ENV}) (${code})`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `refused the daemon at ${where}: its certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}`;
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
      return `the daemon at ${where} refused the connection: it requires a client certificate signed by its CA (give one with --tls-cert and --tls-key)`;
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR':
      return `the daemon at ${where} refused our client certificate: it is not signed by the daemon's CA (${alertName(code)})`;
  }
  if (/^ERR_SSL_/.test(code) || /^ERR_TLS_/.test(code)) return `TLS with the daemon at ${where} failed: ${e.message.trim()} (${code})`;
  return undefined;
}
