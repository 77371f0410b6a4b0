/**
 * `typevisor run --fs DIR` against a host that does not hold still: a
 * directory swapped for a symlink while the program opens files, and files
 * that are not regular files (a FIFO) or are named as directories (`in.txt/`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI_MAIN, REPO_ROOT, runCli } from '../helpers/cli.js';

const FIX = 'test/fixtures/run';
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tv-run-fs-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Finished {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Run the built CLI without blocking this process; killed after `timeoutMs`. */
function runCliAsync(args: readonly string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut });
    });
  });
}

/**
 * Opens `sub/secret.txt` OPENS times; each time it opens, it copies what it
 * reads to stdout, so a leak shows in the output. Exits 0.
 */
const OPENS = 20_000;
const OPENER = `
.equ SYS_EXIT, 1
.equ SYS_READ, 2
.equ SYS_WRITE, 3
.equ SYS_OPEN, 4
.equ SYS_CLOSE, 5
main:
    li   s1, ${OPENS}
again:
    li   t0, SYS_OPEN
    la   a0, path
    li   a1, 0
    syscall
    bltz a0, next
    mv   s0, a0
    li   t0, SYS_READ
    mv   a0, s0
    la   a1, buf
    li   a2, 64
    syscall
    blez a0, shut
    mv   a2, a0
    li   t0, SYS_WRITE
    li   a0, 1
    la   a1, buf
    syscall
shut:
    li   t0, SYS_CLOSE
    mv   a0, s0
    syscall
next:
    addi s1, s1, -1
    bnez s1, again
    li   t0, SYS_EXIT
    li   a0, 0
    syscall
.data
path: .asciz "sub/secret.txt"
.bss
buf:  .space 64
`;

/**
 * A host process that, until STOP exists or `ms` have passed, swaps DIR/sub
 * between the real directory and a symlink to OUT, as fast as it can.
 */
const SWAPPER = `
const fs = require('node:fs');
const [dir, out, stop, ms] = process.argv.slice(1);
const sub = dir + '/sub', real = dir + '/sub.real';
const end = Date.now() + Number(ms);
let swaps = 0;
while (Date.now() < end && !fs.existsSync(stop)) {
  fs.renameSync(sub, real);
  fs.symlinkSync(out, sub);
  fs.unlinkSync(sub);
  fs.renameSync(real, sub);
  swaps++;
}
process.stdout.write(String(swaps));
`;

describe('typevisor run --fs: a host racing the program', () => {
  test('a directory swapped for a symlink to outside while the program opens files never leaks the outside file', async () => {
    const dir = join(tmp, 'race-granted');
    const out = join(tmp, 'race-outside');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    mkdirSync(out);
    writeFileSync(join(dir, 'sub', 'secret.txt'), 'inside\n');
    writeFileSync(join(out, 'secret.txt'), 'LEAKED\n');
    const prog = join(tmp, 'opener.s');
    writeFileSync(prog, OPENER);
    const stop = join(tmp, 'race-stop');

    const swapper = spawn(process.execPath, ['-e', SWAPPER, dir, out, stop, '30000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let swaps = '';
    swapper.stdout.setEncoding('utf8').on('data', (s: string) => (swaps += s));
    const swapperDone = new Promise<number | null>((resolve) => swapper.on('close', resolve));
    // A few runs, up to about 3 s of racing (each run opens the file OPENS times); stop at a leak.
    const runs: Finished[] = [];
    const start = Date.now();
    try {
      do {
        runs.push(await runCliAsync(['run', prog, '--fs', dir], 20_000));
      } while (Date.now() - start < 3_000 && runs.length < 4 && !runs.some((r) => r.stdout.includes('LEAKED')));
    } finally {
      writeFileSync(stop, '');
    }
    expect(await swapperDone).toBe(0);
    expect(Number(swaps)).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run.stdout).not.toContain('LEAKED');
      expect(run.timedOut).toBe(false);
      expect(run.status).toBe(0);
    }
    // The race was real: some opens got the file inside, and some were refused.
    const insideReads = runs.reduce((n, r) => n + r.stdout.split('inside\n').length - 1, 0);
    expect(insideReads).toBeGreaterThan(0);
    expect(insideReads).toBeLessThan(OPENS * runs.length);
  }, 30_000);
});

describe('typevisor run --fs: only regular files open', () => {
  test('a FIFO in the granted directory: open fails and the run ends (it does not block)', async () => {
    const dir = join(tmp, 'fifo-granted');
    mkdirSync(dir);
    const made = spawnSync('mkfifo', [join(dir, 'pipe')]);
    expect(made.status).toBe(0);
    const r = await runCliAsync(['run', `${FIX}/cat.s`, '--fs', dir, '--', 'pipe'], 10_000);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(13); // cat exits with the errno: EACCES
    expect(r.stdout).toBe('');
  }, 15_000);

  test('in.txt/ (a trailing slash on a regular file) is ENOTDIR, not the file', () => {
    const dir = join(tmp, 'slash-granted');
    mkdirSync(dir);
    writeFileSync(join(dir, 'in.txt'), 'contents\n');
    const ok = runCli(['run', `${FIX}/cat.s`, '--fs', dir, '--', 'in.txt']);
    expect(ok.stdout).toBe('contents\n');
    for (const p of ['in.txt/', 'in.txt/.']) {
      const r = runCli(['run', `${FIX}/cat.s`, '--fs', dir, '--', p]);
      expect(r.status, p).toBe(20); // ENOTDIR
      expect(r.stdout, p).toBe('');
    }
  });
});
