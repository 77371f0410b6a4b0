/**
 * A request about a VM that left this daemon is answered with where it went
 * (`moved`, and the address), for as long as the daemon remembers
 * (forwarding.ts): the client can follow it there (`--follow`) instead of
 * being told the VM does not exist.
 */
import { ControlError } from './control-error.js';
import type { Forwarding } from './forwarding.js';
import type { VmRegistry } from './registry.js';

/** `name` if the VM is here; else `moved` if it left for somewhere known (else the registry's own no-such-vm follows). */
export function servingHere(host: VmRegistry, forwarding: Forwarding): (name: string) => string {
  return (name) => {
    if (host.has(name)) return name;
    const f = forwarding.where(name);
    if (!f) return name;
    const ago = Math.max(0, Math.round((Date.now() - f.at) / 1000));
    throw new ControlError('moved', `${name} migrated to ${f.to} ${ago} s ago (ask there: --connect ${f.to}, or add --follow)`, f.to);
  };
}
