/**
 * Rates, durations and links as people write them on a command line:
 * `1GB/s`, `100M`, `10Gbit`, `0.5ms`, `200us`, `1GB/s,0.1ms`. Rates are
 * decimal (a 1 Gbit/s link carries 125 MB/s), as links are sold.
 */
import type { LinkSpec } from './transports/simulated.js';

export class UnitError extends Error {
  override readonly name = 'UnitError';
}

const SCALE: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** Bytes per second. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b|bit|bits|byte|bytes)?(\/s|ps)?\s*$/i.exec(text);
  if (!m) throw new UnitError(`'${text}' is not a rate (try 1GB/s, 100MB/s, 10Gbit)`);
  const binary = m[3] !== '';
  const prefix = m[2]!.toLowerCase();
  const base = binary ? 1024 ** ['', 'k', 'm', 'g', 't'].indexOf(prefix) : SCALE[prefix]!;
  const unit = (m[4] ?? 'B');
  const bits = unit === 'b' || /^bits?$/i.test(unit);
  const v = (Number(m[1]) * base) / (bits ? 8 : 1);
  if (!(v > 0)) throw new UnitError(`'${text}' is not a positive rate`);
  return v;
}

/** Milliseconds: `0.5ms`, `200us`, `2s`, or a bare number of ms. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|us|µs|s)?\s*$/i.exec(text);
  if (!m) throw new UnitError(`'${text}' is not a duration (try 0.5ms, 200us, 2s)`);
  const unit = (m[2] ?? 'ms').toLowerCase();
  return Number(m[1]) * (unit === 's' ? 1000 : unit === 'ms' ? 1 : 0.001);
}

/** `BANDWIDTH[,LATENCY]`: latency 0.1 ms when left out. */
export function parseLink(text: string): LinkSpec {
  const [bw, lat, extra] = text.split(',');
  if (extra !== undefined || !bw) throw new UnitError(`'${text}' is not a link: BANDWIDTH[,LATENCY], e.g. 1GB/s,0.1ms`);
  return { bandwidth: parseRate(bw), latencyMs: lat === undefined ? 0.1 : parseDuration(lat) };
}

/** A count with an optional k/M/G suffix: `500k`, `2M`, `1_000_000`. */
export function parseCountWithSuffix(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)\s*$/i.exec(text.replace(/_/g, ''));
  if (!m) throw new UnitError(`'${text}' is not a count (try 500000, 500k, 2M)`);
  const v = Math.round(Number(m[1]) * SCALE[m[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(v) || v < 0) throw new UnitError(`'${text}' is out of range`);
  return v;
}
