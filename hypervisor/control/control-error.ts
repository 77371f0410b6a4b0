/**
 * The control plane's one error class. `code` is what a program branches on;
 * the message is what a person reads (and says what to do about it).
 */
import type { ErrorCode } from './protocol.js';

/**
 * The daemon's codes, plus what can only go wrong on the client's side of the
 * wire. `no-daemon`: nothing listens at the address (connection refused) — on
 * this machine's loopback, the daemon is not running.
 */
export type ControlErrorCode = ErrorCode | 'no-daemon' | 'refused' | 'connection' | 'protocol' | 'timeout';

export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    /** With `moved`: the daemon the VM went to. */
    readonly movedTo?: string,
    /** For `refused`: the daemon's reason code (bad-token, …), for a caller that words it for its own user. */
    readonly refusal?: string,
  ) {
    super(message);
  }
}
