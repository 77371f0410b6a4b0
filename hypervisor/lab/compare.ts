/**
 * migrate-compare: every strategy on the same workload, the same memory and
 * the same simulated link, from the same point of its run — so the numbers
 * differ only by strategy, and are the same on every run. Each migrated run
 * is also checked against the workload never migrated (its console output
 * and final memory), so a strategy that is fast but wrong shows as wrong.
 */
import type { Image } from '../../isa/image.js';
import { TICKS_PER_MS } from '../migration/clock.js';
import type { LoopbackRate } from '../migration/loopback.js';
import type { MigrationOptions, StrategyName } from '../migration/options.js';
import { effectiveRate, formatBytes, reportRows, timeUnit, type MigrationReport } from '../migration/migration-report.js';
import { runBaseline, simulateMigration } from './simulate.js';
import { formatRate, type LinkSpec } from '../migration/transports/simulated.js';

export interface ComparisonSpec {
  /** For the heading: the workload and its parameters. */
  readonly workload: string;
  readonly params: Readonly<Record<string, number>>;
  readonly image: Image;
  readonly memSize: number;
  readonly link: LinkSpec;
  readonly strategies: readonly StrategyName[];
  /** Guest instructions before the migration starts. */
  readonly at: number;
  readonly options?: Partial<MigrationOptions>;
  /** Run each migrated guest to its end and compare it with the unmigrated run (default true). */
  readonly verify?: boolean;
  /** Called before each strategy runs. */
  readonly progress?: (message: string) => void;
}

export interface StrategyRun {
  readonly strategy: StrategyName;
  readonly report: MigrationReport;
  /** Output and memory equal to the unmigrated run's (null: not checked). */
  readonly verified: boolean | null;
  readonly verdict: string;
  /** The echo workload: what its client saw across the move. */
  readonly echo?: EchoSeen;
}

/**
 * What a client of the guest's echo service saw while the guest moved: it
 * sends a line every few ms through a real socket from before the move to
 * after it, and times each line's echo (wall time).
 */
export interface EchoSeen {
  readonly bytesSent: number;
  readonly bytesEchoed: number;
  /** Every byte came back once, in order. */
  readonly inOrder: boolean;
  readonly lines: number;
  /** The longest time bytes were outstanding with nothing coming back. */
  readonly maxStallMs: number;
  /** A line's round trip, send to its whole echo: percentiles. */
  readonly roundTrip: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
}

/** How the device workloads were set up (the heading says it). */
export interface DeviceSetup {
  /** disk-writer: each strategy's run starts from its own copy of the same disk file. */
  readonly disk?: { readonly mode: 'copy' | 'shared'; readonly size: number; readonly fill: 'random' | 'zeros' };
  /** echo: the client's line interval. */
  readonly echo?: { readonly intervalMs: number };
}

export interface Comparison {
  /** 'simulated': one process, virtual time. 'real': two daemons over TCP on 127.0.0.1, wall time. */
  readonly mode: 'simulated' | 'real';
  readonly workload: string;
  readonly params: Readonly<Record<string, number>>;
  readonly memSize: number;
  readonly link: LinkSpec;
  readonly at: number;
  readonly runs: readonly StrategyRun[];
  /** 'real': this machine's raw loopback TCP rate, measured in the same run (bytes/s). */
  readonly loopback?: LoopbackRate;
  readonly devices?: DeviceSetup;
}

/** Default watch window before and after, for the guest's progress rate: virtual ms. */
const OBSERVE_MS = 2;

export async function compareStrategies(spec: ComparisonSpec): Promise<Comparison> {
  const verify = spec.verify ?? true;
  const ref = verify ? await runBaseline(spec.image, spec.memSize) : undefined;
  const runs: StrategyRun[] = [];
  for (const strategy of spec.strategies) {
    spec.progress?.(`${strategy}…`);
    const r = await simulateMigration({
      image: spec.image,
      memSize: spec.memSize,
      link: spec.link,
      strategy,
      at: spec.at,
      options: { observeMs: OBSERVE_MS, ...spec.options },
      runToEnd: verify,
    });
    let verified: boolean | null = null;
    let verdict = 'not checked';
    if (ref) {
      verified = r.output === ref.output && r.memoryHash === ref.memoryHash;
      verdict = verified ? 'same output and memory as never migrated' : r.output !== ref.output ? 'console output differs from the unmigrated run' : 'final memory differs from the unmigrated run';
    }
    runs.push({ strategy, report: r.outgoing.report, verified, verdict });
  }
  return { mode: 'simulated', workload: spec.workload, params: spec.params, memSize: spec.memSize, link: spec.link, at: spec.at, runs };
}

/** The heading line: what was compared. */
export function describeComparison(c: Comparison): string {
  const params = Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const head = `${c.workload}${params ? ` (${params})` : ''}, ${formatBytes(c.memSize)} of guest memory`;
  const disk = c.devices?.disk ? `, a ${formatBytes(c.devices.disk.size)} disk file (${c.devices.disk.fill === 'random' ? 'random bytes' : 'zeros'} where the guest does not write; --disk-mode ${c.devices.disk.mode})` : '';
  if (c.devices?.echo) return `${head}, two typevisor serve daemons over TCP on 127.0.0.1 (wall time), migrated while a client sends a line every ${c.devices.echo.intervalMs} ms to its echo service`;
  if (c.mode === 'real') return `${head}${disk}, two typevisor serve daemons over TCP on 127.0.0.1 (wall time), migrated after ${c.at.toLocaleString('en-US')} guest instructions`;
  return `${head}, link ${formatRate(c.link.bandwidth)} with ${c.link.latencyMs} ms latency (simulated), migrated after ${c.at.toLocaleString('en-US')} guest instructions (${(c.at / TICKS_PER_MS).toFixed(2)} virtual ms)`;
}

/** The table rows (label first, one column per strategy), with the check row. */
export function comparisonRows(c: Comparison): string[][] {
  const reports = c.runs.map((r) => r.report);
  const rows = reportRows(reports);
  const raw = c.loopback?.rate;
  // Over real TCP: each effective rate as a multiple of this machine's raw loopback, under it.
  if (raw) rows.splice(rows.findIndex((r) => r[0] === 'effective rate') + 1, 0, ['  ÷ raw loopback', ...reports.map((r) => (r.totalMs > 0 ? `${(effectiveRate(r) / raw).toFixed(2)}×` : '—'))]);
  return [['', ...c.runs.map((r) => r.strategy)], ...rows, ...deviceRows(c), ['checked', ...c.runs.map((r) => (r.verified === null ? '—' : r.verified ? 'ok' : 'WRONG'))]];
}

const msText = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v < 10 ? v.toFixed(3) : v < 1000 ? v.toFixed(1) : v.toFixed(0));

/**
 * The disk's and the network's rows, where a run has them: the disk's bytes
 * and sectors (the report's totals hold them too), its rounds and its share
 * of the downtime; the connections the source relays; what the echo client
 * saw.
 */
function deviceRows(c: Comparison): string[][] {
  const rows: string[][] = [];
  const row = (label: string, f: (r: StrategyRun) => string): void => void rows.push([label, ...c.runs.map(f)]);
  const unit = timeUnit(c.runs[0]?.report ?? { clock: 'virtual' });
  if (c.runs.some((r) => r.report.disk)) {
    row('disk', (r) => (r.report.disk ? `${r.report.disk.kind}, ${r.report.disk.mode}` : '—'));
    row('  disk bytes sent', (r) => (r.report.disk ? formatBytes(r.report.disk.bytesSent) : '—'));
    row('  sectors sent', (r) => (r.report.disk ? String(r.report.disk.sectorsSent) : '—'));
    row('  disk rounds', (r) => (r.report.disk && r.report.disk.rounds.length > 0 ? r.report.disk.rounds.map((x) => `${x.sectors}${x.paused ? '*' : ''}`).join(' ') : '—'));
    // The engine moves the disk with the memory: its totals and downtime hold the disk already; this is the disk's share of the pause.
    row(`  disk's share of downtime (${unit})`, (r) => (r.report.disk ? msText(r.report.disk.pausedMs) : '—'));
  }
  if (c.runs.some((r) => r.report.network)) row('connections relayed', (r) => (r.report.network ? String(r.report.network.relayedConnections) : '—'));
  if (c.runs.some((r) => r.echo)) {
    row('echoed / sent', (r) => (r.echo ? `${formatBytes(r.echo.bytesEchoed)} / ${formatBytes(r.echo.bytesSent)}` : '—'));
    row('  in order, once', (r) => (r.echo ? (r.echo.inOrder ? 'yes' : 'NO') : '—'));
    row('  longest stall (ms)', (r) => (r.echo ? msText(r.echo.maxStallMs) : '—'));
    row('  round trip p50 (ms)', (r) => (r.echo ? msText(r.echo.roundTrip.p50Ms) : '—'));
    row('  round trip p99 (ms)', (r) => (r.echo ? msText(r.echo.roundTrip.p99Ms) : '—'));
    row('  round trip max (ms)', (r) => (r.echo ? msText(r.echo.roundTrip.maxMs) : '—'));
  }
  return rows;
}

export function comparisonNotes(c: Comparison): string[] {
  const unit = timeUnit(c.runs[0]?.report ?? { clock: 'virtual' });
  const stops = c.runs.filter((r) => r.report.stopReason && r.report.converged === false).map((r) => `${r.strategy} did not converge: ${r.report.stopReason}; --on-stall ${r.report.options.onStall}`);
  return [
    ...stops,
    ...(c.loopback ? [`effective rate = guest memory ÷ total time; raw loopback TCP on this machine, measured in the same run: ${formatRate(c.loopback.rate)}`] : []),
    c.mode === 'real'
      ? `times in ${unit} of wall time between two processes: they vary from run to run; guest MIPS is guest virtual time per wall second`
      : `times in ${unit}: 1 ms = 100 000 guest instructions (a nominal 100 MIPS); every number is the same on every run`,
    'rounds: pages sent per pre-copy round; * = sent with the guest paused',
    'downtime = last guest instruction on the source to the first on the destination',
    ...(c.devices?.disk
      ? [
          c.devices.disk.mode === 'copy'
            ? 'disk rounds: sectors per round of the disk copy (none for post-copy: its sectors go after the switchover); * = sent with the guest paused; bytes sent, total time and downtime hold the disk\'s'
            : 'disk shared: no sector is sent; the destination opens the same file at the commit point',
        ]
      : []),
    ...(c.devices?.echo ? ['the echo client: a line every few ms through a real socket, before, during and after the move; stall = bytes outstanding and nothing coming back; round trip = a line sent to its whole echo (wall time)'] : []),
    c.devices?.disk
      ? 'checked: the migrated guest printed the same and left its disk byte for byte as the same workload never migrated'
      : c.devices?.echo
        ? 'checked: every byte the client sent came back once, in order, and the guest\'s console counted exactly those lines'
        : c.mode === 'real'
          ? 'checked: the migrated guest printed the same as the same workload never migrated'
          : 'checked: the migrated guest printed the same and ended with the same memory as the same workload never migrated',
  ];
}
