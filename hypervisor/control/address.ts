/**
 * HOST:PORT addresses for daemons. A bare PORT (or :PORT) means 127.0.0.1,
 * never "every interface": listening beyond this machine has to be spelled out.
 */
import { isIP } from 'node:net';
import { DEFAULT_HOST } from './protocol.js';

export interface Address {
  readonly host: string;
  readonly port: number;
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

/** Parse HOST:PORT, [V6]:PORT, :PORT or PORT. Port 0 is allowed only when `anyPort` (listen: pick a free one). */
export function parseAddress(text: string, anyPort = false): Address {
  let host = DEFAULT_HOST;
  let portText = text;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (text.includes(':')) {
    const at = text.lastIndexOf(':');
    if (at > 0) host = text.slice(0, at);
    portText = text.slice(at + 1);
  }
  if (!/^\d+$/.test(portText)) throw new AddressError(`${JSON.stringify(text)} is not HOST:PORT (e.g. 127.0.0.1:7480)`);
  const port = Number(portText);
  if (port > 65535 || (port === 0 && !anyPort)) throw new AddressError(`${JSON.stringify(text)}: port must be 1..65535`);
  if (host.includes(':') && isIP(host) !== 6) throw new AddressError(`${JSON.stringify(text)}: write an IPv6 host in brackets, [::1]:PORT`);
  return { host, port };
}

export function formatAddress(a: Address): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Whether two addresses reach the same listener: the same port, and the same
 * host — where `localhost` is the loopback address it names, and a daemon
 * listening on every interface (0.0.0.0, ::) is reached by any loopback one.
 * (A daemon asked to migrate to `localhost:PORT` must see itself there.)
 */
export function sameEndpoint(a: Address, b: Address): boolean {
  if (a.port !== b.port) return false;
  if (a.host === b.host) return true;
  const everywhere = (h: string): boolean => h === '0.0.0.0' || h === '::';
  if ((everywhere(a.host) && isLoopback(b.host)) || (everywhere(b.host) && isLoopback(a.host))) return true;
  return (a.host === 'localhost' && isLoopback(b.host)) || (b.host === 'localhost' && isLoopback(a.host));
}

/** A loopback address: only processes on this machine can reach it. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}
