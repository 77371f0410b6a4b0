/**
 * A VM's disk in its snapshot, and in the VMs restored from it — the binding
 * vm-disks.ts keeps, honoured both ways:
 *
 *   volume     by reference: the snapshot records its name and generation
 *              (its writes are fdatasync'd as they complete, so the volume
 *              already holds everything the guest saw written). A restore
 *              attaches that volume again — refused if another VM holds it
 *              (naming the holder), or if its generation has moved on since
 *              (another VM had it, or the saved VM went on writing it) unless
 *              forced, and refused for more than one instance (a volume is
 *              attached to one VM at a time)
 *   transient  by value: its bytes, read while the VM is paused (after a
 *              live copy too: the disk is copied in the paused part), go in
 *              the snapshot, zero sectors left out; each restored VM gets a
 *              transient disk of its own with those bytes, so instances
 *              diverge from there
 *   file       refused: a host file the client named is the client's, not
 *              the daemon's — it has no generation to tell whether it changed
 *              since, and copying it would make a volume of it behind the
 *              user's back. Put its bytes on a volume (volume create --from).
 *
 * A lazy restore loads the disk eagerly: its bytes are in the file before the
 * guest runs (only memory is loaded on demand). A transient disk passes
 * through memory whole (the snapshot record holds its bytes): simple, and
 * fine for the disks tests and demos use; a streaming copy would be the next
 * step for disks near the 1 GiB limit.
 */
import type { DiskBinding } from '../snapshot/snapshot.js';
import { isZeros } from '../snapshot/zeros.js';
import { SECTOR_SIZE, type DiskBackend } from '../../vm/devices/disk.js';
import { ControlError } from './control-error.js';
import type { SnapshotDiskInfo } from './protocol.js';
import type { DiskInfo, VmDisks } from './vm-disks.js';

/** What opens a restored VM's disk, given the VM's name. */
export type DiskOpener = (vm: string) => { readonly backend: DiskBackend; readonly info: DiskInfo };

/** Refuse a snapshot whose disk cannot be carried, before anything is paused or copied. */
export function checkSavable(vm: string, disk: DiskInfo | undefined): void {
  if (disk?.kind !== 'file') return;
  throw new ControlError(
    'bad-state',
    `${vm}'s disk is the file ${disk.path}: a snapshot carries a volume (by name and generation) or a transient disk (by value), not a file of yours it cannot tell has changed. Put it on a volume (typevisor volume create NAME --from ${disk.path}) and start the VM with --volume NAME`,
  );
}

/** The binding to save for a VM's disk; call while the VM is paused (a transient disk's bytes are read now). */
export function bindingOf(disks: VmDisks | undefined, vm: string): DiskBinding | undefined {
  const d = disks?.info(vm);
  if (!d) return undefined;
  checkSavable(vm, d);
  if (d.kind === 'volume') return { kind: 'volume', name: d.name, generation: d.generation };
  return { kind: 'transient', bytes: disks!.transientBytes(vm) };
}

/** A binding as SnapshotResult shows it. */
export function describeBinding(b: DiskBinding): SnapshotDiskInfo {
  if (b.kind === 'volume') return { kind: 'volume', name: b.name, generation: b.generation };
  return { kind: 'transient', sectors: b.bytes.length / SECTOR_SIZE, sectorsStored: storedSectors(b.bytes) };
}

/** A snapshot's disk in a few words, for the log and the CLI. */
export function diskWords(d: SnapshotDiskInfo): string {
  return d.kind === 'volume' ? `volume ${d.name} at generation ${d.generation}, by reference` : `transient disk by value, ${d.sectorsStored} of ${d.sectors} sectors stored`;
}

/** Sectors that are not all zeros (the ones a snapshot stores). */
export function storedSectors(bytes: Uint8Array): number {
  let n = 0;
  for (let at = 0; at < bytes.length; at += SECTOR_SIZE) if (!isZeros(bytes.subarray(at, at + SECTOR_SIZE))) n++;
  return n;
}

export interface RestoreDiskOptions {
  /** The snapshot file, for messages. */
  readonly path: string;
  readonly force: boolean;
  /** Instances the client is starting from this snapshot. */
  readonly instances: number;
}

/**
 * Check that a snapshot's disk can be given to a VM restored from it, and say
 * how: undefined for no disk. Throws ControlError (nothing started) when it
 * cannot.
 */
export function restoreDisk(disks: VmDisks | undefined, b: DiskBinding | undefined, o: RestoreDiskOptions): DiskOpener | undefined {
  if (!b) return undefined;
  if (!disks) throw new ControlError('bad-request', `${o.path} carries a disk, and this daemon gives its VMs no disks`);
  if (b.kind === 'transient') {
    const bytes = b.bytes;
    return (vm) => disks.openTransientFrom(vm, bytes);
  }
  const saved = `volume ${b.name} (generation ${b.generation})`;
  if (o.instances > 1) {
    throw new ControlError(
      'bad-request',
      `${o.path} records ${saved}, and a volume is attached to one VM at a time: it can be restored once, not as ${o.instances} instances (typevisor vm restore ${o.path}; instances need a snapshot of a VM on a transient disk, --scratch)`,
    );
  }
  let v;
  try {
    v = disks.volumes.get(b.name);
  } catch (e) {
    if (e instanceof ControlError && e.code === 'no-such-volume') throw new ControlError('no-such-volume', `${o.path} records ${saved}, and there is no volume ${b.name} on this daemon any more`);
    throw e;
  }
  if (v.attachedTo !== null) {
    throw new ControlError('bad-state', `${o.path} records ${saved}, which is attached to ${v.attachedTo}; stop ${v.attachedTo} (or typevisor volume detach ${b.name}) first`);
  }
  if (v.generation !== b.generation && !o.force) {
    throw new ControlError(
      'bad-state',
      `${o.path} records ${saved}, and it is at generation ${v.generation} now: a VM has had it since the snapshot (another VM, or the saved one going on), so its data may not be what the guest remembers. --force attaches it anyway`,
    );
  }
  return (vm) => disks.open(vm, { kind: 'volume', name: b.name });
}
