/**
 * Real daemons and real CLI clients for the control-plane tests: `typevisor
 * serve` as a child process on 127.0.0.1 with a free port (port 0; the port
 * read back from its first line), CLI commands spawned against it. Every
 * process is tracked and killed by `cleanup()` (call it in afterEach/afterAll),
 * and on exit, so a failing test leaves nothing behind. Build first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

/** Kill every process these helpers started that is still running. */
export async function cleanup(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const p of live) {
    waits.push(new Promise((r) => p.once('exit', r)));
    p.kill('SIGKILL');
  }
  await Promise.all(waits);
}
