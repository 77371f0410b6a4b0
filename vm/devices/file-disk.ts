/**
 * A disk backed by a host file, with synchronous I/O: the bare machine and
 * the native monitor use it. A write completes only after the bytes are on the
 * file (and fdatasync'd when `durable`), so a write the guest saw complete
 * survives the host process being killed.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { SECTOR_SIZE, type DiskBackend, type DiskDone } from './disk.js';

export class FileDisk implements DiskBackend {
  readonly sectors: number;
  private fd: number;

  /** Open (or create, at `createSize` bytes, sparse) a disk file. */
  constructor(readonly path: string, options: { createSize?: number; durable?: boolean; readOnly?: boolean } = {}) {
    const flags = options.readOnly ? 'r' : 'r+';
    try {
      this.fd = openSync(path, flags);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || options.createSize === undefined) throw e;
      this.fd = openSync(path, 'w+');
      ftruncateSync(this.fd, options.createSize);
    }
    this.sectors = Math.floor(fstatSync(this.fd).size / SECTOR_SIZE);
    this.durable = options.durable ?? false;
  }

  private readonly durable: boolean;

  read(sector: number, count: number, done: DiskDone): void {
    const buf = new Uint8Array(count * SECTOR_SIZE);
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(this.fd, buf, got, buf.length - got, sector * SECTOR_SIZE + got);
        if (n === 0) break; // past the end of a sparse file: zeros
        got += n;
      }
    } catch (e) {
      done(e as Error);
      return;
    }
    done(null, buf);
  }

  write(sector: number, data: Uint8Array, done: DiskDone): void {
    try {
      let put = 0;
      while (put < data.length) put += writeSync(this.fd, data, put, data.length - put, sector * SECTOR_SIZE + put);
      if (this.durable) fdatasyncSync(this.fd);
    } catch (e) {
      done(e as Error);
      return;
    }
    done(null);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
