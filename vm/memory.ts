/**
 * Physical RAM: one buffer (a SharedArrayBuffer when a worker thread runs the
 * vCPU), three views over it, and the per-page dirty log.
 *
 * Offsets here are RAM offsets (physical address − RAM_BASE). The dirty log is
 * one byte per page: the interpreter never touches it on its fast path. A page
 * is marked when a store first gets write permission into the TLB (see Mmu), or
 * when a device or the host writes it; clearing the log revokes every write
 * permission in the TLB so the next store to each page is seen again.
 */
import { PAGE_SHIFT, PAGE_SIZE, RAM_BASE, RAM_MAX } from './memmap.js';
import { Signal } from './signal.js';

export class MemoryError extends Error {
  override readonly name = 'MemoryError';
}

export class PhysicalMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly size: number;
  readonly pages: number;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** 1 where the page was written since the log was last cleared. */
  readonly dirty: Uint8Array;
  /** Emitted when the dirty log is cleared, so the MMU can drop write permissions. */
  readonly dirtyClear = new Signal();
  /**
   * Pages holding translated code (the translation tier), and the event (RAM
   * page number) emitted when one is written: its translations are then stale.
   */
  code: Uint8Array | undefined;
  readonly codeWrite = new Signal<number>();

  constructor(size: number, shared = false, buffer?: ArrayBuffer | SharedArrayBuffer, byteOffset = 0, dirty?: Uint8Array) {
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > RAM_MAX) {
      throw new MemoryError(`memory size must be a positive multiple of 4 KiB up to 1 GiB, got ${size}`);
    }
    this.size = size;
    this.pages = size >>> PAGE_SHIFT;
    this.buffer = buffer ?? (shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    if (byteOffset % PAGE_SIZE !== 0 || byteOffset + size > this.buffer.byteLength || (byteOffset === 0 && !dirty && this.buffer.byteLength !== size)) {
      throw new MemoryError(`buffer of ${this.buffer.byteLength} bytes cannot hold ${size} bytes at offset ${byteOffset}`);
    }
    this.u8 = new Uint8Array(this.buffer, byteOffset, size);
    this.u16 = new Uint16Array(this.buffer, byteOffset, size >>> 1);
    this.i32 = new Int32Array(this.buffer, byteOffset, size >>> 2);
    this.dirty = dirty ?? new Uint8Array(this.pages);
  }

  /**
   * A window onto part of this memory that behaves as RAM of its own, starting
   * at RAM_BASE: what a monitor gives one VM as its guest-physical memory. The
   * window shares the bytes and the dirty log with its host, so a store the
   * guest makes through the real MMU is in the VM's dirty log too.
   */
  window(offset: number, size: number): PhysicalMemory {
    if (offset % PAGE_SIZE !== 0 || offset < 0 || offset + size > this.size) {
      throw new MemoryError(`window 0x${offset.toString(16)}+0x${size.toString(16)} is outside memory of 0x${this.size.toString(16)} bytes`);
    }
    const view = new PhysicalMemory(size, false, this.buffer, this.u8.byteOffset + offset, this.dirty.subarray(offset >>> PAGE_SHIFT, (offset + size) >>> PAGE_SHIFT));
    view.dirtyClear.subscribe(() => this.dirtyClear.emit());
    return view;
  }

  /** RAM offset of a physical address, or -1 if there is no RAM there. */
  offsetOf(pa: number, len = 1): number {
    const off = (pa >>> 0) - RAM_BASE;
    return off >= 0 && off + len <= this.size ? off : -1;
  }

  /** Host-side write of bytes at a physical address (loaders, syscalls, DMA). Marks pages dirty. */
  write(pa: number, bytes: Uint8Array): void {
    const off = this.offsetOf(pa, bytes.length);
    if (off < 0) throw new MemoryError(`physical write of ${bytes.length} bytes at 0x${(pa >>> 0).toString(16)} is outside RAM`);
    this.u8.set(bytes, off);
    this.markDirty(off, bytes.length);
  }

  /** DMA read for a device: a copy of [pa, pa+len), or undefined if any of it is not RAM. */
  dmaRead(pa: number, len: number): Uint8Array | undefined {
    const off = len >= 0 ? this.offsetOf(pa, len) : -1;
    return off < 0 ? undefined : this.u8.slice(off, off + len);
  }

  /** DMA write for a device; false (nothing written) if any byte would fall outside RAM. */
  dmaWrite(pa: number, bytes: Uint8Array): boolean {
    const off = this.offsetOf(pa, bytes.length);
    if (off < 0) return false;
    this.u8.set(bytes, off);
    this.markDirty(off, bytes.length);
    return true;
  }

  read(pa: number, len: number): Uint8Array {
    const off = this.offsetOf(pa, len);
    if (off < 0) throw new MemoryError(`physical read of ${len} bytes at 0x${(pa >>> 0).toString(16)} is outside RAM`);
    return this.u8.slice(off, off + len);
  }

  fill(pa: number, len: number, value = 0): void {
    const off = this.offsetOf(pa, len);
    if (off < 0) throw new MemoryError(`physical fill of ${len} bytes at 0x${(pa >>> 0).toString(16)} is outside RAM`);
    this.u8.fill(value, off, off + len);
    this.markDirty(off, len);
  }

  readWord(pa: number): number {
    const off = this.offsetOf(pa, 4);
    if (off < 0 || (off & 3) !== 0) throw new MemoryError(`physical word read at 0x${(pa >>> 0).toString(16)} is outside RAM or misaligned`);
    return this.i32[off >>> 2]!;
  }

  writeWord(pa: number, value: number): void {
    const off = this.offsetOf(pa, 4);
    if (off < 0 || (off & 3) !== 0) throw new MemoryError(`physical word write at 0x${(pa >>> 0).toString(16)} is outside RAM or misaligned`);
    this.i32[off >>> 2] = value;
    this.markDirty(off, 4);
  }

  markDirty(off: number, len: number): void {
    if (len <= 0) return;
    const last = (off + len - 1) >>> PAGE_SHIFT;
    const code = this.code;
    for (let p = off >>> PAGE_SHIFT; p <= last; p++) {
      this.dirty[p] = 1;
      if (code !== undefined && code[p] === 1) this.codeWrite.emit(p);
    }
  }

  /**
   * The pages written since the last call (RAM page numbers, ascending), and
   * clear the log. Write permission leaves the TLB, so the next store to any
   * page is logged again.
   */
  takeDirtyPages(): number[] {
    const out: number[] = [];
    const d = this.dirty;
    for (let p = 0; p < d.length; p++) if (d[p] !== 0) out.push(p);
    d.fill(0);
    this.dirtyClear.emit();
    return out;
  }

  countDirty(): number {
    let n = 0;
    for (let p = 0; p < this.dirty.length; p++) n += this.dirty[p]!;
    return n;
  }
}
