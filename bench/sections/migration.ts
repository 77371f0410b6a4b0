/**
 * Live migration, strategy against strategy: each workload migrated by every
 * strategy over the same simulated link from the same point of its run. The
 * link lives in virtual time, so these numbers are exact and the same on
 * every run — a change here is a change in the engine, never noise. Each
 * migrated guest is also checked against the workload never migrated; a
 * wrong answer fails the section.
 *
 * Workloads (guests/workloads/):
 *   writes   512 pages written in order, steadily: pre-copy converges
 *   hot      1500 pages written at random, flat out, over a slower link:
 *            pre-copy cannot converge and --on-stall (post-copy) takes over
 *   cpu      compute only, in 64 MiB: post-copy's downtime is the state alone
 */
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { compareStrategies, comparisonNotes, comparisonRows, describeComparison, type Comparison } from '../../hypervisor/lab/compare.js';
import type { MigrationOptions } from '../../hypervisor/migration/options.js';
import type { LinkSpec } from '../../hypervisor/migration/transports/simulated.js';
import { loadWorkload, type WorkloadName } from '../../hypervisor/lab/workloads.js';
import { REPO_ROOT } from '../sources.js';
import type { BenchSection, Comparison as Changes, SectionContext, SectionRun } from '../section.js';
import { renderTable } from '../../cli/table.js';

const MiB = 1024 * 1024;

interface Scenario {
  readonly name: string;
  readonly workload: WorkloadName;
  readonly params: Readonly<Record<string, number>>;
  readonly memSize: number;
  readonly small: { readonly params: Readonly<Record<string, number>>; readonly memSize: number };
  readonly link: LinkSpec;
  readonly at: number;
  readonly options: Partial<MigrationOptions>;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'writes', workload: 'writes', params: { WS_PAGES: 512, WRITES: 400_000 }, memSize: 32 * MiB, small: { params: { WS_PAGES: 256, WRITES: 100_000 }, memSize: 8 * MiB }, link: { bandwidth: 1e9, latencyMs: 0.1 }, at: 1_000_000, options: {} },
  { name: 'hot', workload: 'writes', params: { WS_PAGES: 1500, WRITES: 2_000_000, SPIN: 0, RANDOM: 1 }, memSize: 16 * MiB, small: { params: { WS_PAGES: 1500, WRITES: 1_000_000, SPIN: 0, RANDOM: 1 }, memSize: 12 * MiB }, link: { bandwidth: 100e6, latencyMs: 0.1 }, at: 500_000, options: { onStall: 'post-copy', downtimeLimitMs: 5 } },
  { name: 'cpu', workload: 'cpu', params: { ITERATIONS: 20_000_000 }, memSize: 64 * MiB, small: { params: { ITERATIONS: 5_000_000 }, memSize: 16 * MiB }, link: { bandwidth: 1e9, latencyMs: 0.1 }, at: 1_000_000, options: {} },
];

interface MigrationOutcome {
  readonly size: string;
  readonly quick: boolean;
  readonly scenarios: readonly { readonly name: string; readonly comparison: Comparison }[];
}

export async function runMigration(ctx: SectionContext): Promise<MigrationOutcome> {
  const small = ctx.options.size === 'small';
  // --quick is a smoke test: one scenario, no reference runs.
  const quick = ctx.options.quick;
  const scenarios = [];
  for (const s of quick ? SCENARIOS.slice(0, 1) : SCENARIOS) {
    const params = small ? s.small.params : s.params;
    const memSize = small ? s.small.memSize : s.memSize;
    const w = loadWorkload(join(REPO_ROOT, 'guests', 'workloads'), s.workload, params);
    const comparison = await compareStrategies({
      workload: s.workload,
      params: w.params,
      image: w.image,
      memSize,
      link: s.link,
      strategies: ['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'],
      at: s.at,
      options: s.options,
      verify: !quick,
      progress: (m) => ctx.progress(`migration: ${s.name}: ${m}`),
    });
    scenarios.push({ name: s.name, comparison });
  }
  return { size: ctx.options.size, quick, scenarios };
}

function render(o: MigrationOutcome, paint: ChalkInstance): string {
  const out: string[] = [];
  for (const { name, comparison } of o.scenarios) {
    const rows = comparisonRows(comparison);
    const lines = renderTable(rows[0]!.map((_, i) => ({ align: i === 0 ? ('left' as const) : ('right' as const) })), rows);
    out.push(paint.bold(`${name}: ${describeComparison(comparison)}`), ...lines, '');
    for (const r of comparison.runs) if (r.verified === false) out.push(paint.red(`${name} under ${r.strategy}: ${r.verdict}`));
  }
  out.push(...comparisonNotes(o.scenarios[0]!.comparison).map((n) => paint.dim(n)));
  return out.join('\n');
}

/** What is compared between two runs: downtime and total time per scenario and strategy. */
function keyNumbers(o: MigrationOutcome): Map<string, { downtime: number | null; total: number }> {
  const m = new Map<string, { downtime: number | null; total: number }>();
  for (const s of o.scenarios) for (const r of s.comparison.runs) m.set(`${s.name} ${r.strategy}`, { downtime: r.report.downtimeMs, total: r.report.totalMs });
  return m;
}

export const migrationSection: BenchSection = {
  name: 'migration',
  title: 'live migration: every strategy on the same workload and simulated link (virtual time: exact, the same every run)',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const outcome = await runMigration(ctx);
    return { data: outcome, text: render(outcome, ctx.paint), failed: outcome.scenarios.some((s) => s.comparison.runs.some((r) => r.verified === false)) };
  },

  compare(previous: unknown, current: unknown, paint: ChalkInstance): Changes | undefined {
    const a = previous as MigrationOutcome | undefined;
    const b = current as MigrationOutcome;
    if (!a || !Array.isArray(a.scenarios) || a.size !== b.size || a.quick !== b.quick) return undefined;
    let before: Map<string, { downtime: number | null; total: number }>;
    try {
      before = keyNumbers(a);
    } catch {
      return undefined;
    }
    const changes = [...keyNumbers(b)].map(([name, now]) => ({ name, before: before.get(name)?.downtime ?? null, after: now.downtime }));
    const lines = changes.map((c) =>
      c.before === null || c.after === null ? `${c.name}: ${paint.dim('no downtime to compare')}` : c.before === c.after ? `${c.name}: downtime ${c.after.toFixed(3)} virtual ms, unchanged` : `${c.name}: downtime ${c.before.toFixed(3)} → ${c.after.toFixed(3)} virtual ms`,
    );
    return { lines, changes };
  },
};
