import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tv-debug-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function source(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

/** Sum 5+4+3+2+1 into `total`, a dot per round (no newline), then "!\n"; exit with the sum. */
const PROG = `; sums 5..1
main:
    li   s0, 0
    li   s1, 5
    la   s2, total
loop:
    add  s0, s0, s1
    sw   s0, 0(s2)
    li   t0, 3
    li   a0, 1
    la   a1, dot
    li   a2, 1
    syscall
    addi s1, s1, -1
    bne  s1, zero, loop
    li   t0, 3
    li   a0, 1
    la   a1, bang
    li   a2, 2
    syscall
    li   t0, 1
    mv   a0, s0
    syscall
.data
total: .word 0
dot:   .ascii "."
bang:  .ascii "!\\n"
`;

const debug = (file: string, commands: readonly string[], extra: readonly string[] = [], env: Readonly<Record<string, string>> = {}) =>
  runCli(['debug', file, ...extra], { input: commands.map((c) => `${c}\n`).join(''), env });

describe('typevisor debug', () => {
  test('a scripted session reads as a transcript: each command echoed, then what it did', () => {
    const prog = source('prog.s', PROG);
    const r = debug(prog, ['break loop', 'continue', 'regs', 'step 3', 'mem sp-8 16', 'watch total', 'continue', 'quit']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `stopped at main (0x00001000): li s0, 0   ; ${prog}:3`,
        '(tvdb) break loop',
        `breakpoint 1 at loop (0x00001010): add s0, s0, s1   ; ${prog}:7`,
        '(tvdb) continue',
        'breakpoint 1 hit (1 time)',
        `stopped at loop (0x00001010): add s0, s0, s1   ; ${prog}:7`,
        '(tvdb) regs',
        ' zero 0x00000000           0       ra 0x00000000           0',
        '   sp 0x7ffff000  2147479552       fp 0x00000000           0',
        '   a0 0x00000000           0       a1 0x00000000           0',
        '   a2 0x00000000           0       a3 0x00000000           0',
        '   t0 0x00000000           0       t1 0x00000000           0',
        '   t2 0x00000000           0       t3 0x00000000           0',
        '   s0 0x00000000           0    *  s1 0x00000005           5',
        '*  s2 0x00002000        8192       s3 0x00000000           0',
        '*  pc 0x00001010        4112  <loop>',
        '(* changed since the previous stop)',
        '(tvdb) step 3',
        '00001010  add s0, s0, s1          s0=0x00000005',
        '00001014  sw s0, 0(s2)',
        '00001018  li t0, 3                t0=0x00000003',
        `stopped at loop+0xc (0x0000101c): li a0, 1   ; ${prog}:10`,
        '(tvdb) mem sp-8 16',
        '7fffeff8  00 00 00 00 00 00 00 00  ?? ?? ?? ?? ?? ?? ?? ??  |........        |',
        'note: 0x7ffff000..0x7ffff008 (8 bytes) is not mapped: shown as ??',
        '(tvdb) watch total',
        'watchpoint 2 at total (0x00002000): 0x00000005 (5)',
        '  (while a watchpoint is set, continue goes one instruction at a time: slower)',
        '(tvdb) continue',
        // The program's dot has no newline: the debugger's next line starts on a line of its own.
        '.',
        'breakpoint 1 hit (2 times)',
        `stopped at loop (0x00001010): add s0, s0, s1   ; ${prog}:7`,
        '(tvdb) quit',
        '',
      ].join('\n'),
    );
  });

  test('the watchpoint fires with old and new values and the instruction that changed it', () => {
    const prog = source('watch.s', PROG);
    const r = debug(prog, ['watch total', 'c', 'c']);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('(tvdb) c');
    expect(lines.slice(at + 1, at + 6)).toEqual([
      'watchpoint 1: the word at total (0x00002000) changed',
      '  old 0x00000000 (0)',
      '  new 0x00000005 (5)',
      `  by loop+0x4 (0x00001014): sw s0, 0(s2)   ; ${prog}:8`,
      `stopped at loop+0x8 (0x00001018): li t0, 3   ; ${prog}:9`,
    ]);
    expect(lines).toContain('  new 0x00000009 (9)');
  });

  test('end of input ends the session cleanly; the exit status is the program\'s once it has exited', () => {
    const prog = source('eof.s', PROG);
    const r = debug(prog, ['continue']);
    expect(r.stderr).toBe('');
    expect(r.stdout.endsWith('(tvdb) continue\n.....!\nprogram exited with status 15\n')).toBe(true);
    expect(r.status).toBe(15);
    const early = debug(prog, ['step']);
    expect(early.status).toBe(0);
    expect(runCli(['debug', prog], { input: '' }).status).toBe(0);
  });

  test('a fault inside the debugger shows the report run prints', () => {
    const prog = source('null.s', 'main:\n    li a0, 7\n    li a1, 0\n    lw a0, 0(a1)\n');
    const run = runCli(['run', prog]);
    const r = debug(prog, ['continue', 'regs', 'step']);
    const reportLines = run.stderr.trimEnd().split('\n');
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('(tvdb) continue');
    expect(lines.slice(at + 1, at + 1 + reportLines.length)).toEqual(reportLines);
    expect(lines).toContain("the program is not running (it stopped by a load-fault) — 'run' starts it again");
    expect(r.status).toBe(run.status);
    expect(r.status).toBe(134);
  });

  test('bad commands are explained and the session goes on', () => {
    const prog = source('bad.s', PROG);
    const r = debug(prog, ['frobnicate', 'break 0x10', 'mem', 'step two', 'info']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("unknown command 'frobnicate' — type help\n");
    expect(r.stdout).toContain("break: 0x00000010 is not in the program's code (code is at 0x00001000..0x0000105c)\n");
    expect(r.stdout).toContain('usage: mem ADDR [LEN]');
    expect(r.stdout).toContain("step: 'two' is not a positive whole number\n");
    expect(r.stdout).toContain('(tvdb) info\npc main (0x00001000): li s0, 0');
  });

  test('break FILE:LINE from the source', () => {
    const prog = source('lines.s', PROG);
    const r = debug(prog, ['break lines.s:14', 'continue', 'print s1']);
    expect(r.stdout).toContain(`breakpoint 1 at loop+0x20 (0x00001030): addi s1, s1, -1   ; ${prog}:14`);
    expect(r.stdout).toContain('(tvdb) print s1\n0x00000005  5  5\n');
  });

  test('the program gets arguments after -- and its input from --stdin, not the commands', () => {
    const echo = source(
      'echo.s',
      'main:\n    li t0, 2\n    li a0, 0\n    la a1, buf\n    li a2, 16\n    syscall\n    mv a2, a0\n    li t0, 3\n    li a0, 1\n    la a1, buf\n    syscall\n    li t0, 9\n    syscall\n    li t0, 1\n    syscall\n.data\nbuf: .space 16\n',
    );
    const input = source('input.txt', 'from the file\n');
    const r = debug(echo, ['continue'], ['--stdin', input, '--', 'a', 'b']);
    expect(r.stdout).toContain('(tvdb) continue\nfrom the file\nprogram exited with status 3\n');
    expect(r.status).toBe(3);
    const none = debug(echo, ['continue']);
    expect(none.stdout).toContain('(tvdb) continue\nprogram exited with status 1\n');
  });

  test('an image works as well as its source', () => {
    const img = join(tmp, 'prog.img');
    expect(runCli(['asm', source('img.s', PROG), '-o', img]).status).toBe(0);
    const r = debug(img, ['b loop', 'c', 'break img.s:7']);
    expect(r.stdout).toContain('stopped at loop (0x00001010): add s0, s0, s1\n');
    expect(r.stdout).toContain('break: no source line information (the program was loaded from an image): give a label or an address\n');
  });

  test('colour only when asked for: none when piped, changed registers painted with FORCE_COLOR', () => {
    const prog = source('color.s', PROG);
    const plain = debug(prog, ['step', 'regs']);
    expect(plain.stdout).not.toContain('\x1b[');
    const forced = debug(prog, ['step', 'regs'], [], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(forced.stdout).toMatch(/\x1b\[[0-9;]*m\*\s+pc 0x00001004/);
  });

  test('cannot start: a missing file or a bad --mem is an error, exit 1', () => {
    const missing = debug(join(tmp, 'nope.s'), ['quit']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot read');
    const mem = debug(source('m.s', PROG), ['quit'], ['--mem', 'lots']);
    expect(mem.status).toBe(1);
    expect(mem.stderr).toContain('--mem "lots" is not a size');
  });
});
