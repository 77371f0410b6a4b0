/**
 * Startup: how long `typevisor` takes as a whole process, against `node -e 0`
 * (Node's own start, the floor for any Node command) measured in the same
 * rounds, interleaved, so a busy machine slows all of them alike.
 *
 *   npm run bench -- --sections startup
 *
 * The commands: `--version` (the CLI's entry and commander, no command
 * loaded), `run hello.s` (assemble and run the smallest program: the
 * assembler and the process VM, nothing of the monitors, the daemon or
 * migration) and `asm hello.s`. The ratio is the command's median ÷ node's;
 * the README quotes it.
 *
 * `typevisor` is the package's bin, an esbuild bundle (cli/bundle.mjs) whose chunks run
 * with a V8 code cache (cli/chunk-loader.ts). The same rounds time two
 * befores: the bundle without the cache (TYPEVISOR_CODE_CACHE=off, the
 * chunks loaded by Node's require) and tsc's entry, which the build keeps as
 * dist/cli/main-modules.js, the same CLI loading tsc's ~200 modules one file
 * at a time. The cache lives in a fresh folder of the run's own
 * (XDG_CACHE_HOME), written by the warm-up round: what a user has from their
 * second run of a command on.
 *
 * `node dist/bench/startup-readme.js` writes a run's table into the README.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { renderTable } from '../../cli/table.js';
import { BenchError } from '../bench-error.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';
import { median } from '../stats.js';

/** What a user runs as `typevisor`: the package's bin (dist/cli/typevisor.cjs). */
const CLI = join(REPO_ROOT, (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: { typevisor: string } }).bin.typevisor);
const CLI_MODULES = join(REPO_ROOT, 'dist', 'cli', 'main-modules.js');
const HELLO = join(REPO_ROOT, 'guests', 'programs', 'hello.s');

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface StartupRow {
  readonly command: string;
  /** Milliseconds, whole process, each round. */
  readonly times: readonly number[];
  readonly median: number;
  /** median ÷ node -e 0's median. */
  readonly ratio: number;
}

export interface StartupData {
  readonly rounds: number;
  readonly rows: readonly StartupRow[];
  /** The host's 1-minute load average when the rounds ended: a busy machine inflates every ratio. */
  readonly load: number;
}

/** The commands each CLI build is timed on, after `node -e 0`. */
export const STARTUP_COMMANDS = ['--version', 'run hello.s', 'asm hello.s'] as const;
/** The builds, row-name prefixes: the bundle with its code cache, without it, and tsc's modules. */
export const STARTUP_BUILDS = ['typevisor', 'no code cache', 'unbundled'] as const;

function cases(out: string): Case[] {
  const args = (command: (typeof STARTUP_COMMANDS)[number]): string[] =>
    command === '--version' ? ['--version'] : command === 'run hello.s' ? ['run', HELLO] : ['asm', HELLO, '-o', join(out, 'hello.img')];
  const cache = { XDG_CACHE_HOME: join(out, 'cache') };
  const builds: Record<(typeof STARTUP_BUILDS)[number], { main: string; env: Record<string, string> }> = {
    typevisor: { main: CLI, env: cache },
    'no code cache': { main: CLI, env: { ...cache, TYPEVISOR_CODE_CACHE: 'off' } },
    unbundled: { main: CLI_MODULES, env: cache },
  };
  return [
    { name: 'node -e 0', args: ['-e', '0'] },
    ...STARTUP_BUILDS.flatMap((b) => STARTUP_COMMANDS.map((c) => ({ name: `${b} ${c}`, args: [builds[b].main, ...args(c)], env: builds[b].env }))),
  ];
}

/** One whole process, spawned and waited for, in milliseconds. */
function time(c: Case): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...c.env } });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new BenchError(`startup: \`${c.name}\` exited ${r.status ?? r.signal}: ${r.stderr.toString().trim()} (run \`npm run build\` first)`);
  return ms;
}

export function measureStartup(rounds: number, progress: (m: string) => void = () => {}): StartupData {
  const out = mkdtempSync(join(tmpdir(), 'tv-startup-'));
  try {
    const list = cases(out);
    const times: number[][] = list.map(() => []);
    for (const c of list) time(c); // warm the file cache (the first spawn reads everything from disk) and write the code cache
    for (let r = 0; r < rounds; r++) {
      progress(`startup: round ${r + 1} of ${rounds}`);
      list.forEach((c, i) => times[i]!.push(time(c)));
    }
    const base = median(times[0]!);
    const rows = list.map((c, i) => ({ command: c.name, times: times[i]!, median: median(times[i]!), ratio: median(times[i]!) / base }));
    return { rounds, rows, load: loadavg()[0]! };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function renderStartup(data: StartupData, p: ChalkInstance): string {
  const rows = [
    [p.bold('command'), p.bold('median'), p.bold('vs node -e 0')],
    ...data.rows.map((r) => [r.command, `${r.median.toFixed(1)} ms`, r.command === 'node -e 0' ? p.dim('1.00×') : `${r.ratio.toFixed(2)}×`]),
  ];
  const table = renderTable([{ align: 'left' }, { align: 'right' }, { align: 'right' }], rows).join('\n');
  return `${table}\n${p.dim(`whole process, median of ${data.rounds} interleaved rounds, load average ${data.load.toFixed(1)}`)}`;
}

/** The README's table: one row per command, the builds side by side, each median with its ratio to node's. */
export function startupMarkdown(data: StartupData): string {
  const row = (name: string): StartupRow | undefined => data.rows.find((r) => r.command === name);
  const cell = (r: StartupRow | undefined): string => (r === undefined ? '' : `${r.median.toFixed(1)} ms, ${r.ratio.toFixed(2)}×`);
  const node = row('node -e 0')!;
  return [
    '| command | typevisor (code cache) | no code cache | unbundled (tsc\'s modules) |',
    '|---|---|---|---|',
    `| \`node -e 0\` | ${node.median.toFixed(1)} ms, 1.00× | | |`,
    ...STARTUP_COMMANDS.map((c) => `| \`typevisor ${c}\` | ${STARTUP_BUILDS.map((b) => cell(row(`${b} ${c}`))).join(' | ')} |`),
  ].join('\n');
}

export const startupSection: BenchSection = {
  name: 'startup',
  title: 'Startup: whole process against node -e 0',
  async run(ctx: SectionContext): Promise<SectionRun> {
    const rounds = ctx.options.quick ? 3 : Math.max(10, ctx.options.runs * 4);
    const data = measureStartup(rounds, ctx.progress);
    return { data, text: renderStartup(data, ctx.paint), failed: false };
  },
  compare(): Comparison | undefined {
    return undefined;
  },
};
