/**
 * `--net-listen`, `--net-connect` and `--net-public` of `vm start`, checked
 * here (one clear line for a bad one) and sent as the request's NetSpec.
 */
import { AddressError, parseAddress } from '../../hypervisor/control/address.js';
import type { NetSpec } from '../../hypervisor/control/protocol.js';
import { fail } from '../load.js';

export interface NetOptions {
  readonly netListen?: string;
  readonly netConnect?: string;
  readonly netPublic?: boolean;
}

/** The spec, undefined when the VM gets no cable, null after reporting a problem. */
export function netSpec(opts: NetOptions): NetSpec | undefined | null {
  if (opts.netListen !== undefined && opts.netConnect !== undefined) return refuse('give --net-listen or --net-connect, not both (the device has one connection at a time)');
  if (opts.netPublic && opts.netListen === undefined) return refuse('--net-public goes with --net-listen');
  const mode = opts.netListen !== undefined ? 'listen' : opts.netConnect !== undefined ? 'connect' : undefined;
  if (!mode) return undefined;
  const text = (opts.netListen ?? opts.netConnect)!;
  try {
    parseAddress(text, mode === 'listen');
  } catch (e) {
    if (e instanceof AddressError) return refuse(`--net-${mode}: ${e.message}`);
    throw e;
  }
  return { mode, address: text, ...(opts.netPublic ? { public: true } : {}) };
}

function refuse(message: string): null {
  fail(message);
  return null;
}
