/**
 * The guest's disk as the vCPU thread sees it: a DiskBackend whose reads and
 * writes are requests to the main thread, completed later by a message.
 *
 * The DiskDevice itself stays with the vCPU (its DMA reaches guest memory
 * there) and already allows a late completion: the guest sees status busy
 * until the completion arrives, then the interrupt. The main thread answers a
 * write only once the bytes are on the file and fdatasync'd (disk-backend.ts),
 * so a write the guest has seen complete survives the host process dying.
 */
import type { DiskBackend, DiskDone } from '../../vm/devices/disk.js';
import type { FromVcpu } from './channel.js';

export class DiskProxy implements DiskBackend {
  private readonly waiting = new Map<number, DiskDone>();
  private nextId = 1;

  /** `sectors` changes when another disk is plugged in (HostedGuest.setDisk). */
  constructor(public sectors: number, private readonly send: (message: FromVcpu, transfer?: ArrayBuffer[]) => void) {}

  read(sector: number, count: number, done: DiskDone): void {
    const id = this.nextId++;
    this.waiting.set(id, done);
    this.send({ kind: 'disk-read', id, sector, count });
  }

  write(sector: number, data: Uint8Array, done: DiskDone): void {
    const id = this.nextId++;
    this.waiting.set(id, done);
    // dmaRead gave us a copy of our own: hand its buffer over rather than copy it again.
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    this.send({ kind: 'disk-write', id, sector, data }, own ? [data.buffer as ArrayBuffer] : []);
  }

  /** A completion from the main thread: finish the request (the device raises its interrupt). */
  complete(id: number, error: string | null, data: Uint8Array | undefined): void {
    const done = this.waiting.get(id);
    if (!done) return;
    this.waiting.delete(id);
    if (error !== null) done(new Error(error));
    else done(null, data);
  }

  /** Requests the main thread has not answered yet. */
  get inFlight(): number {
    return this.waiting.size;
  }
}
