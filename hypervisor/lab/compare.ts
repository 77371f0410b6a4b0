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
  if (c.mode === 'real') return `${head}, two typevisor serve daemons over TCP on 127.0.0.1 (wall time), migrated after ${c.at.toLocaleString('en-US')} guest instructions`;
  return `${head}, link ${formatRate(c.link.bandwidth)} with ${c.link.latencyMs} ms latency (simulated), migrated after ${c.at.toLocaleString('en-US')} guest instructions (${(c.at / TICKS_PER_MS).toFixed(2)} virtual ms)`;
}

/** The table rows (label first, one column per strategy), with the check row. */
export function comparisonRows(c: Comparison): string[][] {
  const reports = c.runs.map((r) => r.report);
  const rows = reportRows(reports);
  const raw = c.loopback?.rate;
  // Over real TCP: each effective rate as a multiple of this machine's raw loopback, under it.
  if (raw) rows.splice(rows.findIndex((r) => r[0] === 'effective rate') + 1, 0, ['  ÷ raw loopback', ...reports.map((r) => (r.totalMs > 0 ? `${(effectiveRate(r) / raw).toFixed(2)}×` : '—'))]);
  return [['', ...c.runs.map((r) => r.strategy)], ...rows, ['checked', ...c.runs.map((r) => (r.verified === null ? '—' : r.verified ? 'ok' : 'WRONG'))]];
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
    c.mode === 'real'
      ? 'checked: the migrated guest printed the same as the same workload never migrated'
      : 'checked: the migrated guest printed the same and ended with the same memory as the same workload never migrated',
  ];
}
