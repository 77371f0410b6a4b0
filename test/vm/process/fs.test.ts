import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Reg } from '../../../isa/registers.js';
import { ERRNO, OPEN_FLAGS, SEEK_CUR, SEEK_END, SEEK_SET, Sys } from '../../../isa/syscalls.js';
import { MAX_OPEN_FILES, SandboxError, FsSandbox } from '../../../vm/process/index.js';
import { DATA, TEXT, cstring, harness, peek, poke, text, type Harness } from './harness.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = OPEN_FLAGS;
const PATH = DATA + 4096; // where the tests put path strings
const BUF = DATA; // and I/O buffers

let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tv-fs-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  writeFileSync(join(root, 'hello.txt'), 'hello from the host\n');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  writeFileSync(join(root, 'a', 'b', 'c.txt'), 'nested');
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function open(h: Harness, path: string, flags: number): number {
  return h.call(Sys.OPEN, cstring(h.vm, PATH, path), flags);
}

function readAll(h: Harness, fd: number, max = 256): string {
  const n = h.call(Sys.READ, fd, BUF, max);
  if (n < 0) throw new Error(`read failed: ${n}`);
  return Buffer.from(peek(h.vm, BUF, n)).toString();
}

function write(h: Harness, fd: number, s: string): number {
  poke(h.vm, BUF, text(s));
  return h.call(Sys.WRITE, fd, BUF, text(s).length);
}

describe('without --fs', () => {
  test('every open is EACCES, and the runtime notes why', () => {
    const h = harness();
    expect(open(h, 'hello.txt', O_RDONLY)).toBe(-ERRNO.EACCES);
    expect(open(h, join(root, 'hello.txt'), O_RDONLY)).toBe(-ERRNO.EACCES);
    expect(h.vm.syscalls.refusedNoFs).toBe(2);
  });
});

describe('files under --fs', () => {
  test('open, read, close', () => {
    const h = harness({ fsRoot: root });
    const fd = open(h, 'hello.txt', O_RDONLY);
    expect(fd).toBe(3);
    expect(readAll(h, fd)).toBe('hello from the host\n');
    expect(h.call(Sys.READ, fd, BUF, 10)).toBe(0); // end of file
    expect(h.call(Sys.CLOSE, fd)).toBe(0);
    expect(h.call(Sys.CLOSE, fd)).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.READ, fd, BUF, 1)).toBe(-ERRNO.EBADF);
  });

  test('O_CREAT makes a new file; writes land in it', () => {
    const h = harness({ fsRoot: root });
    const fd = open(h, 'new.txt', O_WRONLY | O_CREAT);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(write(h, fd, 'created')).toBe(7);
    expect(h.call(Sys.CLOSE, fd)).toBe(0);
    expect(readFileSync(join(root, 'new.txt'), 'utf8')).toBe('created');
  });

  test('a missing file without O_CREAT is ENOENT; a missing directory even with it', () => {
    const h = harness({ fsRoot: root });
    expect(open(h, 'nope.txt', O_RDONLY)).toBe(-ERRNO.ENOENT);
    expect(open(h, 'nodir/x.txt', O_WRONLY | O_CREAT)).toBe(-ERRNO.ENOENT);
    expect(open(h, '', O_RDONLY)).toBe(-ERRNO.ENOENT);
  });

  test('O_TRUNC empties the file; O_APPEND writes at the end whatever the offset', () => {
    const h = harness({ fsRoot: root });
    let fd = open(h, 'hello.txt', O_WRONLY | O_TRUNC);
    expect(write(h, fd, 'short')).toBe(5);
    h.call(Sys.CLOSE, fd);
    expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('short');
    fd = open(h, 'hello.txt', O_RDWR | O_APPEND);
    expect(h.call(Sys.SEEK, fd, 0, SEEK_SET)).toBe(0);
    expect(write(h, fd, '+more')).toBe(5);
    expect(h.call(Sys.SEEK, fd, 0, SEEK_CUR)).toBe(10);
    h.call(Sys.CLOSE, fd);
    expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('short+more');
  });

  test('without O_TRUNC a write overwrites in place', () => {
    const h = harness({ fsRoot: root });
    const fd = open(h, 'hello.txt', O_RDWR);
    expect(write(h, fd, 'HELLO')).toBe(5);
    expect(readAll(h, fd, 5)).toBe(' from');
    expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('HELLO from the host\n');
  });

  test('seek: from the start, the current offset and the end; bad whence or negative is EINVAL', () => {
    const h = harness({ fsRoot: root });
    const fd = open(h, 'hello.txt', O_RDONLY); // "hello from the host\n", 20 bytes
    expect(h.call(Sys.SEEK, fd, 6, SEEK_SET)).toBe(6);
    expect(readAll(h, fd, 4)).toBe('from');
    expect(h.call(Sys.SEEK, fd, 1, SEEK_CUR)).toBe(11);
    expect(readAll(h, fd, 3)).toBe('the');
    expect(h.call(Sys.SEEK, fd, -5, SEEK_END)).toBe(15);
    expect(readAll(h, fd)).toBe('host\n');
    expect(h.call(Sys.SEEK, fd, 100, SEEK_END)).toBe(120); // past the end is allowed
    expect(h.call(Sys.READ, fd, BUF, 4)).toBe(0);
    expect(h.call(Sys.SEEK, fd, 0, 3)).toBe(-ERRNO.EINVAL);
    expect(h.call(Sys.SEEK, fd, -1, SEEK_SET)).toBe(-ERRNO.EINVAL);
    expect(h.call(Sys.SEEK, fd, -30, SEEK_END)).toBe(-ERRNO.EINVAL);
    expect(h.call(Sys.SEEK, fd, 0, SEEK_CUR)).toBe(120); // failures leave the offset
    expect(h.call(Sys.SEEK, 1, 0, SEEK_SET)).toBe(-ERRNO.EINVAL); // a stream
    expect(h.call(Sys.SEEK, 17, 0, SEEK_SET)).toBe(-ERRNO.EBADF);
  });

  test('access modes: writing a read-only fd or reading a write-only one is EBADF', () => {
    const h = harness({ fsRoot: root });
    const r = open(h, 'hello.txt', O_RDONLY);
    const w = open(h, 'a/b/c.txt', O_WRONLY);
    expect(write(h, r, 'x')).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.READ, w, BUF, 4)).toBe(-ERRNO.EBADF);
    expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('hello from the host\n');
  });

  test('bad flags are EINVAL', () => {
    const h = harness({ fsRoot: root });
    expect(open(h, 'hello.txt', 3)).toBe(-ERRNO.EINVAL);
    expect(open(h, 'hello.txt', 0x8000)).toBe(-ERRNO.EINVAL);
  });

  test('a directory is EISDIR; a file used as a directory ENOTDIR', () => {
    const h = harness({ fsRoot: root });
    expect(open(h, 'a', O_RDONLY)).toBe(-ERRNO.EISDIR);
    expect(open(h, '/', O_RDONLY)).toBe(-ERRNO.EISDIR);
    expect(open(h, 'a/b', O_WRONLY)).toBe(-ERRNO.EISDIR);
    expect(open(h, 'hello.txt/x', O_RDONLY)).toBe(-ERRNO.ENOTDIR);
  });

  test('a trailing slash names a directory: on a file ENOTDIR (the file is left alone), on a directory EISDIR', () => {
    const h = harness({ fsRoot: root });
    for (const p of ['hello.txt/', 'hello.txt/.', 'a/b/c.txt//']) {
      expect(open(h, p, O_RDONLY), p).toBe(-ERRNO.ENOTDIR);
      expect(open(h, p, O_WRONLY | O_TRUNC), p).toBe(-ERRNO.ENOTDIR);
      expect(open(h, p, O_RDWR | O_CREAT), p).toBe(-ERRNO.ENOTDIR);
    }
    expect(readFileSync(join(root, 'hello.txt'), 'utf8')).toBe('hello from the host\n');
    expect(open(h, 'a/', O_RDONLY)).toBe(-ERRNO.EISDIR);
    expect(open(h, 'new/', O_WRONLY | O_CREAT)).toBe(-ERRNO.EISDIR);
    expect(open(h, 'new/', O_RDONLY)).toBe(-ERRNO.ENOENT);
    expect(existsSync(join(root, 'new'))).toBe(false);
  });

  // A FIFO is tested through the CLI (test/cli/run-fs.test.ts): opened in this
  // process, a regression would block the test worker for good.

  test(`at most ${MAX_OPEN_FILES} descriptors: EMFILE, until one is closed`, () => {
    const h = harness({ fsRoot: root });
    const fds: number[] = [];
    for (let i = 3; i < MAX_OPEN_FILES; i++) fds.push(open(h, 'hello.txt', O_RDONLY));
    expect(fds).toEqual(Array.from({ length: MAX_OPEN_FILES - 3 }, (_, i) => i + 3));
    expect(open(h, 'hello.txt', O_RDONLY)).toBe(-ERRNO.EMFILE);
    expect(open(h, 'fresh.txt', O_WRONLY | O_CREAT)).toBe(-ERRNO.EMFILE);
    expect(existsSync(join(root, 'fresh.txt'))).toBe(false); // refused before creating anything
    expect(h.call(Sys.CLOSE, 10)).toBe(0);
    expect(open(h, 'hello.txt', O_RDONLY)).toBe(10);
  });

  test('descriptors are the lowest free: closing stdout and opening a file redirects it', () => {
    const h = harness({ fsRoot: root });
    expect(h.call(Sys.CLOSE, 1)).toBe(0);
    expect(open(h, 'out.txt', O_WRONLY | O_CREAT)).toBe(1);
    expect(write(h, 1, 'redirected')).toBe(10);
    expect(h.stdout.text).toBe('');
    expect(readFileSync(join(root, 'out.txt'), 'utf8')).toBe('redirected');
  });

  test('files left open are closed when the program ends', () => {
    const h = harness({ fsRoot: root });
    open(h, 'hello.txt', O_RDONLY);
    open(h, 'hello.txt', O_RDONLY);
    expect(h.vm.files.count).toBe(5);
    h.vm.machine.cpu.regs[Reg.T0] = Sys.EXIT;
    h.vm.machine.cpu.regs[Reg.A0] = 0;
    h.vm.machine.cpu.pc = TEXT;
    expect(h.vm.run()).toEqual({ kind: 'exit', status: 0 });
    expect(h.vm.files.count).toBe(0);
  });
});

describe('paths stay inside the granted directory', () => {
  test('nested paths work, with or without a leading /, with . and .. that stay inside', () => {
    const h = harness({ fsRoot: root });
    for (const p of ['a/b/c.txt', '/a/b/c.txt', './a/./b/c.txt', 'a/b/../b/c.txt', 'a//b///c.txt']) {
      const fd = open(h, p, O_RDONLY);
      expect(fd, p).toBeGreaterThanOrEqual(3);
      expect(readAll(h, fd)).toBe('nested');
      h.call(Sys.CLOSE, fd);
    }
    const fd = open(h, 'a/b/new.txt', O_WRONLY | O_CREAT);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(root, 'a', 'b', 'new.txt'))).toBe(true);
  });

  test.each(['../outside/secret.txt', 'a/../../outside/secret.txt', '/../outside/secret.txt', '..', 'a/b/../../..'])('%s climbs out: EACCES', (p) => {
    const h = harness({ fsRoot: root });
    expect(open(h, p, O_RDONLY)).toBe(-ERRNO.EACCES);
    expect(open(h, p, O_WRONLY | O_CREAT | O_TRUNC)).toBe(-ERRNO.EACCES);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  test('an absolute host path is read inside the directory, so it cannot reach the host file', () => {
    const h = harness({ fsRoot: root });
    const host = join(outside, 'secret.txt');
    expect(open(h, host, O_RDONLY)).toBe(-ERRNO.ENOENT);
    expect(open(h, host, O_WRONLY | O_CREAT | O_TRUNC)).toBe(-ERRNO.ENOENT);
    expect(readFileSync(host, 'utf8')).toBe('top secret');
    // and it names the file of that path inside the directory, if there is one
    mkdirSync(join(root, outside), { recursive: true });
    writeFileSync(join(root, host), 'the inner one');
    const fd = open(h, host, O_RDONLY);
    expect(readAll(h, fd)).toBe('the inner one');
  });

  test('a symlink to a file outside: EACCES, and the file is left alone', () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak'));
    symlinkSync('../outside/secret.txt', join(root, 'a', 'relleak'));
    const h = harness({ fsRoot: root });
    for (const p of ['leak', 'a/relleak']) {
      expect(open(h, p, O_RDONLY)).toBe(-ERRNO.EACCES);
      expect(open(h, p, O_RDWR | O_TRUNC)).toBe(-ERRNO.EACCES);
      expect(open(h, p, O_WRONLY | O_CREAT | O_APPEND)).toBe(-ERRNO.EACCES);
    }
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  test('a symlink to a directory outside: EACCES for what is there and for creating through it', () => {
    symlinkSync(outside, join(root, 'a', 'out'));
    const h = harness({ fsRoot: root });
    expect(open(h, 'a/out/secret.txt', O_RDONLY)).toBe(-ERRNO.EACCES);
    expect(open(h, 'a/out/new.txt', O_WRONLY | O_CREAT)).toBe(-ERRNO.EACCES);
    expect(open(h, 'a/out/deeper/new.txt', O_WRONLY | O_CREAT)).toBe(-ERRNO.EACCES);
    expect(open(h, 'a/out', O_RDONLY)).toBe(-ERRNO.EACCES);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
  });

  test('a dangling symlink is not followed when creating (it could lead anywhere)', () => {
    symlinkSync(join(outside, 'planted.txt'), join(root, 'trap'));
    const h = harness({ fsRoot: root });
    expect(open(h, 'trap', O_WRONLY | O_CREAT)).toBe(-ERRNO.EACCES);
    expect(open(h, 'trap', O_RDONLY)).toBe(-ERRNO.EACCES);
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
  });

  test('symlinks that stay inside are fine, relative or absolute, chained or not', () => {
    symlinkSync('a/b/c.txt', join(root, 'rel'));
    symlinkSync(join(root, 'a', 'b'), join(root, 'absdir'));
    symlinkSync('rel', join(root, 'chain'));
    const h = harness({ fsRoot: root });
    for (const p of ['rel', 'absdir/c.txt', 'chain']) {
      const fd = open(h, p, O_RDONLY);
      expect(fd, p).toBeGreaterThanOrEqual(3);
      expect(readAll(h, fd)).toBe('nested');
    }
    expect(open(h, 'absdir/made.txt', O_WRONLY | O_CREAT)).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(root, 'a', 'b', 'made.txt'))).toBe(true);
  });

  test('a chain of links that ends outside: EACCES', () => {
    symlinkSync(join(outside, 'secret.txt'), join(root, 'hop2'));
    symlinkSync('hop2', join(root, 'hop1'));
    const h = harness({ fsRoot: root });
    expect(open(h, 'hop1', O_RDONLY)).toBe(-ERRNO.EACCES);
  });

  test('the granted directory may itself be reached through a symlink', () => {
    symlinkSync(root, join(base, 'rootlink'));
    const h = harness({ fsRoot: join(base, 'rootlink') });
    const fd = open(h, 'hello.txt', O_RDONLY);
    expect(readAll(h, fd)).toBe('hello from the host\n');
  });

  test('a sibling whose name starts with the directory name is still outside', () => {
    mkdirSync(`${root}2`);
    writeFileSync(join(`${root}2`, 'x'), 'sibling');
    symlinkSync(join(`${root}2`, 'x'), join(root, 'sib'));
    const h = harness({ fsRoot: root });
    expect(open(h, 'sib', O_RDONLY)).toBe(-ERRNO.EACCES);
  });

  test('--fs must name an existing directory', () => {
    expect(() => new FsSandbox(join(base, 'missing'))).toThrow(SandboxError);
    expect(() => new FsSandbox(join(root, 'hello.txt'))).toThrow(/not a directory/);
  });
});
