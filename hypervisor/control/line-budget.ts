/**
 * How much fits in one control message. A request is one JSON line, and a
 * daemon drops a line longer than MAX_LINE_BYTES (and the connection with
 * it), so a client measures what it is about to send instead of finding out
 * from a closed socket.
 */
import { MAX_LINE_BYTES } from './protocol.js';

/** Room left in a line for the JSON around an inline payload: op, id, name, size. */
const ENVELOPE_BYTES = 4096;

/** The most raw bytes a request can carry base64-encoded (volume create --from, vm start's image). */
export const MAX_INLINE_BYTES = Math.floor((MAX_LINE_BYTES - ENVELOPE_BYTES) / 4) * 3;

/** `n` bytes for people: whole MiB when it is one, else KiB. */
export function formatInlineLimit(n = MAX_INLINE_BYTES): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${Math.floor(n / 1024)} KiB`;
}

/** Why a line of `bytes` cannot be sent, or undefined when it can. */
export function lineTooLong(op: string, bytes: number): string | undefined {
  if (bytes <= MAX_LINE_BYTES) return undefined;
  const mib = (b: number): string => `${(b / (1024 * 1024)).toFixed(1)} MiB`;
  return `${op}: the request is ${mib(bytes)}, more than the ${mib(MAX_LINE_BYTES)} a control message may be`;
}
