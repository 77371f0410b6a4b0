/**
 * `typevisor migrate-compare`: every migration strategy on the same workload,
 * side by side, on a link simulated in virtual time (the same numbers on
 * every run), with an HTML report of charts. Thin: the comparison is
 * hypervisor/lab/compare.ts; over real daemons, cli/migrate-real.ts, and for
 * the workloads with a disk or a network cable cli/compare/device-runs.ts.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import {
  parseCountWithSuffix,
  parseDuration,
  parseLink,
  parseRate,
  STALL_POLICIES,
  STRATEGY_NAMES,
  type MigrationOptions,
  type StrategyName,
} from '../../hypervisor/migration/index.js';
import {
  compareStrategies,
  comparisonRows,
  DEVICE_WORKLOAD_NAMES,
  describeComparison,
  isDeviceWorkload,
  loadWorkload,
  parseParams,
  renderHtml,
  WORKLOAD_NAMES,
  type Comparison,
  type ComparisonSpec,
  type DeviceWorkloadName,
  type WorkloadName,
} from '../../hypervisor/lab/index.js';
import { comparisonNotes } from '../../hypervisor/lab/compare.js';
import { renderTable } from '../table.js';
import { paint, paintErr } from '../color.js';
import { fail, parseMem } from '../load.js';
import { compareOverTcp } from '../migrate-real.js';
import { compareDevicesOverTcp } from '../compare/device-runs.js';

/** The workloads as installed beside this command (dist/cli/commands → guests/workloads). */
const WORKLOADS_DIR = fileURLToPath(new URL('../../../guests/workloads/', import.meta.url));

const cliPath = fileURLToPath(new URL('../main.js', import.meta.url));
/** The repository root (dist/cli/commands → three levels up). */
const root = join(dirname(cliPath), '..', '..');

interface CompareOptions {
  readonly workload: WorkloadName;
  readonly param?: string;
  readonly mem: string;
  readonly link: string;
  readonly strategies: string;
  readonly at: string;
  readonly html: string | false;
  readonly json?: boolean;
  readonly verify: boolean;
  readonly downtimeLimit?: string;
  readonly maxRounds?: string;
  readonly onStall?: MigrationOptions['onStall'];
  readonly bandwidth?: string;
  readonly hybridRounds?: string;
  readonly real?: boolean;
  readonly diskMode?: string;
  readonly diskSize?: string;
  readonly diskFill?: string;
}

export function registerMigrateCompare(program: Command): void {
  program
    .command('migrate-compare')
    .description('run every migration strategy on the same workload and link; print them side by side and write an HTML report')
    .addOption(new Option('--workload <name>', 'guest workload (guests/workloads/); disk-writer and echo run between real daemons').choices([...WORKLOAD_NAMES, ...DEVICE_WORKLOAD_NAMES]).default('writes'))
    .option('--param <list>', 'workload parameters, e.g. WS_PAGES=256,SPIN=0,RANDOM=1 (see the NAME = value lines at the top of each workload)')
    .option('--mem <size>', 'guest memory (K, M, G suffixes)', '16M')
    .option('--link <bandwidth[,latency]>', 'the simulated link, e.g. 1GB/s,0.1ms or 10Gbit,50us (latency 0.1 ms when left out)', '1GB/s,0.1ms')
    .option('--strategies <list>', `which strategies, comma-separated (${STRATEGY_NAMES.join(', ')})`, STRATEGY_NAMES.join(','))
    .option('--at <n>', 'migrate after this many guest instructions (500k, 2M …)', '1M')
    .option('--html <file>', 'write the HTML report here', 'migrate-compare.html')
    .option('--no-html', 'do not write the HTML report')
    .option('--json', 'print the comparison as JSON (every MigrationReport) instead of the table')
    .option('--no-verify', 'do not check each migrated guest against the same workload never migrated (faster)')
    .option('--downtime-limit <time>', 'pre-copy: stop when the rest would take at most this long (e.g. 30ms)')
    .option('--max-rounds <n>', 'pre-copy: at most this many rounds')
    .addOption(new Option('--on-stall <policy>', 'pre-copy that does not converge').choices([...STALL_POLICIES]))
    .option('--bandwidth <rate>', 'cap what the source sends (e.g. 500MB/s)')
    .option('--hybrid-rounds <n>', 'hybrid: pre-copy rounds before post-copy')
    .option('--real', 'run two typevisor serve daemons on 127.0.0.1 and migrate over TCP, in wall time')
    .option('--disk-mode <mode>', 'disk-writer: copy the disk\'s sectors with the guest, or share the file (copy | shared; default copy)')
    .option('--disk-size <size>', 'disk-writer: the disk file each run starts from (K, M, G suffixes; default 1M)')
    .option('--disk-fill <fill>', 'disk-writer: what the disk holds where the guest does not write (random | zeros; default random)')
    .addHelpText(
      'after',
      `
The link is simulated in virtual time: a virtual millisecond is 100 000 guest
instructions (a nominal 100 MIPS), and the guest runs while its pages are on
the wire — so the numbers are exactly the same on every run. Each migrated
guest is also run to its end and checked against the same workload never
migrated (its console output and final memory).

With --real, two typevisor serve daemons are started on 127.0.0.1 and each
strategy migrates the workload between them over TCP, as typevisor migrate
does; times are wall time and vary from run to run (--link does not apply).

Workloads with a device always run between two real daemons (their disk and
their connections move by the daemons' doing, not on a simulated link):
  disk-writer  each strategy's run gets its own copy of the same disk file
               (--disk-size, --disk-fill), is migrated after --at guest
               instructions while it writes (--disk-mode copy or shared) and
               runs to its end; checked against the same guest never migrated
               on a copy of its own: its output, and its disk byte for byte.
               The table adds the disk's bytes, sectors and rounds, the bytes
               sent in all, the whole move's time and the guest's whole pause.
  echo         a client sends a line every 2 ms to the guest's echo service
               through a real socket — 100 lines echoed before the move, 100
               more sent after it (the source relays the connection; --at
               does not apply) — then hangs up. The table adds what the client saw: bytes echoed, in
               order or not, the longest stall and the round trips (p50, p99,
               max), and the connections relayed. Checked: every byte echoed
               once, in order, and the console counted every line.

Examples:
  typevisor migrate-compare --workload writes --mem 16M --link 1GB/s,0.1ms
  typevisor migrate-compare --workload writes --param WS_PAGES=2000,SPIN=0,RANDOM=1 --link 100MB/s --on-stall post-copy
  typevisor migrate-compare --workload cpu --mem 64M --strategies stop-and-copy,post-copy --html cpu.html
  typevisor migrate-compare --workload writes --real
  typevisor migrate-compare --workload disk-writer --param BLOCKS=64,SPIN=200000 --disk-mode shared
  typevisor migrate-compare --workload disk-writer --mem 64M --disk-size 64M --param BLOCKS=512,SECTORS=128,SPIN=100000 --at 20M
  typevisor migrate-compare --workload echo --mem 64M --strategies pre-copy,post-copy --html echo.html`,
    )
    .action(async (opts: CompareOptions) => {
      const spec = parse(opts);
      if (!spec) return;
      const err = paintErr();
      const device = isDeviceWorkload(opts.workload);
      const disk = diskSetup(opts);
      if (disk === null) return;
      if (opts.workload === 'echo' && spec.params['CONNECTIONS'] !== undefined && spec.params['CONNECTIONS'] !== 1) {
        return fail('--workload echo: migrate-compare drives one connection, and the guest powers off after it (CONNECTIONS is 1)');
      }
      const workload = loadWorkloadOrFail(opts.workload, opts.workload === 'echo' ? { ...spec.params, CONNECTIONS: 1 } : spec.params);
      if (!workload) return;
      const status = (m: string): void => {
        if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${err.dim(`migrate-compare: ${m}`)}`);
      };
      const comparison: ComparisonSpec = {
        workload: opts.workload,
        params: workload.params,
        image: workload.image,
        memSize: spec.memSize,
        link: spec.link,
        strategies: spec.strategies,
        at: spec.at,
        options: spec.options,
        verify: opts.verify,
        progress: status,
      };
      let c: Comparison;
      try {
        c = device
          ? await compareDevicesOverTcp({ ...comparison, workload: opts.workload as DeviceWorkloadName, ...(disk ? { disk } : {}) }, cliPath, root)
          : opts.real
            ? await compareOverTcp(comparison, cliPath, root)
            : await compareStrategies(comparison);
      } catch (e) {
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        return fail((e as Error).message);
      }
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      let htmlPath: string | undefined;
      if (opts.html !== false) {
        htmlPath = resolve(opts.html);
        try {
          writeFileSync(htmlPath, renderHtml(c));
        } catch (e) {
          return fail(`cannot write ${htmlPath}: ${(e as Error).message}`);
        }
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...c, html: htmlPath ?? null }, null, 2)}\n`);
      } else {
        const p = paint();
        const rows = comparisonRows(c);
        const lines = renderTable(rows[0]!.map((_, i) => ({ align: i === 0 ? ('left' as const) : ('right' as const) })), rows);
        process.stdout.write(
          [p.bold(describeComparison(c)), '', p.bold(lines[0]!), ...lines.slice(1), '', ...comparisonNotes(c).map((n) => p.dim(n)), ...(htmlPath ? [`report: ${htmlPath}`] : [])].join('\n') + '\n',
        );
      }
      if (c.runs.some((r) => r.verified === false)) process.exitCode = 1;
    });
}

interface Parsed {
  readonly params: Record<string, number>;
  readonly memSize: number;
  readonly link: ReturnType<typeof parseLink>;
  readonly strategies: StrategyName[];
  readonly at: number;
  readonly options: Partial<MigrationOptions>;
}

function parse(opts: CompareOptions): Parsed | undefined {
  const memSize = parseMem(opts.mem);
  if (memSize === undefined) return undefined;
  try {
    const strategies = opts.strategies.split(',').map((s) => s.trim()).filter(Boolean);
    for (const s of strategies) if (!(STRATEGY_NAMES as readonly string[]).includes(s)) throw new Error(`--strategies: no strategy named '${s}' (${STRATEGY_NAMES.join(', ')})`);
    if (strategies.length === 0) throw new Error('--strategies: name at least one');
    const options: { -readonly [K in keyof MigrationOptions]?: MigrationOptions[K] } = {};
    if (opts.downtimeLimit !== undefined) options.downtimeLimitMs = parseDuration(opts.downtimeLimit);
    if (opts.maxRounds !== undefined) options.maxRounds = positive(opts.maxRounds, '--max-rounds');
    if (opts.hybridRounds !== undefined) options.hybridRounds = positive(opts.hybridRounds, '--hybrid-rounds');
    if (opts.onStall !== undefined) options.onStall = opts.onStall;
    if (opts.bandwidth !== undefined) options.bandwidth = parseRate(opts.bandwidth);
    return {
      params: opts.param ? parseParams(opts.param) : {},
      memSize,
      link: parseLink(opts.link),
      strategies: strategies as StrategyName[],
      at: parseCountWithSuffix(opts.at),
      options,
    };
  } catch (e) {
    fail((e as Error).message);
    return undefined;
  }
}

function positive(text: string, option: string): number {
  const n = parseCountWithSuffix(text);
  if (n < 1) throw new Error(`${option} must be at least 1`);
  return n;
}

/**
 * The disk of a disk-writer comparison (undefined: not the disk writer;
 * null: a problem, reported). The disk options belong to it alone.
 */
function diskSetup(opts: CompareOptions): { mode: 'copy' | 'shared'; size: number; fill: 'random' | 'zeros' } | undefined | null {
  const given = [opts.diskMode !== undefined && '--disk-mode', opts.diskSize !== undefined && '--disk-size', opts.diskFill !== undefined && '--disk-fill'].filter((x): x is string => typeof x === 'string');
  if (opts.workload !== 'disk-writer') {
    if (given.length === 0) return undefined;
    fail(`${given[0]} is for --workload disk-writer (the only workload with a disk), not ${opts.workload}`);
    return null;
  }
  const mode = opts.diskMode ?? 'copy';
  if (mode !== 'copy' && mode !== 'shared') {
    fail(`--disk-mode ${JSON.stringify(mode)}: choose copy or shared`);
    return null;
  }
  const fill = opts.diskFill ?? 'random';
  if (fill !== 'random' && fill !== 'zeros') {
    fail(`--disk-fill ${JSON.stringify(fill)}: choose random or zeros`);
    return null;
  }
  const size = parseMem(opts.diskSize ?? '1M', '--disk-size');
  if (size === undefined) return null;
  return { mode, size, fill };
}

function loadWorkloadOrFail(name: WorkloadName, params: Record<string, number>): ReturnType<typeof loadWorkload> | undefined {
  try {
    return loadWorkload(WORKLOADS_DIR, name, params);
  } catch (e) {
    fail((e as Error).message);
    return undefined;
  }
}
