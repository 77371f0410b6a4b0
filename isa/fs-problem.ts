/**
 * A host file operation that failed, worded for the person who named the
 * file: "no such file", "it is a directory". Node's own messages
 * ("EISDIR: illegal operation on a directory, read", or the name of a
 * temporary file the user never gave) are for programmers. Here, below
 * every layer, because the assembler and image loader, the daemon's
 * snapshots and the CLI all name files a person gave them.
 */

// The folder part of a path, without node:path: isa/ is also bundled for the browser, where this is never called.
const dirname = (path: string): string => {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
};

/** Why reading `path` (a file, or a folder with `what: 'directory'`) failed. */
export function readProblem(e: unknown, what: 'file' | 'directory' = 'file'): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return `no such ${what}`;
    case 'EISDIR': return 'it is a directory';
    case 'ENOTDIR': return what === 'directory' ? 'not a directory' : 'a part of the path is not a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    default: return e instanceof Error ? e.message : String(e);
  }
}

/** Why writing `path` failed. */
export function writeProblem(e: unknown, path: string): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return `no such directory ${dirname(path)}`;
    case 'EISDIR': return 'it is a directory';
    case 'ENOTDIR': return `${dirname(path)} is not a directory`;
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOSPC': return 'no space left on the device';
    case 'EROFS': return 'the file system is read-only';
    default: return e instanceof Error ? e.message : String(e);
  }
}
