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
import { closeSync, ftruncateSync, openSync, readSync, realpathSync, rmSync, writeSync } from 'node:fs';
import { join, sep } from 'node:path';
import { SECTOR_SIZE, type DiskBackend } from '../../vm/devices/disk.js';
import { FileDisk } from '../../vm/devices/file-disk.js';
import { isZeros } from '../snapshot/zeros.js';
import { ControlError } from './control-error.js';
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
  readonly info: DiskInfo;
  readonly backend: FileDisk;
}

/** The largest transient disk (a sparse file: only what the guest writes takes room). */
export const SCRATCH_MAX_SIZE = 1024 ** 3;

export class VmDisks {
  private readonly bound = new Map<string, Bound>();
  /** Transient disks that arrived with a migrating VM, not yet taken by it. */
  private readonly pending = new Map<string, { readonly path: string; readonly size: number }>();

  constructor(
    private readonly dir: StateDir,
    readonly volumes: VolumeStore,
  ) {}

  /** Open the disk a VM asked for; release(vm) gives it back. Throws ControlError. */
  open(vm: string, req: DiskRequest): { backend: DiskBackend; info: DiskInfo } {
    if (this.bound.has(vm)) throw new ControlError('bad-state', `${vm} has a disk already (${describeDisk(this.bound.get(vm)!.info)})`);
    const b = this.bind(vm, req);
    this.bound.set(vm, b);
    return { backend: b.backend, info: b.info };
  }

  // ---- a transient disk that moves with its VM (migrations.ts) --------------------------

  /**
   * Bytes of a transient disk arriving with a migrating VM, `size` bytes in
   * all: written into a file of its own in the state directory until the VM
   * that arrives takes it (adoptTransient). Pieces may come in any order;
   * what no piece covers reads as zeros.
   */
  receiveTransient(vm: string, size: number, offset: number, bytes: Uint8Array): void {
    if (this.bound.has(vm)) throw new ControlError('name-taken', `a VM named ${vm} already has a disk on this daemon`);
    if (!Number.isSafeInteger(size) || size < SECTOR_SIZE || size % SECTOR_SIZE !== 0 || size > SCRATCH_MAX_SIZE) throw new ControlError('bad-request', `a transient disk of ${size} bytes: not a whole number of sectors up to ${SCRATCH_MAX_SIZE / 1024 ** 3} GiB`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + bytes.length > size) throw new ControlError('bad-request', `a piece at ${offset} of ${bytes.length} bytes is outside the ${size}-byte disk`);
    let pending = this.pending.get(vm);
    if (!pending || pending.size !== size || offset === 0) {
      if (pending) rmSync(pending.path, { force: true });
      this.dir.acquire();
      pending = { path: join(this.dir.scratch, `${vm}.${randomBytes(4).toString('hex')}.disk`), size };
      const fd = openSync(pending.path, 'w');
      try {
        ftruncateSync(fd, size);
      } finally {
        closeSync(fd);
      }
      this.pending.set(vm, pending);
    }
    const fd = openSync(pending.path, 'r+');
    try {
      for (let put = 0; put < bytes.length; ) put += writeSync(fd, bytes, put, bytes.length - put, offset + put);
    } finally {
      closeSync(fd);
    }
  }

  /** The transient disk that arrived for `vm` becomes its disk (released, and deleted, with it). */
  adoptTransient(vm: string): { backend: DiskBackend; info: DiskInfo } {
    const pending = this.pending.get(vm);
    if (!pending) throw new ControlError('bad-state', `no transient disk arrived for ${vm}`);
    this.pending.delete(vm);
    const backend = openFile(pending.path, () => new FileDisk(pending.path));
    const info: DiskInfo = { kind: 'transient', path: pending.path, sectors: backend.sectors };
    this.bound.set(vm, { info, backend });
    return { backend, info };
  }

  /**
   * A transient disk's bytes as they are now (read while its VM is paused),
   * in pieces of `piece` bytes; pieces of zeros are left out (the receiver's
   * file reads zeros where none came) but for the first, which always comes.
   */
  *transientPieces(vm: string, piece = 256 * 1024): Generator<{ readonly offset: number; readonly bytes: Uint8Array; readonly size: number }> {
    const b = this.bound.get(vm);
    if (b?.info.kind !== 'transient') throw new ControlError('bad-state', `${vm} has no transient disk`);
    const size = b.info.sectors * SECTOR_SIZE;
    const fd = openSync(b.info.path, 'r');
    try {
      for (let offset = 0; offset < size; offset += piece) {
        const bytes = new Uint8Array(Math.min(piece, size - offset));
        for (let got = 0; got < bytes.length; ) {
          const n = readSync(fd, bytes, got, bytes.length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
        if (offset === 0 || bytes.some((x) => x !== 0)) yield { offset, bytes, size };
      }
    } finally {
      closeSync(fd);
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
    const info: DiskInfo = { kind: 'transient', path, sectors: backend.sectors };
    this.bound.set(vm, { info, backend });
    return { backend, info };
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
    const info: DiskInfo = { ...b.info, generation: v.generation };
    this.bound.set(vm, { info, backend: b.backend });
    return info;
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
    if (b.info.kind === 'volume') this.volumes.detach(b.info.name, vm);
    if (b.info.kind === 'transient') rmSync(b.info.path, { force: true });
  }

  /** Release every disk (the daemon is closing). */
  releaseAll(): void {
    for (const vm of [...this.bound.keys()]) this.release(vm);
    for (const p of this.pending.values()) rmSync(p.path, { force: true });
    this.pending.clear();
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
        return { backend, info: { kind: 'file', path: req.path, sectors: backend.sectors } };
      }
      case 'volume': {
        const v = this.volumes.attach(req.name, vm);
        try {
          const backend = openFile(this.volumes.diskPath(req.name), () => new FileDisk(this.volumes.diskPath(req.name), { durable: true }));
          return { backend, info: { kind: 'volume', name: v.name, generation: v.generation, sectors: backend.sectors } };
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
        return { backend, info: { kind: 'transient', path, sectors: backend.sectors } };
      }
    }
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
