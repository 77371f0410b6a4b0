/**
 * The disk each VM of a daemon has, and what it is bound to — the resource
 * binding a snapshot or a migration has to honour:
 *
 *   file       a host file the client named (`vm start --disk FILE`), bound
 *              by identifier (its path); the daemon only opens it
 *   volume     a volume of this daemon (`--volume NAME`), bound by identifier
 *              (name and generation); it outlives the VM (volume-store.ts)
 *   transient  instance storage (`--scratch SIZE`): a sparse file created for
 *              the VM in the state directory, deleted when the VM is stopped;
 *              bound by value (its bytes are the VM's and nobody else's)
 *
 * The disk is a FileDisk (synchronous I/O): a write is answered once its
 * bytes are on the file, fdatasync'd for a volume or a file (it outlives the
 * VM, so a write the guest saw complete must survive a crash of the daemon),
 * not for a transient disk (it dies with the VM anyway). The monitors serve
 * the guest's requests from it (core's GuestConfig.disk).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { SECTOR_SIZE, type DiskBackend } from '../../vm/devices/disk.js';
import { FileDisk } from '../../vm/devices/file-disk.js';
import { isZeros } from '../snapshot/zeros.js';
import { ControlError } from './control-error.js';
import { DirtySectorLog } from './dirty-sectors.js';
import { arrivingPath, sweepLeftovers } from './arriving-file.js';
import type { StateDir } from './state-dir.js';
import type { VolumeStore } from './volume-store.js';

/** What a client asks for. */
export type DiskRequest =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'volume'; readonly name: string }
  | { readonly kind: 'scratch'; readonly size: number };

/** What a VM's disk is, as vm list / vm stats (and a snapshot) see it. */
export type DiskInfo =
  | { readonly kind: 'file'; readonly path: string; readonly sectors: number }
  | { readonly kind: 'volume'; readonly name: string; readonly generation: number; readonly sectors: number }
  | { readonly kind: 'transient'; readonly path: string; readonly sectors: number };

interface Bound {
  info: DiskInfo;
  readonly backend: FileDisk;
  /** What the guest is given: the backend, its writes logged (a live disk copy reads the log). */
  readonly log: DirtySectorLog;
  /** The file that holds the sectors (an arrived copy's moves into place at the commit point). */
  file: string;
}

/**
 * A disk that moves with its VM, as the source describes it to the
 * destination. A file names the file (device and inode) so the destination
 * can tell whether the path it sees is the same file (shared storage).
 */
export type MovingDisk =
  | { readonly kind: 'transient'; readonly sectors: number }
  /** `generation`: the volume's on the source at the move (absent from an older source: 0). */
  | { readonly kind: 'volume'; readonly name: string; readonly sectors: number; readonly generation?: number }
  | { readonly kind: 'file'; readonly path: string; readonly sectors: number; readonly dev: number; readonly ino: number };

/** A disk arriving by copy, not yet the destination's: its bytes in `path` until the migration commits. */
interface Pending {
  readonly path: string;
  readonly size: number;
  readonly disk: MovingDisk;
}

/** The largest transient disk (a sparse file: only what the guest writes takes room). */
export const SCRATCH_MAX_SIZE = 1024 ** 3;

export class VmDisks {
  private readonly bound = new Map<string, Bound>();
  /** VMs whose disk arrived by copy and runs from a file that becomes theirs at the commit point (commitArrival). */
  private readonly arriving = new Map<string, Pending>();

  constructor(
    private readonly dir: StateDir,
    readonly volumes: VolumeStore,
  ) {}

  /** Open the disk a VM asked for; release(vm) gives it back. Throws ControlError. */
  open(vm: string, req: DiskRequest): { backend: DiskBackend; info: DiskInfo } {
    if (this.bound.has(vm)) throw new ControlError('bad-state', `${vm} has a disk already (${describeDisk(this.bound.get(vm)!.info)})`);
    const b = this.bind(vm, req);
    this.bound.set(vm, b);
    return { backend: b.log, info: b.info };
  }

  /** A VM's disk for a live copy: its dirty-sector log and the file holding its sectors. */
  forCopy(vm: string): { readonly log: DirtySectorLog; readonly file: string; readonly info: DiskInfo } | undefined {
    const b = this.bound.get(vm);
    return b ? { log: b.log, file: b.file, info: b.info } : undefined;
  }

  // ---- a transient disk that moves with its VM (migrations.ts) --------------------------

  /**
   * A disk arriving by copy with a migrating VM: an empty (sparse) file of
   * its size — in the state directory for a transient disk or a volume,
   * beside the path for a file (a rename makes it the file at the commit
   * point) — which the migration engine fills with the sectors as they come
   * (`store`, no fsync per write: commitArrival syncs the whole) and the VM
   * runs from (`backend`, its writes logged as every VM disk's are).
   */
  prepareArrival(vm: string, disk: MovingDisk): { backend: DiskBackend; info: DiskInfo; store: (sector: number, bytes: Uint8Array) => void } {
    if (this.bound.has(vm)) throw new ControlError('name-taken', `a VM named ${vm} already has a disk on this daemon`);
    const size = disk.sectors * SECTOR_SIZE;
    if (!Number.isSafeInteger(size) || size < SECTOR_SIZE || size > SCRATCH_MAX_SIZE) throw new ControlError('bad-request', `a disk of ${disk.sectors} sectors: not 1 sector to ${SCRATCH_MAX_SIZE / 1024 ** 3} GiB`);
    const created: Pending = { path: this.pendingPath(vm, disk), size, disk };
    const fd = openSync(created.path, 'w');
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    let adopted: { backend: DiskBackend; info: DiskInfo };
    try {
      adopted = this.adoptCopy(vm, created);
    } catch (e) {
      rmSync(created.path, { force: true });
      throw e;
    }
    const store = (sector: number, bytes: Uint8Array): void => {
      const out = openSync(created.path, 'r+');
      try {
        for (let put = 0; put < bytes.length; ) put += writeSync(out, bytes, put, bytes.length - put, sector * SECTOR_SIZE + put);
      } finally {
        closeSync(out);
      }
    };
    return { ...adopted, store };
  }

  /** Where an arriving disk's bytes wait, after checking it may arrive at all. */
  private pendingPath(vm: string, d: MovingDisk): string {
    const tag = randomBytes(4).toString('hex');
    switch (d.kind) {
      case 'transient':
        this.dir.acquire();
        return join(this.dir.scratch, `${vm}.${tag}.disk`);
      case 'volume':
        if (this.volumes.list().volumes.some((v) => v.name === d.name)) throw new ControlError('name-taken', `the destination has a volume named ${d.name} already: copying ${vm}'s over it would destroy it (remove it there first)`);
        this.dir.acquire();
        return join(this.dir.scratch, `${vm}.${tag}.volume-${d.name}.disk`);
      case 'file':
        if (!sameFileOrAbsent(d)) throw new ControlError('name-taken', `${d.path} exists on the destination and is another file: copying ${vm}'s disk over it would destroy it (remove it there first)`);
        sweepLeftovers(d.path); // a copy a killed daemon left here never becomes anything
        return arrivingPath(d.path);
    }
  }

  /**
   * The destination's disk of a VM arriving with a disk in shared mode (a
   * file): the same file, checked to be the one the source has (device and
   * inode). Copy mode: prepareArrival.
   */
  adoptShared(vm: string, disk: MovingDisk): { backend: DiskBackend; info: DiskInfo } {
    if (disk.kind !== 'file') throw new ControlError('bad-request', `${vm}: only a file disk can be shared`);
    if (!sameFile(disk)) throw new ControlError('bad-state', `--disk-mode shared: the destination does not see ${vm}'s disk ${disk.path} as the same file the source has (use --disk-mode copy)`);
    return this.open(vm, { kind: 'file', path: disk.path });
  }

  /**
   * A copy becomes `vm`'s disk: a transient disk is its at once, a volume or
   * a file only at the commit point (commitArrival: the volume is created, or
   * the file renamed into place) — an aborted migration deletes the copy
   * with the VM (release).
   */
  private adoptCopy(vm: string, pending: Pending): { backend: DiskBackend; info: DiskInfo } {
    const disk = pending.disk;
    const backend = openFile(pending.path, () => new FileDisk(pending.path, { durable: disk.kind !== 'transient' }));
    const info: DiskInfo =
      disk.kind === 'transient' ? { kind: 'transient', path: pending.path, sectors: backend.sectors }
      : disk.kind === 'volume' ? { kind: 'volume', name: disk.name, generation: 0, sectors: backend.sectors }
      : { kind: 'file', path: disk.path, sectors: backend.sectors };
    const log = new DirtySectorLog(backend);
    this.bound.set(vm, { info, backend, log, file: pending.path });
    // A volume's generation at the source comes with migration.incoming (in pending.disk): the commit goes on from it.
    if (disk.kind !== 'transient') this.arriving.set(vm, pending);
    return { backend: log, info };
  }

  /**
   * The migration committed: a copied volume or file becomes the
   * destination's. The copy is fsync'd, then renamed into place (the VM's
   * open file follows it): a volume of the same name is created here and
   * attached to the VM; a file replaces whatever is at the path (the source's
   * own file, if both see one: its daemon closes it as it forgets the VM).
   */
  commitArrival(vm: string): void {
    const a = this.arriving.get(vm);
    const b = this.bound.get(vm);
    if (!a || !b) return;
    this.arriving.delete(vm);
    const fd = openSync(a.path, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (a.disk.kind === 'file') {
      renameSync(a.path, a.disk.path);
      syncDir(dirname(a.disk.path));
      b.file = a.disk.path; // where the next migration out reads it
      b.info = { kind: 'file', path: a.disk.path, sectors: b.info.sectors };
    } else if (a.disk.kind === 'volume') {
      // Created at the source's generation, then attached (one more): the guest
      // has written it past any snapshot that recorded a generation there, and
      // the source keeps its stale copy at the old one — neither may pass for
      // the other in a restore without --force.
      this.volumes.create(a.disk.name, a.size, undefined, a.disk.generation ?? 0);
      renameSync(a.path, this.volumes.diskPath(a.disk.name));
      syncDir(dirname(this.volumes.diskPath(a.disk.name)));
      b.file = this.volumes.diskPath(a.disk.name);
      const v = this.volumes.attach(a.disk.name, vm);
      b.info = { kind: 'volume', name: v.name, generation: v.generation, sectors: b.info.sectors };
    }
  }

  // ---- a disk a snapshot carries (snapshot-disks.ts) ------------------------------------

  /** A transient disk's whole bytes as they are now: read while its VM is paused (a snapshot's disk, by value). */
  transientBytes(vm: string): Uint8Array {
    const b = this.bound.get(vm);
    if (b?.info.kind !== 'transient') throw new ControlError('bad-state', `${vm} has no transient disk`);
    const bytes = new Uint8Array(b.info.sectors * SECTOR_SIZE);
    const fd = openSync(b.info.path, 'r');
    try {
      for (let got = 0; got < bytes.length; ) {
        const n = readSync(fd, bytes, got, bytes.length - got, got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  /**
   * A new transient disk for `vm` holding `bytes` (a restored snapshot's disk,
   * by value): a sparse file of the state directory with the sectors that are
   * not zeros written in, released (and deleted) with the VM like any other.
   */
  openTransientFrom(vm: string, bytes: Uint8Array): { backend: DiskBackend; info: DiskInfo } {
    if (this.bound.has(vm)) throw new ControlError('bad-state', `${vm} has a disk already (${describeDisk(this.bound.get(vm)!.info)})`);
    if (bytes.length < SECTOR_SIZE || bytes.length % SECTOR_SIZE !== 0 || bytes.length > SCRATCH_MAX_SIZE) throw new ControlError('bad-request', `a transient disk of ${bytes.length} bytes: not a whole number of sectors up to ${SCRATCH_MAX_SIZE / 1024 ** 3} GiB`);
    this.dir.acquire();
    const path = join(this.dir.scratch, `${vm}.${randomBytes(4).toString('hex')}.disk`);
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, bytes.length);
      for (let at = 0; at < bytes.length; at += SECTOR_SIZE) {
        const sector = bytes.subarray(at, at + SECTOR_SIZE);
        if (isZeros(sector)) continue; // a hole reads as zeros
        for (let put = 0; put < SECTOR_SIZE; ) put += writeSync(fd, sector, put, SECTOR_SIZE - put, at + put);
      }
    } catch (e) {
      closeSync(fd);
      rmSync(path, { force: true });
      throw e;
    }
    closeSync(fd);
    const backend = openFile(path, () => new FileDisk(path));
    const b: Bound = { backend, log: new DirtySectorLog(backend), file: path, info: { kind: 'transient', path, sectors: backend.sectors } };
    this.bound.set(vm, b);
    return { backend: b.log, info: b.info };
  }

  /**
   * The volume `vm` holds moves to its next generation while it stays
   * attached: the VM goes on past a snapshot that recorded the generation it
   * had, so what it writes from now on is not what that snapshot saw.
   */
  advanceVolume(vm: string): DiskInfo {
    const b = this.bound.get(vm);
    if (b?.info.kind !== 'volume') throw new ControlError('bad-state', `${vm} has no volume`);
    const v = this.volumes.advance(b.info.name, vm);
    b.info = { ...b.info, generation: v.generation };
    return b.info;
  }

  info(vm: string): DiskInfo | undefined {
    return this.bound.get(vm)?.info;
  }

  /** The VM is gone: close its disk; a volume is free again, a transient disk deleted. */
  release(vm: string): void {
    const b = this.bound.get(vm);
    if (!b) return;
    this.bound.delete(vm);
    b.backend.close();
    const uncommitted = this.arriving.get(vm);
    if (uncommitted) {
      // Arrived by copy, never committed (the migration aborted or the guest was lost): the copy goes.
      this.arriving.delete(vm);
      rmSync(uncommitted.path, { force: true });
      return;
    }
    if (b.info.kind === 'volume') this.volumes.detach(b.info.name, vm);
    if (b.info.kind === 'transient') rmSync(b.info.path, { force: true });
  }

  /** Release every disk (the daemon is closing). */
  releaseAll(): void {
    for (const vm of [...this.bound.keys()]) this.release(vm);
    for (const p of this.arriving.values()) rmSync(p.path, { force: true });
    this.arriving.clear();
  }

  /**
   * A disk file no other VM here has open and that is not the daemon's own:
   * two guests writing one file would each corrupt the other's file system,
   * and a volume's or a transient disk's file is reached through --volume or
   * not at all.
   */
  private checkFree(path: string): void {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return; // opening it will say what is wrong
    }
    const state = safeRealpath(this.dir.path);
    if (state !== undefined && (real === state || real.startsWith(state + sep))) {
      throw new ControlError('bad-request', `${path} is in this daemon's state directory: give a volume with --volume NAME`);
    }
    for (const [other, b] of this.bound) {
      if (b.info.kind === 'file' && safeRealpath(b.info.path) === real) throw new ControlError('bad-state', `disk ${path} is open already as ${other}'s disk; two VMs writing one disk would corrupt it`);
    }
  }

  private bind(vm: string, req: DiskRequest): Bound {
    switch (req.kind) {
      case 'file': {
        this.checkFree(req.path);
        const backend = openFile(req.path, () => new FileDisk(req.path, { durable: true }));
        return { backend, log: new DirtySectorLog(backend), file: req.path, info: { kind: 'file', path: req.path, sectors: backend.sectors } };
      }
      case 'volume': {
        const v = this.volumes.attach(req.name, vm);
        try {
          const backend = openFile(this.volumes.diskPath(req.name), () => new FileDisk(this.volumes.diskPath(req.name), { durable: true }));
          return { backend, log: new DirtySectorLog(backend), file: this.volumes.diskPath(req.name), info: { kind: 'volume', name: v.name, generation: v.generation, sectors: backend.sectors } };
        } catch (e) {
          this.volumes.detach(req.name, vm);
          throw e;
        }
      }
      case 'scratch': {
        if (!Number.isSafeInteger(req.size) || req.size < SECTOR_SIZE || req.size % SECTOR_SIZE !== 0 || req.size > SCRATCH_MAX_SIZE) {
          throw new ControlError('bad-request', `a transient disk must be a multiple of ${SECTOR_SIZE} bytes from ${SECTOR_SIZE} to ${SCRATCH_MAX_SIZE / 1024 ** 3} GiB`);
        }
        this.dir.acquire();
        const path = join(this.dir.scratch, `${vm}.${randomBytes(4).toString('hex')}.disk`);
        const backend = openFile(path, () => new FileDisk(path, { createSize: req.size }));
        return { backend, log: new DirtySectorLog(backend), file: path, info: { kind: 'transient', path, sectors: backend.sectors } };
      }
    }
  }
}

/** The file the source has (same device and inode), or nothing at that path. */
function sameFileOrAbsent(d: { readonly path: string; readonly dev: number; readonly ino: number }): boolean {
  try {
    const st = statSync(d.path);
    return st.dev === d.dev && st.ino === d.ino;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function sameFile(d: { readonly path: string; readonly dev: number; readonly ino: number }): boolean {
  try {
    const st = statSync(d.path);
    return st.dev === d.dev && st.ino === d.ino;
  } catch {
    return false;
  }
}

/** A rename is durable once its directory is. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function safeRealpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function openFile(path: string, open: () => FileDisk): FileDisk {
  let d: FileDisk;
  try {
    d = open();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ControlError('bad-request', `cannot open disk ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
  if (d.sectors === 0) {
    d.close();
    throw new ControlError('bad-request', `disk ${path} is smaller than one sector (${SECTOR_SIZE} bytes)`);
  }
  return d;
}

/** A disk in a few words: "volume data (generation 3, 128 sectors)". */
export function describeDisk(d: DiskInfo): string {
  switch (d.kind) {
    case 'file':
      return `file ${d.path} (${d.sectors} sectors)`;
    case 'volume':
      return `volume ${d.name} (generation ${d.generation}, ${d.sectors} sectors)`;
    case 'transient':
      return `transient (${d.sectors} sectors, deleted when the VM stops)`;
  }
}
