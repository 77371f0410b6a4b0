/**
 * The guest's disk as a host file, served by the main thread with
 * asynchronous I/O (fs/promises): a slow disk delays only the guest's own
 * request, never the vCPU or the console.
 *
 * Durability: a write is answered only after its bytes are written and the
 * file is fdatasync'd, so any write the guest has seen complete is on the
 * host's disk even if this process is killed the next instant. Requests run
 * one at a time, in order (the guest's device has one in flight anyway), and
 * close() waits for the one in flight, so a stop mid-write never leaves half a
 * request behind the guest's back.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';

export class HostDiskError extends Error {
  override readonly name = 'HostDiskError';
}

export interface HostDiskCounters {
  readonly path: string;
  readonly sectors: number;
  readonly created: boolean;
  readonly reads: number;
  readonly writes: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly syncs: number;
}

export class HostDisk {
  reads = 0;
  writes = 0;
  bytesRead = 0;
  bytesWritten = 0;
  syncs = 0;
  /** The request in flight and those queued behind it. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(readonly path: string, private readonly file: FileHandle, readonly sectors: number, readonly created: boolean) {}

  /** Open a disk file; a missing one is created sparse at `createSize` bytes when given. */
  static async open(path: string, createSize?: number): Promise<HostDisk> {
    let file: FileHandle;
    let created = false;
    try {
      file = await open(path, 'r+');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new HostDiskError(`cannot open disk ${path}: ${(e as Error).message}`);
      if (createSize === undefined) throw new HostDiskError(`cannot open disk ${path}: no such file (give --disk-size to create it)`);
      file = await open(path, 'wx+');
      await file.truncate(createSize); // sparse: no block is written until the guest writes it
      created = true;
    }
    const size = (await file.stat()).size;
    return new HostDisk(path, file, Math.floor(size / SECTOR_SIZE), created);
  }

  /** Read `count` sectors (past the end of a short file: zeros). */
  read(sector: number, count: number): Promise<Uint8Array> {
    return this.queue(async () => {
      const buf = new Uint8Array(count * SECTOR_SIZE);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await this.file.read(buf, got, buf.length - got, sector * SECTOR_SIZE + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      this.reads++;
      this.bytesRead += buf.length;
      return buf;
    });
  }

  /** Write whole sectors; resolves once they are on the file and fdatasync'd. */
  write(sector: number, data: Uint8Array): Promise<void> {
    return this.queue(async () => {
      let put = 0;
      while (put < data.length) {
        const { bytesWritten } = await this.file.write(data, put, data.length - put, sector * SECTOR_SIZE + put);
        put += bytesWritten;
      }
      await this.file.datasync();
      this.writes++;
      this.syncs++;
      this.bytesWritten += data.length;
    });
  }

  /** Resolves when every request made so far has finished. */
  async drain(): Promise<void> {
    await this.tail.catch(() => undefined);
  }

  /** Finish what is in flight, then close the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drain();
    await this.file.close();
  }

  counters(): HostDiskCounters {
    return { path: this.path, sectors: this.sectors, created: this.created, reads: this.reads, writes: this.writes, bytesRead: this.bytesRead, bytesWritten: this.bytesWritten, syncs: this.syncs };
  }

  private queue<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new HostDiskError(`disk ${this.path} is closed`));
    const next = this.tail.then(op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
