/**
 * The program's standard streams on the host side. Each is either a host file
 * descriptor, used with synchronous calls so the order of the program's
 * reads and writes is exactly the order they reach the terminal or pipe, or a
 * callback (tests, `--json`, a debugger capture output in-process).
 */
import type * as fs from 'node:fs';
import { hostModule } from '../../isa/host-builtin.js';

// Only a stream given as a host fd uses these (the playground gives callbacks).
const { readSync, writeSync } = hostModule<typeof fs>('fs', 'a stream on a host fd');

/** Where a program's output goes: a host fd, or a function handed each write's bytes. */
export type OutputSink = number | ((bytes: Uint8Array) => void);
/** Where a program's input comes from: a host fd, or a function returning up to `max` bytes (none at end of input). */
export type InputSource = number | ((max: number) => Uint8Array);

/** Made on first use: a page that is not cross-origin isolated has no SharedArrayBuffer (and never sleeps here). */
let pause: Int32Array | undefined;

/** Block the thread briefly: a non-blocking pipe said "try again". */
export function sleepMs(ms: number): void {
  pause ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(pause, 0, 0, ms);
}

function code(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Write every byte to a host fd, waiting out EAGAIN. Throws other host errors. */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (err) {
      if (code(err) !== 'EAGAIN') throw err;
      sleepMs(5);
    }
  }
}

/** Read what is there (at least one byte, blocking), or nothing at end of input. Throws other host errors. */
export function readSomeSync(fd: number, max: number): Uint8Array {
  const buf = new Uint8Array(max);
  for (;;) {
    try {
      return buf.subarray(0, readSync(fd, buf, 0, max, null));
    } catch (err) {
      const c = code(err);
      if (c === 'EOF') return buf.subarray(0, 0);
      if (c !== 'EAGAIN') throw err;
      sleepMs(5);
    }
  }
}

export function emit(sink: OutputSink, bytes: Uint8Array): void {
  if (typeof sink === 'number') writeAllSync(sink, bytes);
  else sink(bytes);
}

export function take(source: InputSource, max: number): Uint8Array {
  return typeof source === 'number' ? readSomeSync(source, max) : source(max).subarray(0, max);
}
