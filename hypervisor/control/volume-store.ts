/**
 * Volumes: disks that outlive the VMs that use them (`typevisor volume …`),
 * kept in the daemon's state directory (state-dir.ts) as two files each:
 *
 *   volumes/NAME.disk   the sectors, a plain file of `size` bytes (sparse)
 *   volumes/NAME.json   its metadata, one JSON object:
 *     {"format":"typevisor-volume","version":1,"name":"data","size":65536,
 *      "generation":3,"attachedTo":"web","created":"2026-12-04T21:00:00.000Z"}
 *
 * A volume is attached to at most one VM at a time (`attachedTo`); a second
 * attach is refused naming the holder. Its `generation` is bumped on every
 * attach, so a snapshot can name the volume's contents by reference (name
 * and generation): the same pair means no VM has had the volume since.
 *
 * The metadata is written atomically — a temp file, fsync'd, renamed over
 * the old one, the directory fsync'd — so a crash leaves the old record or
 * the new one, never half of one. It is read back on every operation and
 * checked field by field; a damaged file is refused with the file and the
 * field, and nothing is changed.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { ControlError } from './control-error.js';
import { VM_NAME_RULE } from './params.js';
import type { StateDir } from './state-dir.js';

export const VOLUME_FORMAT = 'typevisor-volume';
export const VOLUME_VERSION = 1;
/** The largest volume: what a disk's 32-bit sector numbers address. */
export const VOLUME_MAX_SIZE = 2 ** 32 * SECTOR_SIZE - SECTOR_SIZE;

/** A volume's metadata, as stored. */
export interface Volume {
  readonly name: string;
  /** Bytes: a positive multiple of 512. */
  readonly size: number;
  /** Attaches so far. */
  readonly generation: number;
  /** The VM on this daemon it is attached to, or null. */
  readonly attachedTo: string | null;
  readonly created: string;
}

/** A volume whose metadata could not be read, and why. */
export interface DamagedVolume {
  readonly name: string;
  readonly problem: string;
}

export class VolumeStore {
  /** The state directory has been taken (and cleaned up) by this store. */
  private taken = false;

  constructor(private readonly dir: StateDir) {}

  /** The state directory, taken (and volumes left attached by a daemon that ended, freed). */
  private ready(): string {
    const first = !this.taken;
    this.dir.acquire();
    this.taken = true;
    if (first) {
      for (const name of this.names()) {
        const v = this.tryRead(name);
        if (v && v.attachedTo !== null) this.write({ ...v, attachedTo: null });
      }
    }
    return this.dir.volumes;
  }

  /**
   * A new volume, detached. `generation` is 0 but for a volume that arrived
   * with a migrating VM (vm-disks.ts commitArrival): it goes on from the
   * generation it had on the source, so a snapshot taken there before the
   * move does not match it by accident.
   */
  create(name: string, size: number, from?: Uint8Array, generation = 0): Volume {
    const dir = this.ready();
    checkName(name);
    if (!Number.isSafeInteger(size) || size <= 0 || size % SECTOR_SIZE !== 0 || size > VOLUME_MAX_SIZE) {
      throw new ControlError('bad-request', `volume ${name}: size must be a positive multiple of ${SECTOR_SIZE} bytes`);
    }
    if (from && from.length > size) throw new ControlError('bad-request', `volume ${name}: the image (${from.length} bytes) is larger than --size (${size} bytes)`);
    if (existsSync(join(dir, `${name}.json`))) throw new ControlError('name-taken', `a volume named ${name} already exists (typevisor volume ls)`);
    // The sectors first, then the metadata that makes them a volume: a crash in
    // between leaves a .disk without a .json, which is no volume (and is overwritten).
    const fd = openSync(join(dir, `${name}.disk`), 'w');
    try {
      ftruncateSync(fd, size);
      if (from) for (let put = 0; put < from.length; ) put += writeSync(fd, from, put, from.length - put, put);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const v: Volume = { name, size, generation, attachedTo: null, created: new Date().toISOString() };
    this.write(v);
    return v;
  }

  /** Every volume, and those whose metadata is damaged. */
  list(): { volumes: Volume[]; damaged: DamagedVolume[] } {
    this.ready();
    const volumes: Volume[] = [];
    const damaged: DamagedVolume[] = [];
    for (const name of this.names()) {
      try {
        volumes.push(this.read(name));
      } catch (e) {
        if (!(e instanceof ControlError)) throw e;
        damaged.push({ name, problem: e.message });
      }
    }
    return { volumes, damaged };
  }

  /** A volume's metadata, checked (ControlError: none by that name, or damaged). */
  get(name: string): Volume {
    this.ready();
    return this.read(name);
  }

  /** The file holding a volume's sectors. */
  diskPath(name: string): string {
    return join(this.dir.volumes, `${name}.disk`);
  }

  /** Attach to a VM: refused if another VM holds it; the generation goes up. */
  attach(name: string, vm: string): Volume {
    this.ready();
    const v = this.read(name);
    if (v.attachedTo !== null) {
      throw new ControlError('bad-state', `volume ${name} is attached to ${v.attachedTo}${v.attachedTo === vm ? ' already' : ''}; detach it first (typevisor vm stop ${v.attachedTo}, or typevisor volume detach ${name})`);
    }
    const next = { ...v, generation: v.generation + 1, attachedTo: vm };
    this.write(next);
    return next;
  }

  /** The next generation of a volume `vm` keeps attached (it went on past a snapshot: vm-disks.ts advanceVolume). */
  advance(name: string, vm: string): Volume {
    this.ready();
    const v = this.read(name);
    if (v.attachedTo !== vm) throw new ControlError('bad-state', `volume ${name} is not attached to ${vm}`);
    const next = { ...v, generation: v.generation + 1 };
    this.write(next);
    return next;
  }

  /** Free a volume from its VM (nothing if it is not attached to `vm`). */
  detach(name: string, vm: string): void {
    this.ready();
    const v = this.tryRead(name);
    if (v && v.attachedTo === vm) this.write({ ...v, attachedTo: null });
  }

  remove(name: string): Volume {
    const dir = this.ready();
    const v = this.read(name);
    if (v.attachedTo !== null) throw new ControlError('bad-state', `volume ${name} is attached to ${v.attachedTo}; stop that VM or detach the volume first`);
    // The metadata first: without it the volume is gone, whatever happens to the sectors.
    rmSync(join(dir, `${name}.json`));
    fsyncDir(dir);
    rmSync(join(dir, `${name}.disk`), { force: true });
    return v;
  }

  // ---- the files --------------------------------------------------------------------

  private names(): string[] {
    return readdirSync(this.dir.volumes)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  }

  private tryRead(name: string): Volume | undefined {
    try {
      return this.read(name);
    } catch {
      return undefined;
    }
  }

  private read(name: string): Volume {
    checkName(name);
    const file = join(this.dir.volumes, `${name}.json`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ControlError('no-such-volume', `no volume named ${name} (typevisor volume ls lists them)`);
      throw new ControlError('bad-volume', `${file}: ${(e as Error).message}`);
    }
    const v = parseVolume(text, file);
    if (v.name !== name) throw new ControlError('bad-volume', `${file}: field name is ${JSON.stringify(v.name)}, but the file is named for ${name}`);
    let actual: number;
    try {
      actual = statSync(this.diskPath(name)).size;
    } catch {
      throw new ControlError('bad-volume', `volume ${name}: its sectors (${this.diskPath(name)}) are missing`);
    }
    if (actual !== v.size) throw new ControlError('bad-volume', `volume ${name}: ${this.diskPath(name)} holds ${actual} bytes, but its metadata (field size) says ${v.size}`);
    return v;
  }

  /** Replace a volume's metadata atomically. */
  private write(v: Volume): void {
    const dir = this.dir.volumes;
    const file = join(dir, `${v.name}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, JSON.stringify({ format: VOLUME_FORMAT, version: VOLUME_VERSION, ...v }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    fsyncDir(dir);
  }
}

/** Metadata as read from `file`, every field checked; ControlError('bad-volume') naming the field otherwise. */
export function parseVolume(text: string, file: string): Volume {
  const bad = (what: string): ControlError => new ControlError('bad-volume', `${file}: ${what}`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('not a JSON object');
  const r = o as Record<string, unknown>;
  const field = (key: string, ok: boolean, want: string): void => {
    if (!ok) throw bad(`field ${key} ${key in r ? `is ${JSON.stringify(r[key])}` : 'is missing'}; it must be ${want}`);
  };
  field('format', r['format'] === VOLUME_FORMAT, JSON.stringify(VOLUME_FORMAT));
  field('version', Number.isSafeInteger(r['version']) && (r['version'] as number) >= 1, 'a whole number ≥ 1');
  if ((r['version'] as number) > VOLUME_VERSION) throw bad(`field version is ${r['version'] as number}: written by a newer typevisor (this one reads version ${VOLUME_VERSION})`);
  field('name', typeof r['name'] === 'string' && VM_NAME_RULE.test(r['name']), 'a volume name (letters, digits, ".", "_", "-")');
  const size = r['size'];
  field('size', Number.isSafeInteger(size) && (size as number) > 0 && (size as number) % SECTOR_SIZE === 0 && (size as number) <= VOLUME_MAX_SIZE, `a positive multiple of ${SECTOR_SIZE}`);
  field('generation', Number.isSafeInteger(r['generation']) && (r['generation'] as number) >= 0, 'a whole number ≥ 0');
  const at = r['attachedTo'];
  field('attachedTo', at === null || (typeof at === 'string' && VM_NAME_RULE.test(at)), 'null or a VM name');
  field('created', typeof r['created'] === 'string' && !Number.isNaN(Date.parse(r['created'])), 'a date (ISO 8601)');
  return { name: r['name'] as string, size: size as number, generation: r['generation'] as number, attachedTo: at as string | null, created: r['created'] as string };
}

function checkName(name: string): void {
  if (!VM_NAME_RULE.test(name)) throw new ControlError('bad-request', `volume name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
}

/** Make a rename or removal in `dir` durable. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
