/**
 * `npm run bench [-- OPTIONS]`: the benchmark suite. Runs every section
 * (sections/index.ts), prints each one's report, saves the whole result under
 * bench/results/, and with --compare sets it against the last saved run of
 * the same size and tier. Progress goes to stderr on a terminal; stdout is the
 * report, or one JSON document with --json.
 *
 * Exit status: 0; 1 when an option is wrong or any implementation printed a
 * wrong checksum or crashed; 2 for a bug in the harness itself.
 */
import { relative } from 'node:path';
import { Command } from 'commander';
import { disableColor, paint, paintErr } from '../cli/color.js';
import { BenchError } from './bench-error.js';
import { hostInfo } from './host.js';
import { parseBudget, parseOnly, parsePeers, parseRuns, parseTiers, type BenchOptions } from './options.js';
import { renderHost } from './bench-report.js';
import { loadRuns, RESULT_FORMAT, RESULT_VERSION, saveRun, type SavedRun } from './results.js';
import { PEER_GROUPS } from './runners/runner.js';
import type { Comparison, SectionContext } from './section.js';
import { SECTIONS } from './sections/index.js';
import { RESULTS_DIR } from './sources.js';
import { BENCH_NAMES } from './suite.js';

interface CliOptions {
  readonly json?: boolean;
  readonly only: string;
  readonly runs: string;
  readonly quick?: boolean;
  readonly small?: boolean;
  readonly peers: string;
  readonly tier: string;
  readonly budget: string;
  readonly compare?: boolean;
  readonly resultsDir: string;
  readonly color: boolean;
  readonly sections: string;
  /** Whether --only / --sections were on the command line (not defaults): set by the action. */
  readonly onlyGiven?: boolean;
  readonly sectionsGiven?: boolean;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A status line that overwrites itself on a terminal; silent when stderr is not one. */
function progressLine(): { show(message: string): void; clear(): void } {
  const tty = process.stderr.isTTY === true;
  return {
    show: (message) => void (tty && process.stderr.write(`\r\x1b[K${paintErr().dim(`… ${message}`)}`)),
    clear: () => void (tty && process.stderr.write('\r\x1b[K')),
  };
}

/** `--sections a,b`: names from SECTIONS. */
function parseSections(text: string): string[] {
  const names = text.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const n of names) if (!SECTIONS.some((s) => s.name === n)) throw new BenchError(`--sections: no section '${n}' (${SECTIONS.map((s) => s.name).join(', ')})`);
  return names;
}

function parseOptions(o: CliOptions): BenchOptions {
  return {
    only: parseOnly(o.only),
    peers: parsePeers(o.peers),
    runs: parseRuns(o.runs),
    quick: o.quick === true,
    size: o.small === true ? 'small' : 'full',
    tiers: parseTiers(o.tier),
    budget: parseBudget(o.budget),
  };
}

async function bench(o: CliOptions): Promise<void> {
  if (!o.color) disableColor();
  const options = parseOptions(o);
  const json = o.json === true;
  const p = paint();
  const host = hostInfo();
  const date = new Date();
  if (!json) out(renderHost(host, p));

  const progress = progressLine();
  const ctx: SectionContext = { options, paint: p, progress: progress.show };
  const sections: Record<string, unknown> = {};
  let failed = false;
  const chosen = parseSections(o.sections);
  // --only names interpreter benchmarks: alone, it asks for them, not for the monitors and migration too.
  const onlyInterpreter = o.onlyGiven === true && o.sectionsGiven !== true;
  if (onlyInterpreter) chosen.splice(0, chosen.length, 'interpreter');
  for (const section of SECTIONS.filter((s) => chosen.includes(s.name))) {
    const run = await section.run(ctx);
    progress.clear();
    sections[section.name] = run.data;
    failed ||= run.failed;
    if (!json) out(`\n${p.bold.underline(section.title)}\n\n${run.text}`);
  }

  const previous = loadRuns(o.resultsDir);
  const saved: SavedRun = { format: RESULT_FORMAT, version: RESULT_VERSION, date: date.toISOString(), host, options: { ...options }, sections };
  const path = saveRun(o.resultsDir, saved);

  const comparisons: Record<string, { readonly against: string; readonly changes: Comparison['changes'] } | null> = {};
  if (o.compare === true) {
    for (const section of SECTIONS) {
      let found = false;
      for (const old of previous) {
        const c = section.compare(old.run.sections[section.name], sections[section.name], p);
        if (c === undefined) continue;
        comparisons[section.name] = { against: old.path, changes: c.changes };
        if (!json) out(`\n${p.bold(`${section.name}: compared with ${relative(process.cwd(), old.path)} (${old.run.date})`)}\n${c.lines.join('\n')}`);
        found = true;
        break;
      }
      if (!found) {
        comparisons[section.name] = null;
        if (!json) out(`\n${section.name}: --compare: no previous run of the same size and tier in ${relative(process.cwd(), o.resultsDir) || '.'}`);
      }
    }
  }

  if (json) out(JSON.stringify({ ...saved, savedTo: path, ...(o.compare === true ? { comparisons } : {}) }, null, 2));
  else out(`\n${p.dim(`saved ${relative(process.cwd(), path)}`)}`);
  if (failed) process.exitCode = 1;
}

const program = new Command()
  .name('npm run bench --')
  .description("typevisor's benchmark suite: each guest program in the process VM against the same algorithm in JS, the same image on a bare switch loop, fengari, QuickJS, Lua 5.4 and CPython")
  .option('--json', 'print the whole result as one JSON document on stdout (progress still goes to a terminal on stderr)')
  .option('--only <names>', `benchmarks to run, comma-separated: ${BENCH_NAMES.join(', ')}`, BENCH_NAMES.join(','))
  .option('--runs <n>', 'timed runs per benchmark after the warm-up (typevisor always does them all)', '5')
  .option('--quick', 'one run of each, no warm-up: a smoke test, not a measurement')
  .option('--small', "the tests' reduced sizes: every implementation end to end in seconds; the times mean little")
  .option('--peers <list>', `peers to measure against, comma-separated (js is the cold and the warmed column): ${PEER_GROUPS.join(', ')}`, PEER_GROUPS.join(','))
  .option('--tier <tier>', 'execution tier to measure: interp (the interpreter alone), jit (with the translation tier), or both', 'both')
  .option('--budget <seconds>', 'stop timing a slow peer once its runs add up to this (after 3 runs, or 1 if its warm-up alone took longer)', '10')
  .option('--compare', 'compare typevisor\'s times and MIPS with the last saved run of the same size and tier')
  .option('--results-dir <dir>', 'where runs are saved and --compare looks', RESULTS_DIR)
  .option('--sections <list>', `parts of the suite to run, comma-separated: ${SECTIONS.map((s) => s.name).join(', ')} (with --only and no --sections: interpreter alone)`, SECTIONS.map((s) => s.name).join(','))
  .option('--no-color', 'plain output even on a terminal (NO_COLOR is honoured too)')
  .showHelpAfterError('(run with --help for usage)')
  .action((o: CliOptions, cmd: Command) =>
    bench({ ...o, onlyGiven: cmd.getOptionValueSource('only') === 'cli', sectionsGiven: cmd.getOptionValueSource('sections') === 'cli' }));

program.parseAsync(process.argv).catch((err: unknown) => {
  progressLine().clear();
  if (err instanceof BenchError) {
    process.stderr.write(`${paintErr().red('error:')} ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 2;
});

