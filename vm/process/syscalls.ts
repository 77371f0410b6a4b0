/**
 * Serving the system-call ABI (isa/syscalls.ts) in host code.
 *
 * The `syscall` instruction traps to the host with pc on the instruction
 * itself. The number is in t0, the arguments in a0..a3; the result goes in
 * a0 (a negative value is −errno), pc moves past the instruction and every
 * other register is left as it was. A served call retires like any other
 * instruction, so it counts once in the instruction count and in `clock`.
 */
import { Reg } from '../../isa/registers.js';
import { ERRNO, OPEN_FLAGS, Sys, syscallInfo } from '../../isa/syscalls.js';
import type { Machine } from '../machine.js';
import { PTE_W } from '../mmu.js';
import type { AddressSpace } from './address-space.js';
import type { FileTable } from './file-table.js';
import type { FsSandbox } from './fs-sandbox.js';
import { readUser, readUserString, writeUser, userRangeOk } from './user-memory.js';

/** One served call, for --trace, --stats and debuggers. */
export interface SyscallEvent {
  readonly num: number;
  /** The ABI name, or `syscall#N` for a number the ABI does not define. */
  readonly name: string;
  /** The arguments the call takes, from a0 up (all four for an unknown call). */
  readonly args: readonly number[];
  /** What the program gets in a0 (negative: −errno); for exit, the status. */
  readonly result: number;
  /** a1 as well, for calls that return two words (clock). */
  readonly high?: number;
  /** open's path as the program gave it. */
  readonly path?: string;
  /** Why a call failed, when the errno alone does not say (open). */
  readonly why?: string;
}

export type Served =
  | { readonly kind: 'return'; readonly event: SyscallEvent }
  | { readonly kind: 'exit'; readonly status: number; readonly event: SyscallEvent };

const ERRNO_NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** `EACCES` for 13. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export interface SyscallContext {
  readonly machine: Machine;
  readonly space: AddressSpace;
  readonly files: FileTable;
  readonly sandbox: FsSandbox | undefined;
  /** argv: argument 0 is the program's path as given. */
  readonly args: readonly string[];
}

export class SyscallServer {
  /** Calls served, by name (unknown numbers as `syscall#N`). */
  readonly counts = new Map<string, number>();
  /** Calls with a number the ABI does not define (answered −ENOSYS). */
  unknown = 0;
  /** open() refused because no directory was granted (so the CLI can say how to grant one). */
  refusedNoFs = 0;
  private readonly argBytes: readonly Uint8Array[];

  constructor(private readonly ctx: SyscallContext) {
    this.argBytes = ctx.args.map((a) => utf8.encode(a));
  }

  /** Serve the call the machine trapped on: write a0 (and a1), step pc past it. */
  serve(): Served {
    const m = this.ctx.machine;
    const regs = m.cpu.regs;
    const num = regs[Reg.T0]!;
    const a = [regs[Reg.A0]!, regs[Reg.A1]!, regs[Reg.A2]!, regs[Reg.A3]!] as const;
    const info = syscallInfo(num);
    const name = info?.name ?? `syscall#${num}`;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    const args = a.slice(0, info ? info.args.length : 4);

    m.cpu.pc = (m.cpu.pc + 4) >>> 0;
    m.cpu.instret++;

    if (num === Sys.EXIT) return { kind: 'exit', status: a[0] & 0xff, event: { num, name, args, result: a[0] } };

    let extra: { high?: number; path?: string; why?: string } = {};
    let result: number;
    switch (num) {
      case Sys.READ: result = this.read(a[0], a[1], a[2] >>> 0); break;
      case Sys.WRITE: result = this.write(a[0], a[1], a[2] >>> 0); break;
      case Sys.OPEN: ({ result, extra } = this.open(a[0], a[1])); break;
      case Sys.CLOSE: result = this.ctx.files.close(a[0]); break;
      case Sys.SEEK: result = this.ctx.files.seek(a[0], a[1], a[2]); break;
      case Sys.BRK: result = this.ctx.space.setBreak(a[0]); break;
      case Sys.CLOCK: {
        // instret already counts this call; the clock reads the time it was made.
        const t = m.cpu.instret - 1;
        result = t % 2 ** 32 | 0;
        const high = Math.floor(t / 2 ** 32) | 0;
        regs[Reg.A1] = high;
        extra = { high };
        break;
      }
      case Sys.ARGC: result = this.argBytes.length; break;
      case Sys.ARGV: result = this.argv(a[0] >>> 0, a[1], a[2] >>> 0); break;
      case Sys.YIELD: result = 0; break; // one process: nobody else to run
      case Sys.GETPID: result = 1; break;
      case Sys.WAIT: result = -ERRNO.ECHILD; break; // no children, ever
      default:
        this.unknown++;
        result = -ERRNO.ENOSYS;
    }
    regs[Reg.A0] = result;
    return { kind: 'return', event: { num, name, args, result, ...extra } };
  }

  private read(fd: number, buf: number, len: number): number {
    const files = this.ctx.files;
    if (!files.canRead(fd)) return -ERRNO.EBADF;
    if (len === 0) return 0;
    if (!userRangeOk(this.ctx.machine, buf, len, PTE_W)) return -ERRNO.EFAULT;
    const got = files.read(fd, len);
    if (typeof got === 'number') return got;
    if (!writeUser(this.ctx.machine, buf, got)) return -ERRNO.EFAULT; // checked above; cannot happen
    return got.length;
  }

  private write(fd: number, buf: number, len: number): number {
    const files = this.ctx.files;
    if (!files.canWrite(fd)) return -ERRNO.EBADF;
    if (len === 0) return 0;
    const bytes = readUser(this.ctx.machine, buf, len);
    if (bytes === undefined) return -ERRNO.EFAULT;
    return files.write(fd, bytes);
  }

  private open(pathPtr: number, flags: number): { result: number; extra: { path?: string; why?: string } } {
    const s = readUserString(this.ctx.machine, pathPtr);
    if (!s.ok) return { result: s.reason === 'fault' ? -ERRNO.EFAULT : -ERRNO.ENAMETOOLONG, extra: {} };
    let path: string;
    try {
      path = utf8Strict.decode(s.bytes);
    } catch {
      return { result: -ERRNO.EINVAL, extra: { why: 'the path is not UTF-8' } };
    }
    const sandbox = this.ctx.sandbox;
    if (sandbox === undefined) {
      this.refusedNoFs++;
      return { result: -ERRNO.EACCES, extra: { path, why: 'no filesystem granted (run with --fs DIR)' } };
    }
    const files = this.ctx.files;
    if (files.freeSlot() < 0) return { result: -ERRNO.EMFILE, extra: { path } };
    const opened = sandbox.open(path, flags);
    if (!opened.ok) return { result: -opened.errno, extra: { path, why: opened.why } };
    const access = flags & 3;
    const fd = files.add({
      fd: opened.fd,
      path: opened.hostPath,
      readable: access === OPEN_FLAGS.O_RDONLY || access === OPEN_FLAGS.O_RDWR,
      writable: access === OPEN_FLAGS.O_WRONLY || access === OPEN_FLAGS.O_RDWR,
      append: (flags & OPEN_FLAGS.O_APPEND) !== 0,
    });
    return { result: fd, extra: { path } };
  }

  private argv(i: number, buf: number, len: number): number {
    const arg = this.argBytes[i];
    if (arg === undefined) return -ERRNO.EINVAL;
    if (len > 0) {
      // Truncated to len bytes, the NUL included: a program gets a C string whatever len it passes.
      const n = Math.min(arg.length, len - 1);
      const out = new Uint8Array(n + 1);
      out.set(arg.subarray(0, n));
      if (!writeUser(this.ctx.machine, buf, out)) return -ERRNO.EFAULT;
    }
    return arg.length;
  }
}
