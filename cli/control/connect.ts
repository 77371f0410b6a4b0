/**
 * What every command that talks to a daemon shares: the --connect and --token
 * options (with their environment variables), connecting through the typed
 * client, and turning its errors into one clear line and an exit code.
 */
import type { Command } from 'commander';
import { AddressError, formatAddress, parseAddress, type Address } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { ControlError } from '../../hypervisor/control/error.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../hypervisor/control/protocol.js';
import { DAEMON_ENV, TOKEN_ENV, resolveToken } from '../../hypervisor/control/token.js';
import { fail } from '../load.js';

export interface ConnectOptions {
  readonly connect?: string;
  readonly token?: string;
}

export const DEFAULT_DAEMON = `${DEFAULT_HOST}:${DEFAULT_PORT}`;

/** Add --connect and --token to a command. */
export function connectOptions(cmd: Command): Command {
  return cmd
    .option('--connect <host:port>', `the daemon to talk to (default: $${DAEMON_ENV}, else ${DEFAULT_DAEMON})`)
    .option('--token <token>', `the daemon's shared token (default: $${TOKEN_ENV})`);
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
  try {
    return await ControlClient.connect({ address, token });
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
