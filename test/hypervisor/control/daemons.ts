/**
 * Real daemons and real CLI clients for the control-plane tests: `typevisor
 * serve` as a child process on 127.0.0.1 with a free port (port 0; the port
 * read back from its first line), CLI commands spawned against it. Every
 * process is tracked and killed by `cleanup()` (call it in afterEach/afterAll),
 * and on exit, so a failing test leaves nothing behind. Build first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../../../isa/asm/index.js';
import { writeImage } from '../../../isa/image.js';
import { parseAddress } from '../../../hypervisor/control/address.js';
import { ControlClient } from '../../../hypervisor/control/client.js';
import type { MonitorKind } from '../../../hypervisor/core/host.js';
import { RAM_BASE } from '../../../vm/memmap.js';
import { PROTOCOL_VERSION } from '../../../hypervisor/migration/protocol.js';
import { CLI_MAIN, REPO_ROOT } from '../../helpers/cli.js';

export const TOKEN = 'test-token-0123456789';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env['TYPEVISOR_TOKEN'];
  delete env['TYPEVISOR_DAEMON'];
  for (const k of ['TYPEVISOR_TLS_CA', 'TYPEVISOR_TLS_CERT', 'TYPEVISOR_TLS_KEY']) delete env[k];
  return env;
};

export interface Daemon {
  readonly address: string;
  readonly proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** A daemon with `token` (null: none given, so it generates one). */
export async function spawnDaemon(args: readonly string[] = [], token: string | null = TOKEN, timeoutMs = 10_000): Promise<Daemon> {
  const proc = spawn(process.execPath, [CLI_MAIN, 'serve', '--listen', '127.0.0.1:0', ...(token === null ? [] : ['--token', token]), ...args], {
    cwd: REPO_ROOT,
    env: baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve(code ?? signal ?? -1);
    }),
  );
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const look = (): void => {
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout!.off('data', look);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited (${code}) before listening:\n${out}`));
    });
  });
  return {
    address,
    proc,
    log: () => out,
    exited,
    kill: (signal = 'SIGKILL') => {
      proc.kill(signal);
      return exited;
    },
  };
}

export interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliCall {
  readonly proc: ChildProcess;
  readonly done: Promise<Run>;
  stdout(): string;
}

/** Start a CLI command (not waiting for it): the daemon's token in the environment unless `token` says otherwise. */
export function startCli(args: readonly string[], options: { token?: string | null; input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): CliCall {
  const env = baseEnv();
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) env['TYPEVISOR_TOKEN'] = token;
  Object.assign(env, options.env);
  const proc = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  if (options.input !== undefined) proc.stdin!.end(options.input);
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const done = new Promise<Run>((resolve) =>
    proc.on('exit', (status, signal) => {
      clearTimeout(timer);
      live.delete(proc);
      // Let the pipes drain.
      setImmediate(() => resolve({ status, signal, stdout, stderr }));
    }),
  );
  return { proc, done, stdout: () => stdout };
}

/** Run a CLI command to the end. */
export function cli(args: readonly string[], options: { token?: string | null; input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  const call = startCli(args, { input: '', ...options });
  return call.done;
}

/** Wait until `check` returns true (polling), or fail after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Kill every process these helpers started that is still running, and close every relay. */
export async function cleanup(): Promise<void> {
  await closeRelays();
  const waits: Promise<unknown>[] = [];
  for (const p of live) {
    waits.push(new Promise((r) => p.once('exit', r)));
    p.kill('SIGKILL');
  }
  await Promise.all(waits);
}

/**
 * A TCP relay in this process between two daemons: `--to` names it instead
 * of the destination, and `cut()` drops every connection through it at once
 * (a pulled cable). It keeps accepting new connections after a cut (the
 * cable plugged back in) unless `refuse` is set.
 */
export class Relay {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  refuse = false;
  address = '';

  /**
   * Strike once, inside the first migration frame of this type sent in this
   * direction (forth: source → destination; back: the reverse): `cut` lets
   * the bytes before it and `keep` bytes of it through, then drops both
   * sockets; `flip` inverts the byte at `keep` inside the frame and goes on.
   */
  strike: { readonly direction: 'forth' | 'back'; readonly frameType: number; readonly keep: number; readonly action: 'cut' | 'flip' } | undefined;
  /** Set once the strike has happened. */
  struck = false;

  /** Cut inside the first frame of this type the destination sends back. */
  set cutBackInside(c: { readonly frameType: number; readonly keep: number }) {
    this.strike = { direction: 'back', action: 'cut', ...c };
  }

  private constructor(target: string) {
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    this.server = createServer((inbound) => {
      if (this.refuse) return void inbound.destroy();
      const outbound = netConnect(port, host);
      const pair: [Socket, Socket] = [inbound, outbound];
      this.pairs.add(pair);
      const strike = this.struck ? undefined : this.strike;
      if (strike?.direction === 'forth') this.watch(inbound, outbound, strike);
      else inbound.pipe(outbound);
      if (strike?.direction === 'back') this.watch(outbound, inbound, strike);
      else outbound.pipe(inbound);
      const drop = (): void => {
        inbound.destroy();
        outbound.destroy();
        this.pairs.delete(pair);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
    });
  }

  /** Forward `from`'s bytes to `to`, striking inside the first frame of the type (magic "TM", the protocol's version, type). */
  private watch(from: Socket, to: Socket, strike: NonNullable<Relay['strike']>): void {
    const magic = Buffer.from([0x54, 0x4d, PROTOCOL_VERSION, strike.frameType]);
    let tail = Buffer.alloc(0); // the last bytes of the stream, for a magic split across chunks
    let pos = 0; // stream offset of the current chunk
    let target = -1; // stream offset of the byte to strike at, once the frame is found
    from.on('data', (chunk: Buffer) => {
      if (this.struck) return void to.write(chunk);
      if (target < 0) {
        const seen = Buffer.concat([tail, chunk]);
        const at = seen.indexOf(magic);
        if (at >= 0) target = pos - tail.length + at + strike.keep;
        tail = seen.subarray(Math.max(0, seen.length - 3));
      }
      const end = pos + chunk.length;
      if (target < 0 || target >= end) {
        pos = end;
        return void to.write(chunk);
      }
      this.struck = true;
      const k = target - pos;
      pos = end;
      if (strike.action === 'flip') {
        const copy = Buffer.from(chunk);
        copy[k] = copy[k]! ^ 0xff;
        return void to.write(copy);
      }
      to.write(chunk.subarray(0, k), () => {
        from.destroy();
        to.destroy();
      });
    });
  }

  static async to(target: string): Promise<Relay> {
    const r = new Relay(target);
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.address = `127.0.0.1:${(r.server.address() as AddressInfo).port}`;
    relays.add(r);
    return r;
  }

  /** Drop every connection through the relay, as a broken link would. */
  cut(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    this.cut();
    relays.delete(this);
    return new Promise((r) => this.server.close(() => r()));
  }
}

const relays = new Set<Relay>();

/** Close every relay still open. */
export async function closeRelays(): Promise<void> {
  await Promise.all([...relays].map((r) => r.close()));
}

/** A typed client to a spawned daemon (for setting up and looking, faster than spawning the CLI). */
export function clientFor(d: { address: string }, token = TOKEN): Promise<ControlClient> {
  return ControlClient.connect({ address: parseAddress(d.address), token });
}

/** The kernel image of a fixture, base64, as vm.start takes it. */
export function fixtureImage(fixture: string): string {
  const file = fileURLToPath(new URL(`../../fixtures/${fixture}`, import.meta.url));
  const r = assemble(readFileSync(file, 'utf8'), { filename: file, defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return Buffer.from(writeImage(r.image)).toString('base64');
}

export const PAGES_FIXTURE = 'test/fixtures/control/pages.s';
export const PAGES_MEM = 2 * 1024 * 1024;

/** Start pages.s as NAME and wait until it has printed `passes` passes (so it is mid-run). */
export async function startPages(c: ControlClient, name: string, passes = 3, monitor: MonitorKind = 'native'): Promise<void> {
  await c.start({ name, kernel: 'pages.s', image: fixtureImage('control/pages.s'), memSize: PAGES_MEM, share: 1, monitor });
  let out = '';
  const follow = c.console(name, true, (b) => (out += Buffer.from(b).toString()));
  await waitFor(`${name} to reach pass ${passes}`, () => out.includes(`pass ${passes} `));
  follow.cancel();
  await follow.result;
}

/** Tell pages.s to finish (it waits for a byte after its last pass) and return its whole console output. */
export async function finishPages(c: ControlClient, name: string): Promise<string> {
  let out = '';
  const follow = c.console(name, true, (b) => (out += Buffer.from(b).toString()));
  await c.input(name, new TextEncoder().encode('q'));
  const end = await follow.result;
  if (end.reason !== 'powered off, status 0') throw new Error(`${name} ended: ${end.reason}\n${out}`);
  return out;
}

/** pages.s never migrated: its console output on the bare machine. */
export async function referenceOutput(): Promise<string> {
  const r = await cli(['boot', PAGES_FIXTURE, '--mem', '2M'], { input: 'q' });
  if (r.status !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  return r.stdout;
}

/** Names and states of a daemon's VMs. */
export async function states(c: ControlClient): Promise<Record<string, string>> {
  return Object.fromEntries((await c.list()).map((v) => [v.name, v.state]));
}
