/**
 * Snapshot files on disk: written atomically, read whole or page by page.
 *
 * Writing never leaves a half-written file under the name a user sees: the
 * bytes go to a temporary file in the same directory (same file system, so
 * the rename cannot become a copy), which is fsync'd, renamed over the name,
 * and then the directory is fsync'd so the rename itself survives a crash.
 * A process killed at any point leaves the old file (or none) or the complete
 * new one under the name, and at worst a stray `.NAME.tmp-…` beside it.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { bufferSource, readSnapshot, type ByteSource, type ReadOptions, type SnapshotContents } from './snapshot-format.js';

/** The temporary name a snapshot is written under before it is renamed to `path`. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}

/** True for a name tempNameFor makes (image ls leaves them out). */
export function isTempName(name: string): boolean {
  return /^\..+\.tmp-\d+-[a-z0-9]+$/.test(name);
}

/**
 * Write `pieces` to `path` atomically (temp file, fsync, rename, fsync of the
 * directory). Returns the bytes written.
 */
export function writeFileAtomic(path: string, pieces: readonly Uint8Array[]): number {
  const tmp = tempNameFor(path);
  let fd = openSync(tmp, 'wx', 0o644);
  let total = 0;
  try {
    for (const p of pieces) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
      total += p.length;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return total;
}

/**
 * writeFileAtomic without holding the event loop: the writes and the fsyncs
 * run on libuv's thread pool, so a daemon's native VMs (which share its
 * thread) keep running while a large snapshot goes to disk. The same steps
 * and the same guarantee: `path` is the old file or the complete new one.
 */
export async function writeFileAtomicAsync(path: string, pieces: readonly Uint8Array[]): Promise<number> {
  const tmp = tempNameFor(path);
  const fh = await open(tmp, 'wx', 0o644);
  let total = 0;
  let closed = false;
  try {
    // Pieces are written in batches of at most 1024 (writev's IOV_MAX): a 64 MiB guest is 16k pages.
    for (let i = 0; i < pieces.length; i += 1024) {
      const batch = pieces.slice(i, i + 1024);
      const want = batch.reduce((n, p) => n + p.length, 0);
      let { bytesWritten } = await fh.writev(batch);
      // A short write (a full disk answers ENOSPC instead): the rest one piece at a time.
      if (bytesWritten < want) {
        let skip = bytesWritten;
        for (const p of batch) {
          if (skip >= p.length) {
            skip -= p.length;
            continue;
          }
          let off = skip;
          skip = 0;
          while (off < p.length) off += (await fh.write(p, off, p.length - off)).bytesWritten;
        }
        bytesWritten = want;
      }
      total += bytesWritten;
    }
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, path);
  } catch (e) {
    if (!closed) await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return total;
}

/** An open snapshot file, read piece by piece (a lazy restore's pages). */
export interface SnapshotFile {
  readonly path: string;
  readonly src: ByteSource;
  readonly contents: SnapshotContents;
  close(): void;
}

/** A ByteSource over an open file descriptor. */
function fdSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const b = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, b, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got === length ? b : b.subarray(0, got);
    },
  };
}

/**
 * Open a snapshot file and check it: everything, or (pages: false, a lazy
 * restore) everything but the pages, which are checked one by one as they
 * are read. Throws SnapshotError for a bad file, and the fs error for one
 * that cannot be opened.
 */
export function openSnapshotFile(path: string, options: ReadOptions): SnapshotFile {
  const fd = openSync(path, 'r');
  try {
    const src = options.pages ? bufferSource(readWhole(fd)) : fdSource(fd);
    const contents = readSnapshot(src, options);
    if (options.pages) closeSync(fd);
    let open = !options.pages;
    return {
      path,
      src,
      contents,
      close: () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    throw e;
  }
}

function readWhole(fd: number): Uint8Array {
  const size = fstatSync(fd).size;
  const b = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, b, got, size - got, got);
    if (n === 0) return b.subarray(0, got);
    got += n;
  }
  return b;
}
