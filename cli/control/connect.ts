/**
 * What every command that talks to a daemon shares: the --connect, --token
 * and --tls-* options (with their environment variables), connecting through
 * the typed client, and turning its errors into one clear line and an exit code.
 */
import type { Command } from 'commander';
import { AddressError, formatAddress, parseAddress, type Address } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { ControlError } from '../../hypervisor/control/control-error.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../hypervisor/control/protocol.js';
import { DAEMON_ENV, TOKEN_ENV, resolveToken } from '../../hypervisor/control/token.js';
import { TLS_CA_ENV, TLS_CERT_ENV, TLS_KEY_ENV, TlsConfigError, resolveClientTls, type ClientTls } from '../../hypervisor/control/tls.js';
import { fail } from '../load.js';

export interface ConnectOptions {
  readonly connect?: string;
  readonly token?: string;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

export const DEFAULT_DAEMON = `${DEFAULT_HOST}:${DEFAULT_PORT}`;

/** Add --connect, --token and the TLS options to a command. */
export function connectOptions(cmd: Command): Command {
  return cmd
    .option('--connect <host:port>', `the daemon to talk to (default: $${DAEMON_ENV}, else ${DEFAULT_DAEMON})`)
    .option('--token <token>', `the daemon's shared token (default: $${TOKEN_ENV})`)
    .option('--tls-ca <file>', `connect with TLS, checking the daemon's certificate against this CA (PEM; default: $${TLS_CA_ENV})`)
    .option('--tls-cert <file>', `connect with TLS, presenting this client certificate (PEM; default: $${TLS_CERT_ENV})`)
    .option('--tls-key <file>', `the client certificate's private key (PEM; default: $${TLS_KEY_ENV})`);
}

/**
 * TLS credentials from the options or the environment: undefined for
 * plaintext, null after reporting a problem with them.
 */
export function clientTls(opts: ConnectOptions): ClientTls | undefined | null {
  try {
    return resolveClientTls(opts);
  } catch (e) {
    if (!(e instanceof TlsConfigError)) throw e;
    fail(e.message);
    return null;
  }
}

/** The daemon address from --connect or the environment; undefined after reporting a bad one. */
export function daemonAddress(opts: ConnectOptions): Address | undefined {
  const text = opts.connect ?? process.env[DAEMON_ENV] ?? DEFAULT_DAEMON;
  try {
    return parseAddress(text);
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    fail(`${opts.connect !== undefined ? '--connect' : `$${DAEMON_ENV}`}: ${e.message}`);
    return undefined;
  }
}

export function requireToken(opts: ConnectOptions): string | undefined {
  const token = resolveToken(opts.token);
  if (token === undefined) fail(`no token: give the daemon's token with --token TOKEN or in $${TOKEN_ENV} (typevisor serve prints it)`);
  return token;
}

/** Connect and authenticate, or report why not (exit code 1) and return undefined. */
export async function connectDaemon(opts: ConnectOptions): Promise<ControlClient | undefined> {
  const address = daemonAddress(opts);
  if (!address) return undefined;
  const token = requireToken(opts);
  if (token === undefined) return undefined;
  const tls = clientTls(opts);
  if (tls === null) return undefined;
  try {
    return await ControlClient.connect({ address, token, ...(tls ? { tls } : {}) });
  } catch (e) {
    reportControlError(e);
    return undefined;
  }
}

/** One clear line for a control-plane failure; anything else is a bug and is rethrown. */
export function reportControlError(e: unknown): void {
  if (e instanceof ControlError) return fail(e.message);
  throw e;
}

/** Run `body` with a connected client, closing it afterwards whatever happens. */
export async function withDaemon(opts: ConnectOptions, body: (client: ControlClient) => Promise<void>): Promise<void> {
  const client = await connectDaemon(opts);
  if (!client) return;
  try {
    await body(client);
  } catch (e) {
    reportControlError(e);
  } finally {
    client.close();
  }
}

export { formatAddress };
