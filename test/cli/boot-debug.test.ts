/**
 * `typevisor boot KERNEL --debug` driven as a user drives it: command
 * scripts through --batch and through a pipe, on the bare machine and under
 * the native monitor; the hosted monitor says in one line why it cannot.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tv-boot-debug-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const KERNEL = 'guests/kernel/kernel.s';

function script(name: string, lines: readonly string[]): string {
  const p = join(tmp, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

describe('boot --debug', () => {
  for (const monitor of ['none', 'native'] as const) {
    test(`${monitor}: a breakpoint in the trap handler hits on the first system call; bt, translate, finish, reverse`, () => {
      const file = script(`trap-${monitor}.gdb`, ['break trap_vector if $cause == 9', 'continue', 'bt', 'info traps 1', 'translate $epc', 'finish', 'reverse-step 3', 'step 3', 'quit']);
      const r = runCli(['boot', KERNEL, '--monitor', monitor, '--debug', '--batch', file]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = r.stdout;
      expect(out).toMatch(/stopped before its first instruction/);
      expect(out).toMatch(/\(tvdb\) continue\n(.*\n)*?breakpoint 1, 80000[0-9a-f]{3} <trap_vector> if \$cause == 9\ntrap: syscall \d+ \(cause 0x00000009\) from user mode at 0x[0-9a-f]{8}\n=> 80000[0-9a-f]{3} <trap_vector>: csrrw t0, scratch, t0/);
      expect(out).toMatch(/#1 {2}<trap from user mode: syscall at 0x[0-9a-f]{8}>/);
      expect(out).toMatch(/level 1 {2}table [0-9a-f]{8}[^\n]*\n {2}level 0 [^\n]*\n {2}→ physical [0-9a-f]{8} {2}\(v/);
      expect(out).toMatch(/run till the trap returns \(to user mode\)\n(.*\n)*?=> [0-9a-f]{8} <hello:_start\+0x[0-9a-f]+>: .*\n {3}\[user mode/);
      // reverse-step 3 then step 3 comes back to the very same place.
      const where = [...out.matchAll(/\[(user|supervisor) mode, (\d+) instructions retired, tick (\d+)\]/g)].map((m) => m[0]);
      expect(where.at(-1)).toBe(where.at(-3));
      expect(where.at(-2)).not.toBe(where.at(-1));
    }, 60_000);
  }

  test('commands on stdin when it is not a terminal, echoed as a transcript; malformed ones get one line each', () => {
    const r = runCli(['boot', KERNEL, '--debug'], { input: 'frobnicate\nx/zz sp\nprint (1+\nstep 2\n\ninfo nothing\n' });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const after = (cmd: string): string[] => lines.slice(lines.indexOf(`(tvdb) ${cmd}`) + 1);
    expect(after('frobnicate')[0]).toBe("unknown command 'frobnicate' — type help");
    expect(after('frobnicate')[1]).toBe('(tvdb) x/zz sp');
    expect(after('x/zz sp')[0]).toMatch(/^x: bad format '\/zz'/);
    expect(after('print (1+')[0]).toBe('print: an operand is missing at the end');
    expect(after('print (1+')[1]).toBe('(tvdb) step 2');
    // An empty line repeats step 2: instret goes 2 then 4.
    expect(r.stdout).toMatch(/2 instructions retired, tick 2\]\n\(tvdb\) \n.*\n {3}\[supervisor mode, 4 instructions retired, tick 4\]/);
    expect(after('info nothing')[0]).toMatch(/^info: no 'nothing'/);
    expect(r.stdout).not.toMatch(/internal error|\.js:\d+/);
  }, 30_000);

  test('hosted: the vCPU thread is stepped from the debugger; the same first system call; going back is refused in one line', () => {
    const file = script('trap-hosted.gdb', ['break trap_vector if $cause == 9', 'continue', 'bt', 'translate $epc', 'finish', 'reverse-step', 'goto 5', 'quit']);
    const r = runCli(['boot', KERNEL, '--monitor', 'hosted', '--debug', '--batch', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^vm1 under the hosted monitor, stopped before its first instruction/);
    const hit = /breakpoint 1, 80000[0-9a-f]{3} <trap_vector> if \$cause == 9\ntrap: syscall 3 \(cause 0x00000009\) from user mode at 0x000012d8\n=> 80000[0-9a-f]{3} <trap_vector>: csrrw t0, scratch, t0\n {3}\[supervisor mode, (\d+) instructions retired/;
    expect(out).toMatch(hit);
    // The same guest, the same first system call: as many instructions as on the bare machine.
    const bare = runCli(['boot', KERNEL, '--debug', '--batch', file]);
    expect(hit.exec(out)![1]).toBe(hit.exec(bare.stdout)![1]);
    expect(out).toMatch(/#1 {2}<trap from user mode: syscall at 0x000012d8>/);
    expect(out).toMatch(/→ physical [0-9a-f]{8} {2}\(v/);
    expect(out).toMatch(/=> 000012dc <hello:_start\+0x1c>: li a0, 0\n {3}\[user mode/);
    expect(out).toMatch(/\(tvdb\) reverse-step\nreverse execution is not available: under the hosted monitor virtual time follows the host clock[^\n]*\n\(tvdb\) goto 5\nreverse execution is not available/);
  }, 60_000);

  test('--batch without --debug and a missing batch file: one clear line each', () => {
    const noDebug = runCli(['boot', KERNEL, '--batch', 'x.gdb']);
    expect(noDebug.stderr).toMatch(/--batch .*add --debug/);
    const missing = runCli(['boot', KERNEL, '--debug', '--batch', join(tmp, 'nope.gdb')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--batch .*nope\.gdb: no such file/);
  }, 30_000);

  test("the README's session is what the command prints today", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const command = '$ typevisor boot guests/kernel/kernel.s --debug --batch guests/kernel/debug-trap.gdb\n';
    const start = readme.indexOf(command);
    expect(start).toBeGreaterThan(0);
    const shown = readme.slice(start + command.length, readme.indexOf('\n```', start));
    const r = runCli(['boot', KERNEL, '--debug', '--batch', 'guests/kernel/debug-trap.gdb']);
    expect(r.stdout.trimEnd()).toBe(shown);
  }, 60_000);
});
