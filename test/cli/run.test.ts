import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const FIX = 'test/fixtures/run';
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tv-run-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Write an assembly program into the temp dir and return its path. */
function source(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const exitWith = (status: number): string => `main:\n    li t0, 1\n    li a0, ${status}\n    syscall\n`;

describe('typevisor run', () => {
  test('hello world: the program writes to stdout and exits 0; nothing on stderr', () => {
    const r = runCli(['run', `${FIX}/hello.s`]);
    expect(r.stdout).toBe('Hello, world!\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('stdin is the program\'s input, read until end of input', () => {
    const input = 'first line\nsecond line, longer than the sixty-four byte buffer the program reads with\n';
    const r = runCli(['run', `${FIX}/echo.s`], { input });
    expect(r.stdout).toBe(input);
    expect(r.status).toBe(0);
  });

  test('exit status: the low 8 bits of the program\'s', () => {
    expect(runCli(['run', source('e42.s', exitWith(42))]).status).toBe(42);
    expect(runCli(['run', source('e300.s', exitWith(300))]).status).toBe(300 & 0xff);
  });

  test('arguments after -- reach the program; argv[0] is the file as given', () => {
    const r = runCli(['run', `${FIX}/args.s`, '--', 'one', 'two words', '--fs']);
    expect(r.stdout).toBe(`${FIX}/args.s\none\ntwo words\n--fs\n`);
    expect(r.status).toBe(4);
  });

  test('an image runs as its source does', () => {
    const img = join(tmp, 'hello.img');
    expect(runCli(['asm', `${FIX}/hello.s`, '-o', img]).status).toBe(0);
    const r = runCli(['run', img]);
    expect(r.stdout).toBe('Hello, world!\n');
    expect(r.status).toBe(0);
  });

  test('--json: one object with exit, stats and the captured output', () => {
    const r = runCli(['run', `${FIX}/hello.s`, '--json']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout) as { exit: Record<string, unknown>; stats: Record<string, unknown>; output: string };
    expect(Object.keys(j).sort()).toEqual(['exit', 'output', 'stats']);
    expect(j.exit).toEqual({ kind: 'exit', status: 0, code: 0 });
    expect(j.output).toBe('Hello, world!\n');
    expect(j.stats).toMatchObject({ instructions: 9, traps: { syscall: 2 }, syscalls: { write: 1, exit: 1 }, unknownSyscalls: 0 });
    expect(typeof j.stats['wallMs']).toBe('number');
    expect(typeof j.stats['mips']).toBe('number');
  });

  test('--json for a fault carries the trap, the pc and the report', () => {
    const r = runCli(['run', source('nullj.s', 'main:\n    lw a0, 0(zero)\n'), '--json']);
    expect(r.status).toBe(134);
    const j = JSON.parse(r.stdout) as { exit: Record<string, unknown> };
    expect(j.exit).toMatchObject({ kind: 'fault', trap: 'load-fault', cause: 6, pc: 0x1000, badaddr: 0, code: 134 });
    expect(j.exit['report']).toContain('load-fault at 0x00001000');
  });

  test('--trace: each instruction with the register it wrote, and each system call', () => {
    const r = runCli(['run', `${FIX}/hello.s`, '--trace']);
    expect(r.stdout).toBe('Hello, world!\n');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('00001000  li t0, 3                t0=0x00000003');
    expect(lines[1]).toBe('00001004  li a0, 1                a0=0x00000001');
    expect(lines).toContain('00001014  syscall');
    expect(lines).toContain('  -> write(1, 0x2000, 14) = 14');
    expect(lines).toContain('  -> exit(0)');
    expect(lines.indexOf('  -> write(1, 0x2000, 14) = 14')).toBe(lines.indexOf('00001014  syscall') + 1);
  });

  test('--trace shows failed calls with their errno', () => {
    const r = runCli(['run', `${FIX}/cat.s`, '--trace', '--', 'x.txt']);
    expect(r.status).toBe(13);
    expect(r.stderr).toMatch(/ {2}-> open\("x\.txt", 0x0\) = -13 \(EACCES: no filesystem granted/);
  });

  test('--stats: instructions, wall time, MIPS, traps by cause, syscalls by name', () => {
    const r = runCli(['run', `${FIX}/hello.s`, '--stats']);
    expect(r.stdout).toBe('Hello, world!\n');
    expect(r.stderr).toMatch(/^instructions +9$/m);
    expect(r.stderr).toMatch(/^wall time +\d+\.\d\d ms$/m);
    expect(r.stderr).toMatch(/^MIPS +\d+\.\d\d$/m);
    expect(r.stderr).toMatch(/^traps +syscall 2$/m);
    expect(r.stderr).toMatch(/^syscalls +write 1, exit 1$/m);
  });

  test('a fault: the report on stderr, exit 128 + cause', () => {
    const r = runCli(['run', source('null.s', 'main:\n    li a0, 7\n    li a1, 0\n    lw a0, 0(a1)\n')]);
    expect(r.status).toBe(134);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('load-fault at 0x00001008 <main+0x8>: lw a0, 0(a1) — address 0x00000000: page not mapped');
    expect(lines.slice(1)).toEqual([
      '  zero=0x00000000      ra=0x00000000      sp=0x7ffff000      fp=0x00000000',
      '    a0=0x00000007      a1=0x00000000      a2=0x00000000      a3=0x00000000',
      '    t0=0x00000000      t1=0x00000000      t2=0x00000000      t3=0x00000000',
      '    s0=0x00000000      s1=0x00000000      s2=0x00000000      s3=0x00000000',
    ]);
  });

  test.each([
    ['store to text', 136, 'store-fault', 'main:\n    la a1, main\n    sw a0, 0(a1)\n'],
    ['privileged instruction', 131, 'privileged-instruction', 'main:\n    csrr a0, status\n'],
    ['divide by zero', 138, 'divide-by-zero', 'main:\n    li a1, 1\n    div a0, a1, zero\n'],
    ['misaligned load', 133, 'misaligned-load', 'main:\n    la a1, w\n    lw a0, 2(a1)\n.data\nw: .word 1, 2\n'],
    ['jump to unmapped memory', 129, 'fetch-fault', 'main:\n    li a1, 0x40000\n    jr a1\n'],
    ['breakpoint', 132, 'breakpoint', 'main:\n    break\n'],
  ])('%s: exit %d, %s', (name, status, trap, text) => {
    const r = runCli(['run', source(`${trap}.s`, text)]);
    expect(r.status, name).toBe(status);
    expect(r.stderr.startsWith(`${trap} at 0x`)).toBe(true);
  });

  test('--max-instructions: an endless loop stops with exit 124 and a report', () => {
    const r = runCli(['run', source('spin.s', 'main:\n    addi a0, a0, 1\n    j main\n'), '--max-instructions', '1000']);
    expect(r.status).toBe(124);
    expect(r.stderr).toContain('instruction budget exhausted after 1000 instructions, next at 0x00001000 <main>: addi a0, a0, 1');
  });

  test('--fs grants a directory: cat reads a file in it, and cannot climb out', () => {
    const dir = join(tmp, 'granted');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'note.txt'), 'inside\n');
    writeFileSync(join(tmp, 'outside.txt'), 'outside\n');
    symlinkSync(join(tmp, 'outside.txt'), join(dir, 'link'));
    const ok = runCli(['run', `${FIX}/cat.s`, '--fs', dir, '--', '/sub/note.txt']);
    expect(ok.stdout).toBe('inside\n');
    expect(ok.status).toBe(0);
    for (const p of ['../outside.txt', 'sub/../../outside.txt', 'link']) {
      const r = runCli(['run', `${FIX}/cat.s`, '--fs', dir, '--', p]);
      expect(r.status, p).toBe(13); // cat exits with the errno: EACCES
      expect(r.stdout).toBe('');
    }
  });

  test('without --fs, open fails with EACCES and a note says how to grant a directory', () => {
    const r = runCli(['run', `${FIX}/cat.s`, '--', 'hello.s']);
    expect(r.status).toBe(13);
    expect(r.stderr).toContain('no directory is granted (run with --fs DIR)');
  });
});

describe('typevisor run refuses what it cannot run, with exit 1', () => {
  test('assembly errors: the diagnostics', () => {
    const r = runCli(['run', source('bad.s', 'main:\n    bogus a0\n')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bad.s:2:5: error: unknown instruction');
    expect(r.stdout).toBe('');
  });

  test('a broken image: the image error', () => {
    const p = join(tmp, 'broken.img');
    writeFileSync(p, 'TVIM not really');
    const r = runCli(['run', p]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*broken\.img: image: /);
  });

  test('a missing file', () => {
    const r = runCli(['run', join(tmp, 'nope.img')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read');
  });

  test('a kernel image: pointed to typevisor boot', () => {
    const r = runCli(['run', source('kernel.s', '.text\n.org 0x80000000\nmain:\n    halt\n')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('this image links at 0x80000000 (.text), in kernel space (0x80000000 and up) — boot it with `typevisor boot`');
  });

  test('bad options', () => {
    expect(runCli(['run', `${FIX}/hello.s`, '--mem', 'lots']).stderr).toContain('--mem "lots"');
    expect(runCli(['run', `${FIX}/hello.s`, '--mem', '12K']).stderr).toContain('does not fit in 12 KiB');
    expect(runCli(['run', `${FIX}/hello.s`, '--max-instructions', '-3']).status).toBe(1);
    const fs = runCli(['run', `${FIX}/hello.s`, '--fs', join(tmp, 'missing-dir')]);
    expect(fs.status).toBe(1);
    expect(fs.stderr).toContain('no such directory');
  });

  test('--help teaches the ABI', () => {
    const r = runCli(['run', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('number in t0');
    expect(r.stdout).toMatch(/ 3 {2}write\(fd, buf, len\)/);
    expect(r.stdout).toContain('Examples:');
  });
});
