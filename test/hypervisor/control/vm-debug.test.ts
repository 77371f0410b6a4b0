/**
 * `typevisor vm debug NAME` against a real daemon: attaching pauses the VM,
 * a command script runs the kernel debugger there (breakpoint, bt, reverse,
 * forward again), detaching resumes it; a hosted VM is stepped on its
 * vCPU thread; a missing one is refused in one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanup, cli, spawnDaemon, type Daemon } from './daemons.js';

let daemon: Daemon;
let tmp: string;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tv-vm-debug-'));
  daemon = await spawnDaemon();
});
afterAll(async () => {
  await cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const at = (): string[] => ['--connect', daemon.address];

describe('vm debug', () => {
  test('attach pauses, the script runs in the daemon, detach resumes', async () => {
    expect((await cli(['vm', 'start', 'guests/tour/ticker.s', '--name', 't', '--mem', '4M', ...at()])).status).toBe(0);
    const file = join(tmp, 'tick.gdb');
    writeFileSync(file, ['break tick', 'continue', 'bt', 'reverse-step 4', 'step 4', 'info breakpoints', 'set s0', 'quit', ''].join('\n'));
    const r = await cli(['vm', 'debug', 't', '--batch', file, ...at()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^t on the native monitor, paused by the debugger/);
    expect(r.stdout).toMatch(/\(tvdb\) continue\nbreakpoint 1, 80000[0-9a-f]{3} <tick>\n=> 80000[0-9a-f]{3} <tick>: slli s2, s1, 12/);
    expect(r.stdout).toMatch(/\(tvdb\) bt\n#0 {2}tick \(0x80000[0-9a-f]{3}\)/);
    const where = [...r.stdout.matchAll(/\[supervisor mode, (\d+) instructions retired, tick (\d+)\]/g)].map((m) => m[0]);
    expect(where.at(-1)).toBe(where.at(-3));
    expect(r.stdout).toMatch(/\(tvdb\) set s0\nusage: set /);
    expect(r.stderr).toMatch(/\[t: debugger detached\]/);
    const list = await cli(['vm', 'list', ...at()]);
    expect(list.stdout).toMatch(/^t\s+running/m);
  }, 60_000);

  test('a hosted VM: stepped on its vCPU thread from the daemon; going back refused in one line; it resumes', async () => {
    expect((await cli(['vm', 'start', 'guests/tour/ticker.s', '--name', 'h', '--monitor', 'hosted', '--mem', '4M', ...at()])).status).toBe(0);
    const r = await cli(['vm', 'debug', 'h', ...at()], { input: 'break tick\ncontinue\nbt\nreverse-step\nquit\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^h on the hosted monitor, paused by the debugger/);
    expect(r.stdout).toMatch(/\(tvdb\) continue\nbreakpoint 1, 80000[0-9a-f]{3} <tick>\n/);
    expect(r.stdout).toMatch(/\(tvdb\) reverse-step\nreverse execution is not available: under the hosted monitor[^\n]*\n\(tvdb\) quit/);
    await new Promise((res) => setTimeout(res, 200));
    expect((await cli(['vm', 'list', ...at()])).stdout).toMatch(/^h\s+running/m);
  }, 60_000);

  test('a missing VM: one line', async () => {
    const missing = await cli(['vm', 'debug', 'nosuch', ...at()], { input: 'quit\n' });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/no VM named nosuch/);
  }, 60_000);
});
