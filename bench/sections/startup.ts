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
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { renderTable } from '../../cli/table.js';
import { BenchError } from '../bench-error.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';
import { median } from '../stats.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const HELLO = join(REPO_ROOT, 'guests', 'programs', 'hello.s');

interface Case {
  readonly name: string;
  readonly args: readonly string[];
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
}

function cases(out: string): Case[] {
  return [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'typevisor --version', args: [CLI, '--version'] },
    { name: 'typevisor run hello.s', args: [CLI, 'run', HELLO] },
    { name: 'typevisor asm hello.s', args: [CLI, 'asm', HELLO, '-o', join(out, 'hello.img')] },
  ];
}

/** One whole process, spawned and waited for, in milliseconds. */
function time(c: Case): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new BenchError(`startup: \`${c.name}\` exited ${r.status ?? r.signal}: ${r.stderr.toString().trim()} (run \`npm run build\` first)`);
  return ms;
}

export function measureStartup(rounds: number, progress: (m: string) => void = () => {}): StartupData {
  const out = mkdtempSync(join(tmpdir(), 'tv-startup-'));
  try {
    const list = cases(out);
    const times: number[][] = list.map(() => []);
    for (const c of list) time(c); // warm the file cache: the first spawn reads everything from disk
    for (let r = 0; r < rounds; r++) {
      progress(`startup: round ${r + 1} of ${rounds}`);
      list.forEach((c, i) => times[i]!.push(time(c)));
    }
    const base = median(times[0]!);
    return { rounds, rows: list.map((c, i) => ({ command: c.name, times: times[i]!, median: median(times[i]!), ratio: median(times[i]!) / base })) };
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
  return `${table}\n${p.dim(`whole process, median of ${data.rounds} interleaved rounds`)}`;
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
