/**
 * Native interpreters installed on the machine — Lua 5.4 (`lua5.4`) and
 * CPython (`python3`) — run as child processes. The script times itself
 * (os.clock / time.perf_counter around each run, several runs in one process
 * after one warm-up run unless the plan has none: see
 * bench/peers/lua/harness.lua and bench/peers/python/harness.py), so process
 * start is never counted. A missing interpreter is reported as skipped, with
 * how to install it.
 */
import { spawnSync } from 'node:child_process';
import { BenchError } from '../bench-error.js';
import { luaPeer, pythonPeer } from '../sources.js';
import type { Benchmark, Sized } from '../suite.js';
import type { RunPlan, Timed } from '../timing.js';
import { argsOf, type Availability, type PeerRunner } from './runner.js';

export interface NativePeer {
  readonly id: 'lua' | 'python';
  readonly label: string;
  readonly command: string;
  /** Arguments before the script's path. */
  readonly flags: readonly string[];
  readonly versionArgs: readonly string[];
  readonly install: string;
  readonly script: (name: string) => string;
}

export const LUA: NativePeer = {
  id: 'lua',
  label: 'Lua 5.4',
  command: 'lua5.4',
  flags: [],
  versionArgs: ['-v'],
  install: 'apt-get install lua5.4',
  script: luaPeer,
};

export const PYTHON: NativePeer = {
  id: 'python',
  label: 'CPython',
  command: 'python3',
  flags: ['-B'], // no __pycache__ beside the scripts
  versionArgs: ['--version'],
  install: 'apt-get install python3',
  script: pythonPeer,
};

/** A budget the scripts can parse: "never stop early" as a very large number of seconds. */
const budgetArg = (seconds: number): string => String(Number.isFinite(seconds) ? seconds : 1e9);

/** Run a peer script with these arguments and return what it printed. Throws BenchError if it fails. */
export function runNativeScript(peer: NativePeer, name: string, args: readonly (number | string)[]): string {
  const r = spawnSync(peer.command, [...peer.flags, peer.script(name), ...args.map(String)], { encoding: 'utf8' });
  if (r.error) throw new BenchError(`${peer.command}: ${r.error.message}`);
  if (r.status !== 0) throw new BenchError(`${peer.command} ${name} exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

export class NativeRunner implements PeerRunner {
  readonly id: 'lua' | 'python';
  readonly group: 'lua' | 'python';
  readonly label: string;

  constructor(private readonly peer: NativePeer) {
    this.id = peer.id;
    this.group = peer.id;
    this.label = peer.label;
  }

  prepare(): Promise<Availability> {
    const r = spawnSync(this.peer.command, this.peer.versionArgs, { encoding: 'utf8' });
    if (r.error) {
      const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
      return Promise.resolve({ ok: false, reason: missing ? `${this.peer.command} not installed (${this.peer.install})` : `${this.peer.command}: ${r.error.message}` });
    }
    // `lua5.4 -v` prints "Lua 5.4.6  Copyright …"; `python3 --version` "Python 3.11.7".
    const version = `${r.stdout}${r.stderr}`.split('\n')[0]!.split('  ')[0]!.trim();
    return Promise.resolve({ ok: true, version });
  }

  measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed> {
    const timing = ['--time', plan.warmupSeconds > 0 ? 1 : 0, plan.runs, plan.minRuns, budgetArg(plan.budgetSeconds)];
    return Promise.resolve(parseTimes(this.peer.command, runNativeScript(this.peer, bench.name, [...argsOf(size), ...timing])));
  }

  dispose(): void {}
}

/** The harness's output: the checksum line, then "times T1 T2 …". */
export function parseTimes(who: string, stdout: string): Timed {
  const [output = '', times = ''] = stdout.split('\n');
  const values = times.startsWith('times ') ? times.slice(6).trim().split(/\s+/).map(Number) : [];
  if (values.length === 0 || values.some((t) => !(t >= 0))) throw new BenchError(`${who} printed ${JSON.stringify(stdout)}, not a checksum and its times`);
  return { output, times: values };
}
