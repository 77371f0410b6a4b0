/**
 * The `--fs DIR` grant: the only part of the host filesystem a program can
 * open, and the rules that keep it inside.
 *
 * A guest path is rooted at DIR: `data/in.txt` and `/data/in.txt` both name
 * DIR/data/in.txt. So an absolute host path such as `/etc/passwd` names
 * DIR/etc/passwd and can never reach the host's file. Everything that would
 * leave DIR fails with EACCES:
 *   - a `..` that climbs above DIR (`../x`, `a/../../x`, `/../x`); `..` is
 *     applied to the text of the path, before any symlink is followed;
 *   - a symlink anywhere along the path whose target is outside DIR (the
 *     path is resolved with realpath and the result must lie inside DIR);
 *   - creating a file whose parent, once resolved, is outside DIR, or whose
 *     name is a symlink that leads nowhere (it cannot be checked, so it is
 *     not followed).
 * The resolved path has no symlinks left, and it is opened with O_NOFOLLOW,
 * so a link swapped in for the last component after the check is refused
 * too. (A directory swapped for a link between check and open is not
 * caught: the grant guards against programs, not against a hostile host.)
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ERRNO, OPEN_FLAGS } from '../../isa/syscalls.js';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

export type OpenResult =
  | { readonly ok: true; readonly fd: number; readonly hostPath: string }
  | { readonly ok: false; readonly errno: number; readonly why: string };

type Resolved = { readonly ok: true; readonly hostPath: string } | { readonly ok: false; readonly errno: number; readonly why: string };

const KNOWN_FLAGS = 3 | OPEN_FLAGS.O_CREAT | OPEN_FLAGS.O_TRUNC | OPEN_FLAGS.O_APPEND;

const HOST_ERRNO: Readonly<Record<string, number>> = {
  ENOENT: ERRNO.ENOENT,
  EACCES: ERRNO.EACCES,
  EPERM: ERRNO.EACCES,
  ELOOP: ERRNO.EACCES, // O_NOFOLLOW met a symlink: one appeared after the check
  EISDIR: ERRNO.EISDIR,
  ENOTDIR: ERRNO.ENOTDIR,
  EEXIST: ERRNO.EEXIST,
  EMFILE: ERRNO.EMFILE,
  ENFILE: ERRNO.EMFILE,
  ENOSPC: ERRNO.ENOSPC,
  EDQUOT: ERRNO.ENOSPC,
  ENAMETOOLONG: ERRNO.ENAMETOOLONG,
  EINVAL: ERRNO.EINVAL,
  EBADF: ERRNO.EBADF,
  EROFS: ERRNO.EACCES,
};

/** The errno a host fs error means to the program (EIO when there is no closer one). */
export function hostErrno(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? HOST_ERRNO[code] ?? ERRNO.EIO : ERRNO.EIO;
}

const deny = (errno: number, why: string): Resolved => ({ ok: false, errno, why });

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

export class FsSandbox {
  /** DIR, resolved: the real directory every opened path must lie in. */
  readonly root: string;

  /** Throws SandboxError when `dir` is not an existing directory. */
  constructor(dir: string) {
    let root: string;
    try {
      root = realpathSync(dir);
      if (!statSync(root).isDirectory()) throw new SandboxError(`--fs ${dir}: not a directory`);
    } catch (err) {
      if (err instanceof SandboxError) throw err;
      const why = isMissing(err) ? 'no such directory' : err instanceof Error ? err.message : String(err);
      throw new SandboxError(`--fs ${dir}: ${why}`, { cause: err });
    }
    this.root = root;
  }

  private inside(real: string): boolean {
    return real === this.root || real.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep);
  }

  /** Where a guest path leads on the host, or why it may not be opened. */
  resolve(guestPath: string, create: boolean): Resolved {
    if (guestPath === '') return deny(ERRNO.ENOENT, 'empty path');
    const parts: string[] = [];
    for (const c of guestPath.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (parts.length === 0) return deny(ERRNO.EACCES, "'..' climbs out of the granted directory");
        parts.pop();
      } else {
        parts.push(c);
      }
    }
    try {
      const real = realpathSync(join(this.root, ...parts));
      return this.inside(real) ? { ok: true, hostPath: real } : deny(ERRNO.EACCES, 'a symlink leads out of the granted directory');
    } catch (err) {
      if (!isMissing(err)) return deny(hostErrno(err), 'cannot resolve the path');
    }
    // Not there (or it ends in a dangling link). Whatever part of it exists must be inside.
    for (let i = parts.length - 1; i >= 0; i--) {
      let real: string;
      try {
        real = realpathSync(join(this.root, ...parts.slice(0, i)));
      } catch (err) {
        if (isMissing(err)) continue;
        return deny(hostErrno(err), 'cannot resolve the path');
      }
      if (!this.inside(real)) return deny(ERRNO.EACCES, 'a symlink leads out of the granted directory');
      if (i < parts.length - 1) return deny(ERRNO.ENOENT, 'a directory on the path does not exist');
      const target = join(real, parts[i]!);
      let dangling = false;
      try {
        lstatSync(target);
        dangling = true;
      } catch {
        // no such entry: the name is free
      }
      if (dangling) return deny(ERRNO.EACCES, 'a symlink leads nowhere (it is not followed)');
      if (!create) return deny(ERRNO.ENOENT, 'no such file');
      return { ok: true, hostPath: target };
    }
    return deny(ERRNO.ENOENT, 'no such file');
  }

  /** open(2) for the program: `flags` are the ABI's O_* bits. */
  open(guestPath: string, flags: number): OpenResult {
    const access = flags & 3;
    if ((flags & ~KNOWN_FLAGS) !== 0 || access === 3) return { ok: false, errno: ERRNO.EINVAL, why: 'unknown open flags' };
    const create = (flags & OPEN_FLAGS.O_CREAT) !== 0;
    const where = this.resolve(guestPath, create);
    if (!where.ok) return where;
    let host = constants.O_NOFOLLOW;
    host |= access === OPEN_FLAGS.O_WRONLY ? constants.O_WRONLY : access === OPEN_FLAGS.O_RDWR ? constants.O_RDWR : constants.O_RDONLY;
    if (create) host |= constants.O_CREAT;
    if ((flags & OPEN_FLAGS.O_TRUNC) !== 0) host |= constants.O_TRUNC;
    // O_APPEND is not passed on: positional writes ignore the offset in append
    // mode on Linux, so the runtime appends itself (seek to the end, then write).
    let fd: number;
    try {
      fd = openSync(where.hostPath, host, 0o644);
    } catch (err) {
      return { ok: false, errno: hostErrno(err), why: err instanceof Error ? err.message : String(err) };
    }
    try {
      if (fstatSync(fd).isDirectory()) {
        closeSync(fd);
        return { ok: false, errno: ERRNO.EISDIR, why: 'a directory (the ABI has no way to list one)' };
      }
    } catch (err) {
      closeSync(fd);
      return { ok: false, errno: hostErrno(err), why: 'cannot stat the opened file' };
    }
    return { ok: true, fd, hostPath: where.hostPath };
  }
}
