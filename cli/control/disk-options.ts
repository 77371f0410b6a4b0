/**
 * `vm start --disk FILE | --volume NAME | --scratch SIZE`: the one disk a
 * daemon VM may have, as the request the daemon takes (vm-disks.ts). A file
 * path is made absolute here: the daemon runs elsewhere (its own working
 * directory) and, being on loopback, opens it for us.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { DiskRequest } from '../../hypervisor/control/vm-disks.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { fail, parseMem } from '../load.js';

export interface DiskOptions {
  readonly disk?: string;
  readonly volume?: string;
  readonly scratch?: string;
}

export function diskOptions(cmd: Command): Command {
  return cmd
    .option('--disk <file>', 'a disk file for its block device (the daemon opens it: loopback daemons only; typevisor mkdisk makes one)')
    .option('--volume <name>', 'a volume of the daemon as its disk (typevisor volume create); attached until the VM is stopped')
    .option('--scratch <size>', 'a new empty disk of this size (K, M suffixes) that lives as long as the VM: deleted by vm stop');
}

/** The disk asked for: undefined for none, null after reporting a problem. */
export function diskRequest(o: DiskOptions): DiskRequest | undefined | null {
  const given = [o.disk !== undefined, o.volume !== undefined, o.scratch !== undefined].filter(Boolean).length;
  if (given > 1) {
    fail('a VM has one disk: give one of --disk, --volume and --scratch');
    return null;
  }
  if (o.disk !== undefined) return { kind: 'file', path: resolve(o.disk) };
  if (o.volume !== undefined) return { kind: 'volume', name: o.volume };
  if (o.scratch !== undefined) {
    const size = parseMem(o.scratch, '--scratch');
    if (size === undefined) return null;
    if (size % SECTOR_SIZE !== 0) {
      fail(`--scratch must be a whole number of ${SECTOR_SIZE}-byte sectors, got ${o.scratch}`);
      return null;
    }
    return { kind: 'scratch', size };
  }
  return undefined;
}
