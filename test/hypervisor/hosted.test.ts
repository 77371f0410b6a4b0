/**
 * The hosted monitor through the real CLI, as a user runs it: `typevisor boot
 * KERNEL --monitor hosted` in a child process, with a real disk file, real
 * signals and real sockets on 127.0.0.1.
 *
 *   - the guest kernel and its programs print what they print under the
 *     native monitor: several at once, the same bytes, in an order the host
 *     clock decides (it preempts them), the process table's time column aside
 *     (host time here); each program alone, exactly what its expectations say;
 *   - the disk is a file: one boot writes, the next reads it back;
 *   - SIGTERM stops the VM cleanly; SIGKILL loses no write the guest saw
 *     complete, and, the kernel's writes being transactions of its
 *     write-ahead log, never leaves a file half rewritten;
 *   - the network device echoes through a socket, listening or connecting.
 *
 * Build first (`npx tsc -p .`). Nothing here measures time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { fileBytes, installLog, makeTvfs, readTvfs } from '../../vm/devices/tvfs.js';
import { CAUSES } from '../../vm/trap.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { CLI_MAIN, REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { KERNEL, KERNEL_DIR, writeKernel } from '../helpers/kernel.js';
import { FS_FIXTURES_DIR, loadPrograms, PROGRAMS_DIR } from '../guests/expectations.js';

const RECORDS = fileURLToPath(new URL('../fixtures/hosted/records.s', import.meta.url));
const GENERATIONS = fileURLToPath(new URL('../fixtures/hosted/generations.s', import.meta.url));
const CTRL_D = '\x04';
const temp = mkdtempSync(join(tmpdir(), 'tv-hosted-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const program = (name: string, args?: readonly string[]) => ({ name, file: join(PROGRAMS_DIR, `${name}.s`), ...(args ? { args } : {}) });

/** `typevisor boot ARGS` as a child process; the caller may talk to it before it ends. */
function start(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI_MAIN, 'boot', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
}

interface Ended extends CliResult {
  readonly signal: NodeJS.Signals | null;
}

function ended(child: ChildProcessWithoutNullStreams): Promise<Ended> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Boot to the end with this stdin. */
function boot(args: readonly string[], input = ''): Promise<Ended> {
  const child = start(args);
  const done = ended(child);
  child.stdin.end(input);
  return done;
}

/** Resolves with the text of `stream` so far once `pattern` matches it. */
function when(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer): void => {
      text += b.toString('utf8');
      const m = pattern.exec(text);
      if (m) {
        stream.off('data', onData);
        resolve(m);
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`the stream ended before ${pattern}: ${text}`)));
  });
}

/** The native monitor's console lines carry its VM prefix; and the process table's time column is host time under hosted. */
const plain = (stdout: string): string =>
  stdout.replace(/^\[vm1\] /gm, '').replace(/^(\s+\d+  \S+\s+(?:exit \d+|killed \([a-z-]+\)))\s+\d+$/gm, '$1 …');

/**
 * What a kernel run printed, in the parts the host clock cannot reorder: the
 * banner (before any program runs), the process table (after they all have),
 * and, between them, the programs' and the kernel's bytes — as a multiset,
 * because the timer may preempt a program between two writes of one line and
 * let another program's bytes in.
 */
function parts(stdout: string): { banner: string[]; body: string; table: string[] } {
  const lines = plain(stdout).split('\n');
  const end = lines.indexOf('kernel: all processes have exited');
  expect(end, stdout).toBeGreaterThan(1);
  return { banner: lines.slice(0, 2), body: [...lines.slice(2, end).join('\n')].sort().join(''), table: lines.slice(end).sort() };
}

/** Independent boots, two at a time (a hosted boot is two threads). */
async function pooled<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await run(items[i]!);
  };
  await Promise.all([lane(), lane()]);
  return results;
}

describe('the same guest kernel, the same output, as under the native monitor', () => {
  const kernels = () => [
    { label: 'the kernel as shipped', path: KERNEL, input: '' },
    { label: 'console input', path: writeKernel(temp, 'stdin', [program('echo'), program('wc')]), input: `Hello, World!\nsecond line\n${CTRL_D}the quick brown fox\n${CTRL_D}` },
    {
      label: 'hostile programs',
      path: writeKernel(temp, 'hostile', [program('sieve'), ...['evil-kmem', 'evil-jump', 'evil-priv', 'evil-div'].map((name) => ({ name, file: join(KERNEL_DIR, 'tests', `${name}.s`) })), program('fib')]),
      input: '',
    },
  ];

  test.each(kernels().map((k) => [k.label, k] as const))('%s: the same banner, the same bytes in between (as a multiset: the host clock may preempt a line), the same process table (time aside)', async (_label, k) => {
    const [native, hosted] = await Promise.all([boot([k.path, '--monitor', 'native'], k.input), boot([k.path, '--monitor', 'hosted', '--stats'], k.input)]);
    expect(native.status, native.stderr).toBe(0);
    expect(hosted.status, hosted.stderr).toBe(0);
    expect(parts(hosted.stdout)).toEqual(parts(native.stdout));
    // No prefix: one VM, its console is the terminal.
    expect(hosted.stdout.startsWith('typevisor kernel: ')).toBe(true);
    expect(hosted.stderr).toMatch(/^--- hosted monitor: 1 VM, [\d.]+ ms ---\n\[vm1\] powered off, status 0\n/);
    expect(hosted.stderr).toMatch(/vCPU thread {7}\d+ slices?, \d+ waits?/);
    expect(hosted.stderr).toContain('1 tick = 10 ns of host time');
  }, 30_000);

  test('each guest program alone under the kernel does what its expectations say (as test/guests/kernel.test.ts checks on bare)', async () => {
    const programs = loadPrograms().filter((p) => p.kernel);
    expect(programs.length).toBeGreaterThanOrEqual(12);
    const runs = await pooled(programs, (p) => {
      const kernel = writeKernel(temp, `alone-${p.name}`, [{ name: p.name, file: p.path, args: p.args }]);
      return boot([kernel, '--monitor', 'hosted'], p.stdin === '' ? '' : p.stdin + CTRL_D);
    });
    programs.forEach((p, i) => {
      const r = runs[i]!;
      expect(r.status, `${p.name}: ${r.stderr}`).toBe(0);
      const lines = r.stdout.split('\n');
      const end = lines.indexOf('kernel: all processes have exited');
      const printed = lines.slice(2, end).filter((l) => !l.startsWith('kernel: ')).map((l) => `${l}\n`).join('');
      expect(printed, p.name).toBe(p.stdout);
      const status = p.exit >= 128 ? `killed (${CAUSES[p.exit - 128]!.name})` : `exit ${p.exit}`;
      expect(lines[end + 2], p.name).toMatch(new RegExp(`^\\s+1  ${p.name.replace('.', '\\.')}\\s+${status.replace(/[()]/g, '\\$&')}\\s+\\d+$`));
      for (const text of p.stderrContains) expect(r.stdout, p.name).toContain(text);
    });
  }, 60_000);
});

describe('the disk is a host file', () => {
  const text = (name: string): string => join(FS_FIXTURES_DIR, 'text', name);

  test('one boot writes a file (O_CREAT), powers off; the next boot reads it back; the host sees it too', async () => {
    const disk = join(temp, 'disk.img');
    expect(runCli(['mkdisk', '-o', disk, '--size', '64K', text('poem.txt'), text('hello.txt')]).status).toBe(0);
    const writer = writeKernel(temp, 'disk-write', [program('copy', ['poem.txt', 'copy.txt']), program('cat', ['hello.txt'])]);
    const w = await boot([writer, '--monitor', 'hosted', '--disk', disk, '--stats']);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stdout).toContain('kernel: disk: 128 sectors, tvfs, 2 files\n');
    expect(w.stdout).toContain('copied 90 bytes from poem.txt to copy.txt\n');
    expect(w.stdout).toContain('hello from a file\n');
    expect(w.stderr).toMatch(/disk {14}.*disk\.img: \d+ reads? \(.*\), \d+ writes? \(.*\), \d+ fdatasyncs?/);

    const reader = writeKernel(temp, 'disk-read', [program('cat', ['copy.txt'])]);
    const r = await boot([reader, '--monitor', 'hosted', '--disk', disk]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(readFileSync(text('poem.txt'), 'utf8'));
    expect(runCli(['diskcat', disk, 'copy.txt']).stdout).toBe(readFileSync(text('poem.txt'), 'utf8'));
  }, 30_000);

  test('--disk-size creates a missing disk, sparse; without it a missing disk is an error', async () => {
    const disk = join(temp, 'new.img');
    const missing = await boot([KERNEL, '--monitor', 'hosted', '--disk', disk]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no such file (give --disk-size to create it)');
    const kernel = writeKernel(temp, 'hello', [program('hello')]);
    const r = await boot([kernel, '--monitor', 'hosted', '--disk', disk, '--disk-size', '64K']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('kernel: disk: 128 sectors, not tvfs (open will fail)\n');
    const st = statSync(disk);
    expect(st.size).toBe(64 * 1024);
    expect(st.blocks * 512).toBeLessThan(st.size); // nothing was written: no blocks behind it
  }, 30_000);
});

describe('stopping: SIGTERM and SIGINT are clean, SIGKILL loses no completed write', () => {
  /** A tvfs disk whose file "log" has room for thousands of records, and the kernel that writes them. */
  function setup(label: string): { disk: string; kernel: string } {
    const disk = join(temp, `${label}.img`);
    writeFileSync(disk, makeTvfs([{ name: 'log', data: new Uint8Array(0), capacity: 64 * 1024 }], 256 * 1024));
    return { disk, kernel: writeKernel(temp, label, [{ name: 'records', file: RECORDS }]) };
  }

  /** The "log" file's sectors as text, up to the first NUL (its directory size is only written at close). */
  function logText(disk: string): string {
    const bytes = readFileSync(disk);
    const log = readTvfs(bytes).files.find((f) => f.name === 'log')!;
    const data = bytes.subarray(log.start * SECTOR_SIZE, (log.start + log.capacity) * SECTOR_SIZE);
    const end = data.indexOf(0);
    return data.subarray(0, end < 0 ? data.length : end).toString('latin1');
  }

  const lastWrote = (stdout: string): number => Math.max(0, ...[...stdout.matchAll(/^wrote (\d+)$/gm)].map((m) => Number(m[1])));
  const records = (n: number): string => Array.from({ length: n }, (_, i) => `record ${i + 1}\n`).join('');

  test.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('%s: the VM stops between two slices, the write in flight lands, the file is closed; status %i', async (signal, status) => {
    const { disk, kernel } = setup(signal);
    const child = start([kernel, '--monitor', 'hosted', '--disk', disk]);
    const done = ended(child);
    child.stdin.end();
    await when(child.stdout, /^wrote 30$/m);
    child.kill(signal);
    const r = await done;
    expect(r.status, r.stderr).toBe(status);
    expect(r.stderr).toMatch(new RegExp(`^\\[vm1\\] stopped on ${signal} after \\d+ instructions; .*${signal}\\.img is closed with every write the guest saw complete on it \\(\\d+ writes\\)$`, 'm'));
    expect(readTvfs(readFileSync(disk)).files.map((f) => f.name)).toEqual(['log']);
    const n = lastWrote(r.stdout);
    expect(n).toBeGreaterThanOrEqual(30);
    expect(logText(disk).startsWith(records(n))).toBe(true);
  }, 30_000);

  test('SIGKILL at a random moment: every record up to the last "wrote N" is on the disk file', async () => {
    const { disk, kernel } = setup('sigkill');
    const at = 20 + Math.floor(Math.random() * 300);
    const child = start([kernel, '--monitor', 'hosted', '--disk', disk]);
    const done = ended(child);
    child.stdin.end();
    await when(child.stdout, new RegExp(`^wrote ${at}$`, 'm'));
    child.kill('SIGKILL');
    const r = await done;
    expect(r.signal).toBe('SIGKILL');
    const n = lastWrote(r.stdout);
    expect(n, `killed after "wrote ${at}"`).toBeGreaterThanOrEqual(at);
    expect(logText(disk).startsWith(records(n)), `records 1..${n} on the disk`).toBe(true);
  }, 30_000);
});

describe('SIGKILL while the kernel rewrites a file: the file holds one whole generation (the write-ahead log)', () => {
  const SIZE = 4096;
  const KILLS = 10;
  /** Generation N is SIZE bytes of 'A' + N mod 26 (generations.s); the disk starts with generation 0. */
  const letter = (n: number): string => String.fromCharCode(65 + (n % 26));

  /** The file "gen" as a boot will find it: what the disk holds, a committed log installed (on a copy), and whether one was. */
  function gen(disk: string): { text: string; committed: number; raw: string } {
    const bytes = readFileSync(disk);
    const raw = readTvfs(bytes);
    const { disk: after } = installLog(bytes);
    const file = (d: Uint8Array): string => {
      const f = readTvfs(d).files.find((x) => x.name === 'gen')!;
      return Buffer.from(fileBytes(d, f)).toString('latin1');
    };
    return { text: file(after), committed: raw.log!.committed, raw: file(bytes) };
  }

  /** "one whole generation, L" or what is wrong: its length, and the runs of letters in it. */
  function whole(text: string): string {
    if (text.length === SIZE && text === text[0]!.repeat(SIZE)) return `one whole generation, ${text[0]}`;
    const runs = [...text.matchAll(/(.)\1*/g)].map((m) => `${m[0].length}×${m[1]}`);
    return `${text.length} bytes: ${runs.join(' ')}`;
  }

  test(`killed ${KILLS} times at random moments, each boot replaying what the last left committed: never a mix of two generations`, async () => {
    const disk = join(temp, 'generations.img');
    writeFileSync(disk, makeTvfs([{ name: 'gen', data: new Uint8Array(SIZE).fill(65) }], 64 * 1024));
    const kernel = writeKernel(temp, 'generations', [{ name: 'generations', file: GENERATIONS }]);
    let before = 'A'; // the generation on the disk before this boot
    let replays = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      const pending = gen(disk).committed;
      const child = start([kernel, '--monitor', 'hosted', '--disk', disk]);
      const done = ended(child);
      child.stdin.end();
      // A random moment: after 1..4 generations and 0..25 ms (a generation takes a few ms).
      const after = 1 + Math.floor(Math.random() * 4);
      await when(child.stdout, new RegExp(`^generation ${after}$`, 'm'));
      await new Promise((r) => setTimeout(r, Math.random() * 25));
      child.kill('SIGKILL');
      const r = await done;
      expect(r.signal).toBe('SIGKILL');
      // The boot installed what the previous kill left committed, and said so; else its banner is as ever.
      const banner = r.stdout.split('\n');
      expect(banner[1]).toBe('kernel: disk: 128 sectors, tvfs, 1 files');
      if (pending > 0) {
        expect(banner[2]).toBe(`kernel: disk: log replayed, ${pending} sector${pending === 1 ? '' : 's'}`);
        replays++;
      } else expect(r.stdout).not.toContain('log replayed');

      const last = Math.max(0, ...[...r.stdout.matchAll(/^generation (\d+)$/gm)].map((m) => Number(m[1])));
      expect(last).toBeGreaterThanOrEqual(after);
      const g = gen(disk);
      // Whole, and the last one reported done or the one in flight — durable as well as atomic.
      expect(whole(g.text), `kill ${kill}, after "generation ${last}"`).toBe(`one whole generation, ${g.text[0]}`);
      expect([letter(last), letter(last + 1)], `kill ${kill}, after "generation ${last}"`).toContain(g.text[0]);
      // Without a committed log the disk itself holds it; with one, its homes may be mid-install.
      if (g.committed === 0) expect(g.raw).toBe(g.text);
      before = g.text[0]!;
    }
    // A last boot replays whatever the last kill left, and the kernel itself reads the generation back.
    const check = writeKernel(temp, 'generations-check', [program('cat', ['gen'])]);
    const pending = gen(disk).committed;
    const r = await boot([check, '--monitor', 'hosted', '--disk', disk]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    if (pending > 0) expect(lines[2]).toBe(`kernel: disk: log replayed, ${pending} sector${pending === 1 ? '' : 's'}`);
    const printed = lines[pending > 0 ? 3 : 2]!.slice(0, SIZE);
    expect(whole(printed)).toBe(`one whole generation, ${before}`);
    expect(gen(disk).committed).toBe(0);
    expect(whole(gen(disk).raw)).toBe(`one whole generation, ${before}`);
    console.log(`wal crash test: ${KILLS} kills, ${replays} left a committed log that the next boot replayed`);
  }, 240_000);
});

describe('the network device through a host socket on 127.0.0.1', () => {
  /** The kernel shipped for this: netecho alone. */
  const kernel = (): string => join(KERNEL_DIR, 'netkernel.s');

  /** Connect, send, and resolve with what came back once `expect` bytes have. */
  function exchange(port: number, send: string, expectBytes: number): Promise<{ socket: Socket; echo: string }> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      let echo = '';
      socket.on('error', reject);
      socket.on('data', (b: Buffer) => {
        echo += b.toString('utf8');
        if (echo.length >= expectBytes) resolve({ socket, echo });
      });
      socket.connect(port, '127.0.0.1', () => socket.write(send));
    });
  }

  test('--net-listen 127.0.0.1:0: the bound port is on stderr; netecho echoes; a second peer is refused meanwhile', async () => {
    const child = start([kernel(), '--monitor', 'hosted', '--net-listen', '127.0.0.1:0', '--stats']);
    const done = ended(child);
    child.stdin.end();
    const port = Number((await when(child.stderr, /^net: listening on 127\.0\.0\.1:(\d+)$/m))[1]);
    const message = 'hello, network\nand a second line\n';
    const { socket, echo } = await exchange(port, message, message.length);
    expect(echo).toBe(message);
    // While the guest has its connection, another peer is closed at once.
    const second = await new Promise<string>((resolve) => {
      const s = new Socket();
      let got = '';
      s.on('data', (b: Buffer) => (got += b.toString()));
      s.on('error', () => resolve(`error ${got}`));
      s.on('close', () => resolve(`closed ${got}`));
      s.connect(port, '127.0.0.1');
    });
    expect(second).toMatch(/^(closed|error) $/);
    socket.end();
    const r = await done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`netecho: echoed ${message.length} bytes\n`);
    expect(r.stderr).toContain('net: refused a connection from 127.0.0.1:');
    expect(r.stderr).toContain(`net               listening on 127.0.0.1:${port}: 1 connection, 1 refused; ${message.length} bytes in, ${message.length} bytes out`);
  }, 30_000);

  test('--net-connect: the guest\'s connection is made at boot to a host server', async () => {
    const server = createServer();
    const echoed = new Promise<string>((resolve) => {
      server.on('connection', (s) => {
        let got = '';
        s.on('data', (b: Buffer) => {
          got += b.toString('utf8');
          if (got.length >= 5) s.end();
        });
        s.on('close', () => resolve(got));
        s.write('ping\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const r = await boot([kernel(), '--monitor', 'hosted', '--net-connect', `127.0.0.1:${port}`]);
    server.close();
    expect(await echoed).toBe('ping\n');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('netecho: echoed 5 bytes\n');
  }, 30_000);
});

describe('options the hosted monitor refuses, with the reason', () => {
  test.each([
    [['--monitor', 'hosted', '--net-listen', '8.8.8.8:7000'], 'is not a loopback address'],
    [['--monitor', 'hosted', '--net-listen', 'here'], 'is not an address'],
    [['--monitor', 'hosted', '--net-listen', '7000', '--net-connect', '127.0.0.1:7001'], 'not both'],
    [['--net-listen', '7000'], 'need the hosted monitor'],
    [['--monitor', 'hosted', '--vms', '2'], 'runs one VM'],
  ])('%j', (args, message) => {
    const r = runCli(['boot', KERNEL, ...args]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });
});
