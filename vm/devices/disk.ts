/**
 * Block device: DMA of 512-byte sectors between memory and a disk backing,
 * with a completion interrupt.
 *
 *   +0x00 SECTOR    read/write: first sector of the transfer
 *   +0x04 ADDR      read/write: physical address of the buffer
 *   +0x08 COUNT     read/write: number of sectors (1..128)
 *   +0x0c CMD       write: 1 read (disk → memory), 2 write (memory → disk)
 *   +0x10 STATUS    read: 0 idle, 1 busy, 2 done, 3 error
 *   +0x14 ERROR     read: why the last command failed (DiskError)
 *   +0x18 ACK       write: acknowledge: status back to idle, interrupt cleared
 *   +0x1c CAPACITY  read: size of the disk in sectors
 *
 * A driver fills SECTOR/ADDR/COUNT, writes CMD, and waits for the disk
 * interrupt (or polls STATUS), then writes ACK. A bad sector range, a DMA
 * address outside memory or a command while busy ends in status 3 with an
 * error code — the driver sees a device error; the host never crashes.
 *
 * The backing is a DiskBackend; it may complete at once (memory, a file read
 * synchronously) or later (the hosted monitor's asynchronous file I/O).
 */
import { Irq } from '../../isa/csr.js';
import { DISK_BASE } from '../memmap.js';
import type { Device, DeviceHost } from '../device.js';

export const SECTOR_SIZE = 512;
export const DISK_MAX_COUNT = 128;

export const DISK_SECTOR = 0x00;
export const DISK_ADDR = 0x04;
export const DISK_COUNT = 0x08;
export const DISK_CMD = 0x0c;
export const DISK_STATUS = 0x10;
export const DISK_ERROR = 0x14;
export const DISK_ACK = 0x18;
export const DISK_CAPACITY = 0x1c;

export const enum DiskCmd { READ = 1, WRITE = 2 }
export const enum DiskStatus { IDLE = 0, BUSY = 1, DONE = 2, ERROR = 3 }
export const enum DiskError { NONE = 0, BAD_SECTOR = 1, BAD_ADDRESS = 2, IO = 3, BAD_COMMAND = 4, BUSY = 5 }
export const DISK_ERRORS: readonly string[] = ['none', 'sector range outside the disk', 'DMA address outside memory', 'host I/O error', 'unknown command or count', 'command while busy'];

/** A disk device's whole state (the sectors live in the backend, not here). */
export interface DiskState {
  readonly sector: number;
  readonly addr: number;
  readonly count: number;
  /** The last command written (replayed on restore if it was in flight). */
  readonly cmd: number;
  readonly status: DiskStatus;
  readonly error: DiskError;
  /** Statistics: commands started. */
  readonly reads: number;
  readonly writes: number;
}

export type DiskDone = (error: Error | null, data?: Uint8Array) => void;

/** Where the sectors live. Implementations may call `done` synchronously. */
export interface DiskBackend {
  readonly sectors: number;
  read(sector: number, count: number, done: DiskDone): void;
  write(sector: number, data: Uint8Array, done: DiskDone): void;
  /** Release host resources (files). */
  close?(): void;
}

/** A disk held in memory (tests, the native monitor's per-VM regions). */
export class MemoryDisk implements DiskBackend {
  readonly sectors: number;
  constructor(readonly bytes: Uint8Array) {
    this.sectors = Math.floor(bytes.length / SECTOR_SIZE);
  }
  read(sector: number, count: number, done: DiskDone): void {
    done(null, this.bytes.slice(sector * SECTOR_SIZE, (sector + count) * SECTOR_SIZE));
  }
  write(sector: number, data: Uint8Array, done: DiskDone): void {
    this.bytes.set(data, sector * SECTOR_SIZE);
    done(null);
  }
}

export class DiskDevice implements Device<DiskState> {
  readonly name = 'disk';
  readonly base = DISK_BASE;
  private host: DeviceHost | undefined;
  private sector = 0;
  private addr = 0;
  private count = 0;
  private status: DiskStatus = DiskStatus.IDLE;
  private error: DiskError = DiskError.NONE;
  private cmd = 0;
  /** Incremented per command so a late completion of a cancelled command is ignored. */
  private generation = 0;
  reads = 0;
  writes = 0;

  constructor(private backend: DiskBackend | undefined) {}

  attach(host: DeviceHost): void {
    this.host = host;
  }

  /** Re-bind the host resource (after restore on another host). */
  setBackend(backend: DiskBackend | undefined): void {
    this.backend = backend;
  }

  get busy(): boolean {
    return this.status === DiskStatus.BUSY;
  }

  read(offset: number): number {
    switch (offset) {
      case DISK_SECTOR: return this.sector;
      case DISK_ADDR: return this.addr;
      case DISK_COUNT: return this.count;
      case DISK_STATUS: return this.status;
      case DISK_ERROR: return this.error;
      case DISK_CAPACITY: return this.backend?.sectors ?? 0;
      default: return 0;
    }
  }

  write(offset: number, value: number): void {
    switch (offset) {
      case DISK_SECTOR: this.sector = value >>> 0; break;
      case DISK_ADDR: this.addr = value >>> 0; break;
      case DISK_COUNT: this.count = value >>> 0; break;
      case DISK_CMD: this.command(value >>> 0); break;
      case DISK_ACK:
        if (this.status !== DiskStatus.BUSY) {
          this.status = DiskStatus.IDLE;
          this.error = DiskError.NONE;
          this.host?.lowerIrq(Irq.DISK);
        }
        break;
    }
  }

  private command(cmd: number): void {
    if (this.status === DiskStatus.BUSY) {
      this.error = DiskError.BUSY; // the command in flight goes on; this one is dropped
      return;
    }
    this.cmd = cmd;
    const gen = ++this.generation;
    const backend = this.backend;
    const host = this.host;
    if ((cmd !== DiskCmd.READ && cmd !== DiskCmd.WRITE) || this.count < 1 || this.count > DISK_MAX_COUNT) return this.finish(DiskError.BAD_COMMAND, gen);
    if (!backend || !host || this.sector + this.count > backend.sectors) return this.finish(DiskError.BAD_SECTOR, gen);
    const len = this.count * SECTOR_SIZE;
    this.status = DiskStatus.BUSY;
    if (cmd === DiskCmd.READ) {
      // Check the destination before touching the disk: a bad address fails fast.
      if (!host.dmaRead(this.addr, len)) return this.finish(DiskError.BAD_ADDRESS, gen);
      this.reads++;
      backend.read(this.sector, this.count, (err, data) => {
        if (gen !== this.generation) return;
        if (err || !data) return this.finish(DiskError.IO, gen);
        this.finish(host.dmaWrite(this.addr, data) ? DiskError.NONE : DiskError.BAD_ADDRESS, gen);
      });
    } else {
      const data = host.dmaRead(this.addr, len);
      if (!data) return this.finish(DiskError.BAD_ADDRESS, gen);
      this.writes++;
      backend.write(this.sector, data, (err) => {
        if (gen !== this.generation) return;
        this.finish(err ? DiskError.IO : DiskError.NONE, gen);
      });
    }
  }

  private finish(error: DiskError, gen: number): void {
    if (gen !== this.generation) return;
    this.error = error;
    this.status = error === DiskError.NONE ? DiskStatus.DONE : DiskStatus.ERROR;
    this.host?.raiseIrq(Irq.DISK);
  }

  save(): DiskState {
    return { sector: this.sector, addr: this.addr, count: this.count, cmd: this.cmd, status: this.status, error: this.error, reads: this.reads, writes: this.writes };
  }

  restore(s: DiskState): void {
    this.sector = s.sector;
    this.addr = s.addr;
    this.count = s.count;
    this.status = s.status;
    this.error = s.error;
    this.reads = s.reads;
    this.writes = s.writes;
    this.cmd = s.cmd;
    this.generation++;
    if (this.status === DiskStatus.BUSY) {
      // Saved mid-transfer: the request is replayed against this side's backing.
      this.status = DiskStatus.IDLE;
      this.command(this.cmd);
    } else if (this.status === DiskStatus.DONE || this.status === DiskStatus.ERROR) {
      this.host?.raiseIrq(Irq.DISK);
    } else {
      this.host?.lowerIrq(Irq.DISK);
    }
  }
}
