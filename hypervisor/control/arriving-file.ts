/**
 * Where a file disk's bytes wait while they arrive with a migration: beside
 * the path, as `.NAME.arriving-PID-TAG` (a rename makes it the file at the
 * commit point; vm-disks.ts). The daemon's pid is in the name so a copy
 * left by a daemon that was killed mid-copy (kill -9 runs no cleanup) can be
 * told from one still arriving: the next arrival of the same path deletes
 * the leftovers whose daemon is gone. A leftover of a live process, or a
 * name of any other form, is never touched.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './pid-alive.js';

/** A fresh name for `path`'s arriving copy, owned by this process. */
export function arrivingPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.arriving-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Delete the arriving copies of `path` left by daemons that have ended; returns their names. */
export function sweepLeftovers(path: string): string[] {
  const prefix = `.${basename(path)}.arriving-`;
  const swept: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return swept; // the directory cannot be listed: the arrival itself will say why
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length));
    if (!m || pidAlive(Number(m[1]))) continue;
    rmSync(join(dirname(path), name), { force: true });
    swept.push(name);
  }
  return swept;
}
