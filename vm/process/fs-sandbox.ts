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
 *
 * Only regular files open. A directory is EISDIR (the ABI cannot list one); a
 * FIFO, socket or device is EACCES (opening a FIFO would block the whole run,
 * where --max-instructions cannot stop it); a path ending in `/` (or `/.`)
 * names a directory, so `in.txt/` is ENOTDIR, as POSIX says, and O_TRUNC
 * leaves in.txt alone.
 *
 * The check above is made on names; the host can change them between the
 * check and the open (swap a directory for a symlink to outside). So the open
 * itself does not trust the path: on Linux it opens the resolved path one
 * component at a time, each in the directory opened before it
 * (`/proc/self/fd/N/NAME`, as openat does), with O_NOFOLLOW on every
 * component, so a link that appears on the way fails with EACCES instead of
 * being followed; and the file it ends up with is checked again through its
 * descriptor (`/proc/self/fd/N` must lie inside DIR), which catches a
 * directory renamed out of DIR while it was walked. Every open is
 * O_NONBLOCK (and O_NOCTTY), and the file type is checked with fstat on the
 * descriptor. Left open: a directory renamed out of DIR (not swapped for a
 * link) between the walk and the open is refused only after the open, so
 * O_CREAT or O_TRUNC has already acted on the file in it. Without /proc (not Linux) the resolved path is opened whole, with
 * O_NOFOLLOW on its last component only.
 */
import type * as fs from 'node:fs';
import type * as nodePath from 'node:path';
import { hostModule } from '../../isa/host-builtin.js';
import { ERRNO, OPEN_FLAGS } from '../../isa/syscalls.js';

// Node's, through the one door to the host (a browser bundle has neither; --fs is refused there).
const { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, statSync } = hostModule<typeof fs>('fs', 'the --fs sandbox');
const { join, relative, sep } = hostModule<typeof nodePath>('path', 'the --fs sandbox');
type Stats = fs.Stats;

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
  ENXIO: ERRNO.EACCES, // O_NONBLOCK write-open of a FIFO with no reader
  ENODEV: ERRNO.EACCES,
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

const PROC_FD = '/proc/self/fd';

/** Whether `/proc/self/fd/N` leads to what descriptor N has open (Linux). */
function procFdWorks(root: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
    return readlinkSync(`${PROC_FD}/${fd}`) === root && statSync(`${PROC_FD}/${fd}/.`).isDirectory();
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

/** Refuse a FIFO, socket or device before opening it (opening one can block or act); fstat checks again after. */
function refuseSpecial(path: string): OpenResult | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return undefined; // not there (yet): open says what happens
  }
  if (st.isFile() || st.isDirectory() || st.isSymbolicLink()) return undefined; // a link: O_NOFOLLOW refuses it
  return { ok: false, errno: ERRNO.EACCES, why: `${kindOf(st)}: only regular files can be opened` };
}

export class FsSandbox {
  /** DIR, resolved: the real directory every opened path must lie in. */
  readonly root: string;
  /** Whether /proc/self/fd names open descriptors (Linux): then opens are walked component by component. */
  private readonly procFd: boolean;

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
    this.procFd = procFdWorks(root);
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
    // A path that ends in `/` (or `/.`, `/..`) names a directory, as POSIX says:
    // `in.txt/` is ENOTDIR, not in.txt.
    const last = guestPath.slice(guestPath.lastIndexOf('/') + 1);
    const mustBeDir = guestPath.includes('/') && (last === '' || last === '.' || last === '..');
    const where = this.resolve(guestPath, create);
    if (!where.ok) return where;
    let host = constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
    if (mustBeDir) {
      host |= constants.O_RDONLY | constants.O_DIRECTORY;
    } else {
      host |= access === OPEN_FLAGS.O_WRONLY ? constants.O_WRONLY : access === OPEN_FLAGS.O_RDWR ? constants.O_RDWR : constants.O_RDONLY;
      if (create) host |= constants.O_CREAT;
      if ((flags & OPEN_FLAGS.O_TRUNC) !== 0) host |= constants.O_TRUNC;
    }
    // O_APPEND is not passed on: positional writes ignore the offset in append
    // mode on Linux, so the runtime appends itself (seek to the end, then write).
    const opened = this.openBeneath(relative(this.root, where.hostPath), host);
    if (!opened.ok) {
      if (mustBeDir && opened.errno === ERRNO.ENOENT && create) return { ok: false, errno: ERRNO.EISDIR, why: 'a name ending in / cannot be created as a file' };
      return opened;
    }
    const fd = opened.fd;
    const fail = (errno: number, why: string): OpenResult => {
      closeSync(fd);
      return { ok: false, errno, why };
    };
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) return fail(ERRNO.EISDIR, 'a directory (the ABI has no way to list one)');
      if (mustBeDir) return fail(ERRNO.ENOTDIR, 'not a directory (the path ends in /)');
      if (!st.isFile()) return fail(ERRNO.EACCES, `${kindOf(st)}: only regular files can be opened`);
    } catch (err) {
      return fail(hostErrno(err), 'cannot stat the opened file');
    }
    // The file actually opened must lie inside DIR: the walk refuses links,
    // and this catches a directory renamed out of DIR while it was walked.
    if (this.procFd) {
      let real: string;
      try {
        real = readlinkSync(`${PROC_FD}/${fd}`).replace(/ \(deleted\)$/, '');
      } catch (err) {
        return fail(hostErrno(err), 'cannot tell where the opened file is');
      }
      if (!this.inside(real)) return fail(ERRNO.EACCES, 'the opened file is outside the granted directory (the path changed while it was opened)');
    }
    return { ok: true, fd, hostPath: where.hostPath };
  }

  /**
   * Open `rel` (a path below DIR with no symlinks, as resolve() gives it) one
   * component at a time, each looked up in the directory opened before it and
   * none followed if it is a link: a directory swapped for a symlink after
   * resolve() fails here instead of leading out. Linux names "the entry NAME
   * in the directory open as fd N" `/proc/self/fd/N/NAME` (what openat does);
   * without /proc the whole path is opened, and only its last component is
   * kept from being a link.
   */
  private openBeneath(rel: string, hostFlags: number): OpenResult {
    const parts = rel === '' ? [] : rel.split(sep);
    if (!this.procFd) {
      const path = join(this.root, ...parts);
      const refused = refuseSpecial(path);
      if (refused) return refused;
      try {
        return { ok: true, fd: openSync(path, hostFlags, 0o644), hostPath: path };
      } catch (err) {
        return { ok: false, errno: hostErrno(err), why: err instanceof Error ? err.message : String(err) };
      }
    }
    const dirs: number[] = [];
    const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
    try {
      try {
        dirs.push(openSync(this.root, constants.O_RDONLY | constants.O_DIRECTORY));
      } catch (err) {
        return { ok: false, errno: hostErrno(err), why: 'cannot open the granted directory' };
      }
      if (parts.length === 0) return { ok: false, errno: ERRNO.EISDIR, why: 'a directory (the ABI has no way to list one)' };
      for (let i = 0; i < parts.length; i++) {
        const at = `${PROC_FD}/${dirs[dirs.length - 1]!}/${parts[i]!}`;
        const lastOne = i === parts.length - 1;
        if (lastOne) {
          const refused = refuseSpecial(at);
          if (refused) return refused;
        }
        try {
          const fd = openSync(at, lastOne ? hostFlags : DIR_FLAGS, 0o644);
          if (lastOne) return { ok: true, fd, hostPath: at };
          dirs.push(fd);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if ((code === 'ENOTDIR' || code === 'ELOOP') && isLink(at)) {
            return { ok: false, errno: ERRNO.EACCES, why: 'a symlink appeared on the path while it was opened (it is not followed)' };
          }
          return { ok: false, errno: hostErrno(err), why: err instanceof Error ? err.message.replace(at, join(this.root, ...parts.slice(0, i + 1))) : String(err) };
        }
      }
      return { ok: false, errno: ERRNO.ENOENT, why: 'no such file' }; // not reached
    } finally {
      for (const d of dirs) closeSync(d);
    }
  }
}
