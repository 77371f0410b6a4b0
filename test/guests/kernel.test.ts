/**
 * The guest kernel (guests/kernel/), booted through the real CLI as a user
 * would: `typevisor boot` on the bare machine, its console on stdout.
 *
 *   - the kernel as shipped: banner, several programs whose output the timer
 *     interleaves, a parent waiting for its children, a program killed for
 *     touching kernel memory, the final table, power-off status 0 — and the
 *     same bytes on every run;
 *   - hostile programs, each killed with one line while the rest finish;
 *   - every guest program not marked `; kernel: no`, alone in a kernel, does
 *     what its `; expect:` lines say (stdin ends with Ctrl-D: the console
 *     has no other end-of-input signal);
 *   - the disk: a tvfs image from `typevisor mkdisk`, written by one boot and
 *     read back by the next;
 *   - a kernel panic powers off with a non-zero status.
 *
 * Kernels with other program tables are top files written to a temp dir:
 * they include guests/kernel/core.s by absolute path, then their own table.
 * Build first (`npx tsc -p .`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assembleFile, formatDiagnostic } from '../../isa/asm/index.js';
import type { Image } from '../../isa/image.js';
import { CAUSES } from '../../vm/trap.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { commitLog, fileBytes, makeTvfs, readTvfs, TVFS_DIR_OFFSET, TVFS_SLOTS } from '../../vm/devices/tvfs.js';
import { CLI_MAIN, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { CORE, KERNEL, KERNEL_DIR, quote, writeKernel, type Entry } from '../helpers/kernel.js';
import { FS_FIXTURES_DIR, loadPrograms, PROGRAMS_DIR, type Expectations } from './expectations.js';

/** Ends console input for a program that reads to end of file (see guests/kernel/console.s). */
const CTRL_D = '\x04';

const temp = mkdtempSync(join(tmpdir(), 'tv-kernel-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A kernel top file with this program table; returns its path. */
const kernelWith = (label: string, entries: readonly Entry[]): string => writeKernel(temp, label, entries);

/** `typevisor boot` without blocking the event loop, so independent boots can overlap. */
function bootAsync(args: readonly string[], input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, 'boot', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input);
  });
}

const boot = (args: readonly string[], input = ''): CliResult => runCli(['boot', ...args], { input });

/** What a boot printed, taken apart: the kernel's lines and the programs'. */
interface Console {
  readonly banner: string;
  /** Everything the programs wrote, in order, with the kernel's own lines taken out. */
  readonly programs: string;
  /** `kernel: killed …` lines. */
  readonly kills: readonly string[];
  /** The final table, by pid: [name, status, instructions]. */
  readonly table: ReadonlyMap<number, readonly [string, string, number]>;
}

function parseConsole(stdout: string): Console {
  const lines = stdout.split('\n');
  expect(lines[0]).toMatch(/^typevisor kernel: \d+ KiB RAM, \d+ programs?, \d+ free pages$/);
  expect(lines[1]).toMatch(/^kernel: disk: /);
  const end = lines.indexOf('kernel: all processes have exited');
  expect(end, stdout).toBeGreaterThan(1);
  const body = lines.slice(2, end);
  const table = new Map<number, readonly [string, string, number]>();
  for (const row of lines.slice(end + 2)) {
    if (row === '') continue;
    const m = /^\s*(\d+)  (\S+)\s+(exit \d+|killed \([a-z-]+\))\s+(\d+)$/.exec(row);
    expect(m, `table row: ${row}`).not.toBeNull();
    table.set(Number(m![1]), [m![2]!, m![3]!, Number(m![4])]);
  }
  return {
    banner: lines[0]!,
    programs: body.filter((l) => !l.startsWith('kernel: ')).map((l) => `${l}\n`).join(''),
    kills: body.filter((l) => l.startsWith('kernel: killed ')),
    table,
  };
}

function assembled(path: string): Image {
  const r = assembleFile(path);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  return r.image;
}

const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The address of a label in a program, and the instruction word there. */
function at(path: string, label: string): { readonly pc: number; readonly word: number } {
  const image = assembled(path);
  const pc = image.symbols.find((s) => s.name === label)!.value;
  const text = image.sections.find((s) => s.name === '.text')!;
  const word = new DataView(text.data.buffer, text.data.byteOffset).getUint32(pc - text.addr, true);
  return { pc, word };
}

describe('typevisor boot guests/kernel/kernel.s', () => {
  let first: CliResult;
  let c: Console;
  beforeAll(() => {
    first = boot([KERNEL, '--stats']);
    c = parseConsole(first.stdout);
  });

  test('boots, runs every program to its end, and powers off with status 0', () => {
    expect(first.status, first.stderr).toBe(0);
    expect(c.banner).toMatch(/^typevisor kernel: 16384 KiB RAM, 8 programs, 40\d\d free pages$/);   // 8: the shell (sh) is linked in, started only by --init sh
    expect([...c.table].map(([pid, [name, status]]) => `${pid} ${name} ${status}`)).toEqual([
      '1 hello exit 0', '2 yield exit 0', '3 parent exit 0', '4 sieve exit 0',
      '5 evil-kmem killed (store-fault)', '6 collatz exit 0', '7 spin exit 0', '8 spin exit 0',
    ]);
    for (const line of ['Hello, world!', 'primes below 10000: 1229', 'total steps (checksum): 215015', 'parent: child 7 exited with status 0', 'parent: wait with no children: no child processes']) {
      expect(c.programs).toContain(`${line}\n`);
    }
  });

  test('the timer interleaves the programs: no process prints all its lines in one go', () => {
    const order = c.programs.split('\n').filter((l) => /^(spin \d|pid 2)/.test(l)).map((l) => /^(spin \d|pid 2)/.exec(l)![1]);
    // Each of these three processes has a line both before and after some line of another.
    for (const who of ['spin 7', 'spin 8', 'pid 2']) {
      const first = order.indexOf(who);
      const last = order.lastIndexOf(who);
      expect(order.slice(first, last).some((w) => w !== who), `${who} in ${order.join(', ')}`).toBe(true);
    }
    // Preemption, not only yield: the timer interrupted user code many times.
    const timer = /interrupts\s+timer (\d+)/.exec(first.stderr);
    expect(Number(timer?.[1])).toBeGreaterThan(10);
    // The CPU-bound programs ran for more than many quanta each.
    expect(c.table.get(6)![2]).toBeGreaterThan(1_000_000);
  });

  test('a store to kernel memory kills the process with one line; a kernel pointer passed to write is -EFAULT', () => {
    const { pc } = at(join(KERNEL_DIR, 'tests/evil-kmem.s'), 'fault');
    expect(c.kills).toEqual([`kernel: killed pid 5 (evil-kmem): store-fault at pc ${hex8(pc)}, address 0x80000000`]);
    expect(c.programs).toContain('evil-kmem: write(1, 0x80000000, 16) = -14\n');
    expect(c.programs).not.toContain('the store went through');
  });

  test('two runs print the same bytes', () => {
    const second = boot([KERNEL]);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });
});

describe('hostile programs are killed; the others finish', () => {
  const evil = ['evil-kmem', 'evil-peek', 'evil-priv', 'evil-div', 'evil-text', 'evil-jump'];
  const path = (name: string): string => join(KERNEL_DIR, 'tests', `${name}.s`);
  let r: CliResult;
  let c: Console;
  beforeAll(() => {
    const kernel = kernelWith('hostile', [
      { name: 'sieve', file: join(PROGRAMS_DIR, 'sieve.s') },
      ...evil.map((name) => ({ name, file: path(name) })),
      { name: 'fib', file: join(PROGRAMS_DIR, 'fib.s') },
    ]);
    r = boot([kernel]);
    c = parseConsole(r.stdout);
  });

  test('each is killed with one line naming the cause, the pc and what went wrong', () => {
    const pc = (name: string): string => hex8(at(path(name), 'fault').pc);
    const text = at(path('evil-text'), 'fault');
    expect(c.kills).toEqual([
      `kernel: killed pid 2 (evil-kmem): store-fault at pc ${pc('evil-kmem')}, address 0x80000000`,
      `kernel: killed pid 3 (evil-peek): load-fault at pc ${pc('evil-peek')}, address 0x00400000`,
      `kernel: killed pid 4 (evil-priv): privileged-instruction at pc ${pc('evil-priv')}, instruction ${hex8(at(path('evil-priv'), 'fault').word)}`,
      `kernel: killed pid 5 (evil-div): divide-by-zero at pc ${pc('evil-div')}`,
      `kernel: killed pid 6 (evil-text): store-fault at pc ${hex8(text.pc)}, address ${hex8(assembled(path('evil-text')).entry)}`,
      // A jump into kernel code faults on the fetch, at the target: nothing there runs.
      'kernel: killed pid 7 (evil-jump): fetch-fault at pc 0x80000000, address 0x80000000',
    ]);
  });

  test('the rest finish, and the table lists the dead as killed', () => {
    expect(r.status).toBe(0);
    expect(c.programs).toContain('primes below 10000: 1229\n');
    expect(c.programs).toContain('calls for fib(20): 21891\n');
    expect(c.programs).not.toMatch(/survived|went through|read it|paging is off|got an answer|code patched|ran kernel code/);
    expect([...c.table.values()].map(([name, status]) => `${name} ${status}`)).toEqual([
      'sieve exit 0', 'evil-kmem killed (store-fault)', 'evil-peek killed (load-fault)', 'evil-priv killed (privileged-instruction)',
      'evil-div killed (divide-by-zero)', 'evil-text killed (store-fault)', 'evil-jump killed (fetch-fault)', 'fib exit 0',
    ]);
  });
});

describe('the guest programs, each alone under the kernel, do what their expectations say', () => {
  const programs = loadPrograms().filter((p) => p.kernel);
  const results = new Map<string, CliResult>();

  beforeAll(async () => {
    // Independent boots: a few at a time, so the suite does not wait on each in turn.
    const queue = [...programs];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const kernel = kernelWith(`alone-${p.name}`, [{ name: p.name, file: p.path, args: p.args }]);
        results.set(p.name, await bootAsync([kernel], p.stdin === '' ? '' : p.stdin + CTRL_D));
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }, 60_000);

  test('the kernel suite covers most of them', () => {
    expect(programs.length).toBeGreaterThanOrEqual(12);
  });

  test.each(programs.map((p) => [p.name, p] as const))('%s', (_name, p: Expectations) => {
    const r = results.get(p.name)!;
    expect(r.status, r.stderr).toBe(0);
    const c = parseConsole(r.stdout);
    expect(c.programs).toBe(p.stdout);
    const status = p.exit >= 128 ? `killed (${CAUSES[p.exit - 128]!.name})` : `exit ${p.exit}`;
    expect(c.table.get(1)?.slice(0, 2)).toEqual([p.name, status]);
    for (const s of p.stderrContains) expect(r.stdout).toContain(s);
  });
});

describe('console input', () => {
  test('a read sleeps until input arrives; Ctrl-D ends it for one reader, and the next reads on', () => {
    const kernel = kernelWith('stdin', [
      { name: 'echo', file: join(PROGRAMS_DIR, 'echo.s') },
      { name: 'wc', file: join(PROGRAMS_DIR, 'wc.s') },
    ]);
    const r = boot([kernel], `Hello, World!\nsecond line\n${CTRL_D}the quick brown fox\n${CTRL_D}`);
    expect(r.status).toBe(0);
    expect(parseConsole(r.stdout).programs).toBe('HELLO, WORLD!\nSECOND LINE\n1 lines, 4 words, 20 bytes\n');
  });
});

describe('the disk: tvfs from typevisor mkdisk', () => {
  const text = (name: string): string => join(FS_FIXTURES_DIR, 'text', name);
  const disk = join(temp, 'disk.img');
  const poem = readFileSync(text('poem.txt'), 'utf8');

  test('one boot writes a file (O_CREAT), the next reads it back; the host sees it too', () => {
    expect(runCli(['mkdisk', '-o', disk, '--size', '64K', text('poem.txt'), text('hello.txt')]).status).toBe(0);
    const writer = kernelWith('disk-write', [
      { name: 'copy', file: join(PROGRAMS_DIR, 'copy.s'), args: ['poem.txt', 'copy.txt'] },
      { name: 'cat', file: join(PROGRAMS_DIR, 'cat.s'), args: ['hello.txt'] },
    ]);
    const w = boot([writer, '--disk', disk]);
    expect(w.status).toBe(0);
    expect(w.stdout.split('\n')[1]).toBe('kernel: disk: 128 sectors, tvfs, 2 files');
    expect(parseConsole(w.stdout).programs).toBe('copied 90 bytes from poem.txt to copy.txt\nhello from a file\n');

    const reader = kernelWith('disk-read', [{ name: 'cat', file: join(PROGRAMS_DIR, 'cat.s'), args: ['copy.txt', 'missing.txt'] }]);
    const r = boot([reader, '--disk', disk]);
    const c = parseConsole(r.stdout);
    expect(c.programs).toBe(`${poem}cat: missing.txt: no such file or directory\n`);
    expect(c.table.get(1)?.[1]).toBe('exit 1');

    expect(runCli(['diskcat', disk, 'copy.txt']).stdout).toBe(poem);
    expect(runCli(['diskls', disk]).stdout).toMatch(/^copy\.txt\s+90\s+4096\s+22\.\.29$/m);
  });

  test('a write committed to the log but not installed (the VM was killed in between): the next boot installs it, says so, and the file reads whole', () => {
    const img = join(temp, 'committed.img');
    const raw = makeTvfs([{ name: 'gen', data: new Uint8Array(4096).fill(0x41) }], 64 * 1024);
    // One write of 4096 'B's: eight data sectors (the size is unchanged, so sector 0 is not in it).
    commitLog(raw, Array.from({ length: 8 }, (_, i) => ({ sector: 20 + i, data: new Uint8Array(SECTOR_SIZE).fill(0x42) })));
    writeFileSync(img, raw);
    const kernel = kernelWith('replay', [{ name: 'cat', file: join(PROGRAMS_DIR, 'cat.s'), args: ['gen'] }]);
    const r = boot([kernel, '--disk', img]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(1, 3)).toEqual(['kernel: disk: 128 sectors, tvfs, 1 files', 'kernel: disk: log replayed, 8 sectors']);
    const printed = r.stdout.split('\n')[3]!; // cat's 4096 bytes, no newline, then the kernel's line
    expect(printed.length).toBe(4096 + 'kernel: all processes have exited'.length);
    expect(printed.startsWith('B'.repeat(4096))).toBe(true);
    const after = readFileSync(img);
    const fs = readTvfs(after);
    expect(fs.log?.committed).toBe(0); // installed on the disk itself, the header cleared
    expect(Buffer.from(fileBytes(after, fs.files[0]!)).toString()).toBe('B'.repeat(4096));
    // Nothing left to replay: the banner is as ever.
    const again = boot([kernel, '--disk', img]);
    expect(again.stdout).not.toContain('log replayed');
  });

  test('one write carries at most 8 KiB (what fits the log): 8193 bytes fail with EFBIG and change nothing, 8192 land', () => {
    const img = join(temp, 'big.img');
    writeFileSync(img, makeTvfs([{ name: 'gen', data: new Uint8Array(100).fill(0x41), capacity: 16 * 1024 }], 64 * 1024));
    const kernel = kernelWith('bigwrite', [{ name: 'bigwrite', file: join(REPO_ROOT, 'test', 'fixtures', 'hosted', 'bigwrite.s') }]);
    const r = boot([kernel, '--disk', img]);
    expect(r.status).toBe(0);
    expect(parseConsole(r.stdout).programs).toBe('bigwrite: 8193 bytes: file too large\nwrote 8192\n');
    const after = readFileSync(img);
    expect(Buffer.from(fileBytes(after, readTvfs(after).files[0]!)).toString()).toBe('Z'.repeat(8192));
  });

  test('a tvfs version 1 disk (no log) is refused, saying why', () => {
    const img = join(temp, 'v1.img');
    const raw = new Uint8Array(16 * 1024);
    const view = new DataView(raw.buffer);
    raw.set(Buffer.from('TVFS'), 0);
    view.setUint32(4, 1, true);
    view.setUint32(8, 32, true);
    view.setUint32(12, TVFS_SLOTS, true);
    raw.set(Buffer.from('old.txt'), TVFS_DIR_OFFSET);
    view.setUint32(TVFS_DIR_OFFSET + 20, 1, true);
    view.setUint32(TVFS_DIR_OFFSET + 24, 1, true);
    writeFileSync(img, raw);
    const kernel = kernelWith('v1', [{ name: 'cat', file: join(PROGRAMS_DIR, 'cat.s'), args: ['old.txt'] }]);
    const r = boot([kernel, '--disk', img]);
    expect(r.stdout.split('\n')[1]).toBe('kernel: disk: 32 sectors, tvfs version 1, without a log: this kernel needs version 2 (open will fail; make a new disk with typevisor mkdisk)');
    expect(parseConsole(r.stdout).programs).toBe('cat: old.txt: permission denied\n');
  });

  test('without a disk, open is refused with EACCES', () => {
    const kernel = kernelWith('no-disk', [{ name: 'cat', file: join(PROGRAMS_DIR, 'cat.s'), args: ['poem.txt'] }]);
    const r = boot([kernel]);
    expect(r.stdout.split('\n')[1]).toBe('kernel: disk: none');
    expect(parseConsole(r.stdout).programs).toBe('cat: poem.txt: permission denied\n');
  });
});

describe('a fault in the kernel itself', () => {
  test('panics with cause, pc and badaddr, and powers off with a non-zero status', () => {
    // A program table pointing its image at user address 0x10: exec reads it
    // with the kernel's page table, where nothing is mapped there.
    const path = join(temp, 'panic.s');
    writeFileSync(path, [
      `.include ${quote(CORE)}`,
      '.data', '.align 4',
      'programs:',
      '    .word bogus_name, 0x10, PROG_BOOT, bogus_args',
      '    .word 0, 0, 0, 0',
      'bogus_name: .asciz "bogus"',
      'bogus_args: .byte 0, 0',
    ].join('\n') + '\n');
    const r = boot([path]);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n').slice(2)).toEqual([expect.stringMatching(/^kernel panic: load-fault at pc 0x8000[0-9a-f]{4}, badaddr 0x00000010$/), '']);
  });
});
