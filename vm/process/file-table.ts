/**
 * The program's file descriptors: 0, 1 and 2 are its standard streams, the
 * rest files it opened under `--fs`. Each file keeps its own offset and is
 * read and written with positional synchronous calls, so seek is exact and
 * nothing depends on the host fd's own position.
 *
 * Descriptors are numbered like POSIX: the lowest free one. A program that
 * closes fd 1 and opens a file gets fd 1 back, and its writes to "stdout" go
 * to that file, as they would on Unix.
 */
import type * as fs from 'node:fs';
import { hostModule } from '../../isa/host-builtin.js';
import { ERRNO, SEEK_CUR, SEEK_END, SEEK_SET } from '../../isa/syscalls.js';
import { hostErrno } from './fs-sandbox.js';
import { emit, take, type InputSource, type OutputSink } from './host-io.js';

// Only files the --fs sandbox opened use these: a browser has none.
const { closeSync, fstatSync, readSync, writeSync } = hostModule<typeof fs>('fs', 'a host file');

/** At most this many descriptors, the standard three included; the next open fails with EMFILE. */
export const MAX_OPEN_FILES = 32;
/** A read returns at most this much at once (short reads are allowed; it bounds host memory). */
export const MAX_READ = 1 << 20;

type Entry =
  | { readonly kind: 'input'; readonly source: InputSource }
  | { readonly kind: 'output'; readonly sink: OutputSink }
  | {
      readonly kind: 'file';
      readonly fd: number;
      readonly path: string;
      readonly readable: boolean;
      readonly writable: boolean;
      readonly append: boolean;
      pos: number;
    };

export interface OpenFile {
  readonly fd: number;
  readonly path: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
}

export class FileTable {
  private readonly slots: (Entry | undefined)[] = new Array<Entry | undefined>(MAX_OPEN_FILES).fill(undefined);

  constructor(stdin: InputSource, stdout: OutputSink, stderr: OutputSink) {
    this.slots[0] = { kind: 'input', source: stdin };
    this.slots[1] = { kind: 'output', sink: stdout };
    this.slots[2] = { kind: 'output', sink: stderr };
  }

  private at(fd: number): Entry | undefined {
    return fd >= 0 && fd < MAX_OPEN_FILES ? this.slots[fd] : undefined;
  }

  /** The descriptor the next open gets, or -1 when the table is full. */
  freeSlot(): number {
    return this.slots.indexOf(undefined);
  }

  /** Install an opened host file; returns its descriptor or −EMFILE. */
  add(file: OpenFile): number {
    const fd = this.freeSlot();
    if (fd < 0) return -ERRNO.EMFILE;
    this.slots[fd] = { kind: 'file', ...file, pos: 0 };
    return fd;
  }

  canRead(fd: number): boolean {
    const e = this.at(fd);
    return e !== undefined && (e.kind === 'input' || (e.kind === 'file' && e.readable));
  }

  canWrite(fd: number): boolean {
    const e = this.at(fd);
    return e !== undefined && (e.kind === 'output' || (e.kind === 'file' && e.writable));
  }

  /** Up to `max` bytes (blocking on a stream), none at end of file, or −errno. */
  read(fd: number, max: number): Uint8Array | number {
    const e = this.at(fd);
    if (e === undefined || !this.canRead(fd)) return -ERRNO.EBADF;
    const n = Math.min(max, MAX_READ);
    try {
      if (e.kind === 'input') return take(e.source, n);
      if (e.kind !== 'file') return -ERRNO.EBADF;
      const buf = new Uint8Array(n);
      const got = readSync(e.fd, buf, 0, n, e.pos);
      e.pos += got;
      return buf.subarray(0, got);
    } catch (err) {
      return -hostErrno(err);
    }
  }

  /** Write all of `bytes`; the count written, or −errno. */
  write(fd: number, bytes: Uint8Array): number {
    const e = this.at(fd);
    if (e === undefined || !this.canWrite(fd)) return -ERRNO.EBADF;
    try {
      if (e.kind === 'output') {
        emit(e.sink, bytes);
        return bytes.length;
      }
      if (e.kind !== 'file') return -ERRNO.EBADF;
      if (e.append) e.pos = fstatSync(e.fd).size;
      let done = 0;
      while (done < bytes.length) done += writeSync(e.fd, bytes, done, bytes.length - done, e.pos + done);
      e.pos += done;
      return done;
    } catch (err) {
      return -hostErrno(err);
    }
  }

  /** Move a file's offset; the new offset or −errno. Streams cannot seek (EINVAL: the ABI has no ESPIPE). */
  seek(fd: number, offset: number, whence: number): number {
    const e = this.at(fd);
    if (e === undefined) return -ERRNO.EBADF;
    if (e.kind !== 'file') return -ERRNO.EINVAL;
    let base: number;
    try {
      if (whence === SEEK_SET) base = 0;
      else if (whence === SEEK_CUR) base = e.pos;
      else if (whence === SEEK_END) base = fstatSync(e.fd).size;
      else return -ERRNO.EINVAL;
    } catch (err) {
      return -hostErrno(err);
    }
    const to = base + (offset | 0);
    // The offset comes back in a0 as a non-negative 32-bit value.
    if (to < 0 || to > 0x7fff_ffff) return -ERRNO.EINVAL;
    e.pos = to;
    return to;
  }

  close(fd: number): number {
    const e = this.at(fd);
    if (e === undefined) return -ERRNO.EBADF;
    this.slots[fd] = undefined;
    if (e.kind === 'file') {
      try {
        closeSync(e.fd);
      } catch (err) {
        return -hostErrno(err);
      }
    }
    return 0;
  }

  /** Close every host file the program left open (at exit). */
  closeAll(): void {
    for (let fd = 0; fd < MAX_OPEN_FILES; fd++) {
      const e = this.slots[fd];
      if (e?.kind === 'file') {
        try {
          closeSync(e.fd);
        } catch {
          // already gone: nothing left to release
        }
      }
      this.slots[fd] = undefined;
    }
  }

  /** How many descriptors are in use. */
  get count(): number {
    return this.slots.filter((e) => e !== undefined).length;
  }
}
