/**
 * A daemon's state directory: where its volumes and its VMs' transient disks
 * live (`serve --state-dir`; default below).
 *
 *   STATE_DIR/
 *     daemon.lock          {"pid":…,"listen":"HOST:PORT"}: the daemon using it
 *     volumes/NAME.json    a volume's metadata (volume-store.ts)
 *     volumes/NAME.disk    its sectors
 *     scratch/*.disk       transient disks of running VMs (vm start --scratch)
 *
 * One daemon at a time: the first operation that needs the directory takes
 * its lock (a file created exclusively, naming the daemon); another live
 * daemon's lock is refused with its pid and address, a dead one's is taken
 * over. Taking it lazily keeps a daemon that never touches a volume from
 * creating anything (or contending with another daemon for the default
 * directory). With the lock taken, nothing else can be using what is there:
 * a transient disk left behind by a daemon that was killed is deleted, and a
 * volume still marked attached to one of that daemon's VMs is free again.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ControlError } from './control-error.js';
import { pidAlive } from './pid-alive.js';

export const STATE_DIR_ENV = 'TYPEVISOR_STATE_DIR';

/** $TYPEVISOR_STATE_DIR, else $XDG_DATA_HOME/typevisor, else ~/.local/share/typevisor. */
export function defaultStateDir(): string {
  const env = process.env;
  if (env[STATE_DIR_ENV]) return env[STATE_DIR_ENV];
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'typevisor');
}

export class StateDir {
  private locked = false;

  constructor(
    readonly path: string,
    /** This daemon's address, written into the lock for whoever finds it. */
    private readonly listen: () => string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  get volumes(): string {
    return join(this.path, 'volumes');
  }

  get scratch(): string {
    return join(this.path, 'scratch');
  }

  /** Take the directory for this daemon (once; later calls return at once). Throws ControlError. */
  acquire(): void {
    if (this.locked) return;
    try {
      mkdirSync(this.volumes, { recursive: true });
      mkdirSync(this.scratch, { recursive: true });
    } catch (e) {
      throw new ControlError('internal', `state directory ${this.path}: ${(e as Error).message}`);
    }
    const lock = join(this.path, 'daemon.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, listen: this.listen() }) + '\n');
        closeSync(fd);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw new ControlError('internal', `state directory ${this.path}: cannot take ${lock}: ${(e as Error).message}`);
      }
      const holder = readLock(lock);
      if (holder && holder.pid !== process.pid && pidAlive(holder.pid)) {
        throw new ControlError('bad-state', `state directory ${this.path} is in use by the daemon on ${holder.listen} (pid ${holder.pid}); give this one its own: typevisor serve --state-dir DIR`);
      }
      this.log(`state directory ${this.path}: taking over the lock of ${holder ? `pid ${holder.pid}, which has ended` : 'an unreadable lock file'}`);
      rmSync(lock, { force: true });
    }
    this.locked = true;
    // A transient disk here belonged to a VM of a daemon that has ended.
    for (const f of readdirSync(this.scratch)) rmSync(join(this.scratch, f), { force: true });
  }

  /** Give the directory up (the daemon is closing). */
  release(): void {
    if (!this.locked) return;
    this.locked = false;
    try {
      unlinkSync(join(this.path, 'daemon.lock'));
    } catch {
      // already gone: nothing to give up
    }
  }
}

function readLock(path: string): { pid: number; listen: string } | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; listen?: unknown };
    if (Number.isSafeInteger(v.pid) && typeof v.listen === 'string') return { pid: v.pid as number, listen: v.listen };
  } catch {
    // unreadable: treated as stale
  }
  return undefined;
}
