/**
 * The runtime's view of the program's memory when it serves a system call:
 * a buffer is usable only if every byte of it is mapped for the user with the
 * permission the call needs (read for write(), write for read()), checked
 * before any host I/O so a bad pointer never consumes input or output.
 */
import { PTE_R, PTE_W } from '../mmu.js';
import { Mode } from '../cpu.js';
import type { Machine } from '../machine.js';
import { PAGE_SIZE } from '../memmap.js';

export const PATH_MAX = 4096;

/** True when [va, va+len) is all mapped for the user with the `need` PTE bits (and does not wrap). */
export function userRangeOk(m: Machine, va: number, len: number, need: number): boolean {
  va >>>= 0;
  if (len === 0) return true;
  if (va + len > 2 ** 32) return false;
  for (let p = va - (va % PAGE_SIZE); p < va + len; p += PAGE_SIZE) {
    if (m.hostOffset(p, Mode.USER, need) < 0) return false;
  }
  return true;
}

/** Copy a user buffer out; undefined if any byte is not readable by the user. */
export function readUser(m: Machine, va: number, len: number): Uint8Array | undefined {
  return userRangeOk(m, va, len, PTE_R) ? m.readVirtual(va >>> 0, len, Mode.USER) : undefined;
}

/** Copy bytes into a user buffer; false if any byte is not writable by the user. */
export function writeUser(m: Machine, va: number, bytes: Uint8Array): boolean {
  return userRangeOk(m, va, bytes.length, PTE_W) && m.writeVirtual(va >>> 0, bytes, Mode.USER);
}

export type CString = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: 'fault' | 'too-long' };

/** The NUL-terminated string at va (without the NUL), reading at most `max` bytes before giving up. */
export function readUserString(m: Machine, va: number, max = PATH_MAX): CString {
  const out: number[] = [];
  let a = va >>> 0;
  while (out.length < max) {
    const off = m.hostOffset(a, Mode.USER, PTE_R);
    if (off < 0) return { ok: false, reason: 'fault' };
    const n = Math.min(PAGE_SIZE - (a % PAGE_SIZE), max - out.length);
    const u8 = m.memory.u8;
    for (let i = 0; i < n; i++) {
      const b = u8[off + i]!;
      if (b === 0) return { ok: true, bytes: Uint8Array.from(out) };
      out.push(b);
    }
    a = (a + n) >>> 0;
    if (a === 0) return { ok: false, reason: 'fault' };
  }
  return { ok: false, reason: 'too-long' };
}
