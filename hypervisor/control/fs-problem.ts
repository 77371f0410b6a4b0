/**
 * A host file operation that failed, worded for the person who named the
 * file: "no such file", "it is a directory". Node's own messages
 * ("EISDIR: illegal operation on a directory, read", or the name of a
 * temporary file the user never gave) are for programmers.
 */
import { dirname } from 'node:path';

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
