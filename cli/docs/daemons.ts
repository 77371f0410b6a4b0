/**
 * The daemons a README transcript section talks to (`<!-- daemons: A=7480 -->`,
 * see transcripts.ts): real `typevisor serve` processes on free ports, started
 * and stopped synchronously because the transcripts run one after another.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The token every README daemon and command shares: fixed, so transcripts that print it stay the same. */
export const README_TOKEN = 'readme-token';

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** The address the README writes (127.0.0.1:7480) and the one it really has. */
  readonly shown: string;
  readonly real: string;
}

/**
 * A fresh state folder per start, so a section's volumes do not leak into the
 * next one's: `.daemon-A`, then `.daemon-A-2`, … (not random: a path a
 * transcript prints, such as a transient disk's, stays the same run to run).
 */
function stateDir(dir: string, name: string): string {
  const base = join(dir, `.daemon-${name.replace(/%/g, 'job')}`);
  let path = base;
  for (let n = 2; existsSync(path); n++) path = `${base}-${n}`;
  mkdirSync(path);
  return path;
}

/** A port nothing listens on now (the system's pick for port 0). */
export function freePort(): number {
  const r = spawnSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"], { encoding: 'utf8' });
  const port = Number(r.stdout);
  if (!Number.isInteger(port) || port <= 0) throw new Error('could not find a free port');
  return port;
}

/** Block the thread for ms (nothing else runs meanwhile: the script is sequential). */
export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Start one quiet daemon per name, each on a free port with its state under dir; returns once all listen. */
export function startDaemons(ports: ReadonlyMap<string, number>, dir: string, cli: string): Daemon[] {
  const started: Daemon[] = [];
  try {
    for (const [name, port] of ports) {
      const state = stateDir(dir, name);
      const log = join(state, 'serve.log');
      const fd = openSync(log, 'w');
      const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--quiet', '--state-dir', state], {
        cwd: dir,
        env: { ...process.env, TYPEVISOR_TOKEN: README_TOKEN, NO_COLOR: '1' },
        stdio: ['ignore', fd, fd],
        detached: true,
      });
      closeSync(fd);
      child.unref();
      if (child.pid === undefined) throw new Error(`daemon ${name} did not start`);
      const real = waitForListening(log, child.pid, name);
      started.push({ name, pid: child.pid, shown: `127.0.0.1:${port}`, real });
    }
    return started;
  } catch (e) {
    stopDaemons(started);
    throw e;
  }
}

/**
 * A `$ typevisor serve ARGS &` line of a session block, run as written but
 * for its address (`--listen 127.0.0.1:P`, by default 7480: a free port
 * instead, P standing for it) and, unless ARGS give one, a state folder of
 * its own under dir. Returns the daemon and what it printed up to its
 * listening line (later lines are log lines: they go to a file).
 */
export function startServe(command: string, name: string, dir: string, cli: string, env: NodeJS.ProcessEnv): { daemon: Daemon; printed: string } {
  const args = command.replace(/&\s*(#.*)?$/, '').trim().split(/\s+/).slice(2);
  let port = 7480;
  const at = args.indexOf('--listen');
  if (at >= 0) {
    const m = /^127\.0\.0\.1:(\d+)$/.exec(args[at + 1] ?? '');
    if (!m) throw new Error(`README: '${command}': a daemon the script starts must --listen on 127.0.0.1:PORT`);
    port = Number(m[1]);
    args.splice(at, 2);
  }
  const state = stateDir(dir, name);
  if (!args.includes('--state-dir')) args.push('--state-dir', state);
  const log = join(state, 'serve.log');
  const fd = openSync(log, 'w');
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', ...args], { cwd: dir, env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`daemon ${name} did not start`);
  const real = waitForListening(log, child.pid, name);
  const text = readFileSync(log, 'utf8');
  const printed = text.slice(0, text.indexOf('\n', text.indexOf('listening on')) + 1 || undefined).replace(/\n$/, '');
  return { daemon: { name, pid: child.pid, shown: `127.0.0.1:${port}`, real }, printed };
}

/** The address a daemon prints in its first line ("listening on 127.0.0.1:N"); throws if it exits or takes over 20 s. */
function waitForListening(log: string, pid: number, name: string): string {
  for (let waited = 0; waited < 20_000; waited += 20) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const m = /listening on (127\.0\.0\.1:\d+) /.exec(text);
    if (m) return m[1]!;
    if (!alive(pid)) throw new Error(`daemon ${name} exited before listening:\n${text}`);
    sleep(20);
  }
  process.kill(pid, 'SIGKILL');
  throw new Error(`daemon ${name} did not listen within 20 s`);
}

/**
 * Whether pid still runs. A child that has exited stays a zombie until this
 * process's event loop reaps it, and the script's synchronous waits never
 * let it: so a zombie counts as gone (Linux: its state in /proc is Z).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGTERM each daemon and wait (up to 10 s, then SIGKILL) until it is gone. */
export function stopDaemons(daemons: readonly Daemon[]): void {
  for (const d of daemons) if (alive(d.pid)) process.kill(d.pid, 'SIGTERM');
  for (const d of daemons) {
    for (let waited = 0; alive(d.pid) && waited < 10_000; waited += 20) sleep(20);
    if (alive(d.pid)) process.kill(d.pid, 'SIGKILL');
  }
}

/** A command as the README writes it → as it must run: each README address becomes the real one. */
export function toReal(text: string, daemons: readonly Daemon[]): string {
  return daemons.reduce((t, d) => t.split(d.shown).join(d.real), text);
}

/**
 * Output as it really came → as the README shows it: each real address
 * becomes the README's. In a table (the address followed by two spaces or
 * more) it keeps the width of the real one, so the columns after it stay
 * aligned under their headers.
 */
export function toShown(text: string, daemons: readonly Daemon[]): string {
  return daemons.reduce(
    (t, d) =>
      t.replace(new RegExp(`${d.real.replace(/\./g, '\\.')}(?!\\d)(?=(  )?)`, 'g'), (_all, table: string | undefined) =>
        table === undefined ? d.shown : d.shown.padEnd(d.real.length),
      ),
    text,
  );
}
