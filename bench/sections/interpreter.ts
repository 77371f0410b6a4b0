/**
 * The interpreter hot-loop suite: each benchmark as a guest program in the
 * process VM, timed against the same algorithm in plain JS (cold and warm),
 * fengari, QuickJS, and native Lua 5.4 and CPython when installed. Every
 * implementation must print the expected checksum, or its cell is a failure.
 */
import type { ChalkInstance } from 'chalk';
import { BenchError } from '../error.js';
import type { BenchOptions } from '../options.js';
import type { BenchRow, InterpreterOutcome, PeerCell, PeerStatus, TypevisorCell } from '../outcome.js';
import { compareInterpreter, renderChanges, renderInterpreter } from '../report.js';
import { FengariRunner } from '../runners/fengari.js';
import { JsColdRunner } from '../runners/js-cold.js';
import { JsWarmRunner } from '../runners/js.js';
import { LUA, NativeRunner, PYTHON } from '../runners/native.js';
import { QuickJsRunner } from '../runners/quickjs.js';
import type { PeerId, PeerRunner } from '../runners/runner.js';
import { measureGuest, TICK } from '../runners/typevisor.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { geomean, median } from '../stats.js';
import { BENCHMARKS, sized, type Benchmark } from '../suite.js';
import type { RunPlan } from '../timing.js';

/** Warm-up before timing, in seconds of running (at least one run). */
const WARMUP_SECONDS = 0.5;
/** Timed runs a slow peer gets whatever its budget says (fewer only if --runs is lower). */
const PEER_MIN_RUNS = 3;

/** Every peer, in column order; --peers picks by group. */
function makeRunners(options: BenchOptions): PeerRunner[] {
  const all: PeerRunner[] = [new JsColdRunner(), new JsWarmRunner(), new FengariRunner(), new QuickJsRunner(), new NativeRunner(LUA), new NativeRunner(PYTHON)];
  return all.filter((r) => options.peers.includes(r.group));
}

export function runPlan(options: BenchOptions): RunPlan {
  if (options.quick) return { runs: 1, warmupSeconds: 0, budgetSeconds: Number.POSITIVE_INFINITY, minRuns: 1 };
  return { runs: options.runs, warmupSeconds: WARMUP_SECONDS, budgetSeconds: options.budget, minRuns: Math.min(PEER_MIN_RUNS, options.runs) };
}

const wrong = (printed: string, expected: string): string => `printed ${JSON.stringify(printed)}, expected ${JSON.stringify(expected)}`;

function measureTypevisor(bench: Benchmark, options: BenchOptions, plan: RunPlan): TypevisorCell {
  const size = sized(bench, options.size);
  try {
    const t = measureGuest(bench, size, plan);
    if (t.output !== size.expected) return { kind: 'failed', reason: wrong(t.output, size.expected) };
    const seconds = median(t.times);
    return { kind: 'ok', seconds, times: t.times, instructions: t.instructions, mips: t.instructions / seconds / 1e6, ticks: t.ticks };
  } catch (err) {
    if (err instanceof BenchError) return { kind: 'failed', reason: err.message };
    throw err;
  }
}

async function measurePeer(runner: PeerRunner, bench: Benchmark, options: BenchOptions, plan: RunPlan, own: TypevisorCell): Promise<PeerCell> {
  const size = sized(bench, options.size);
  try {
    const t = await runner.measure(bench, size, plan);
    if (t.output !== size.expected) return { kind: 'failed', reason: wrong(t.output, size.expected) };
    const seconds = median(t.times);
    return { kind: 'ok', seconds, times: t.times, ratio: own.kind === 'ok' && seconds > 0 ? own.seconds / seconds : null };
  } catch (err) {
    if (err instanceof BenchError) return { kind: 'failed', reason: err.message };
    throw err;
  }
}

async function runSuite(ctx: SectionContext): Promise<InterpreterOutcome> {
  const options = ctx.options;
  const plan = runPlan(options);
  const runners = makeRunners(options);
  const peers: PeerStatus[] = [];
  for (const r of runners) {
    ctx.progress(`starting ${r.label}`);
    const a = await r.prepare();
    peers.push(a.ok ? { id: r.id, label: r.label, available: true, version: a.version } : { id: r.id, label: r.label, available: false, reason: a.reason });
  }
  try {
    const rows: BenchRow[] = [];
    for (const bench of BENCHMARKS.filter((b) => options.only.includes(b.name))) {
      ctx.progress(`${bench.name}: typevisor`);
      const own = measureTypevisor(bench, options, plan);
      const cells: Partial<Record<PeerId, PeerCell>> = {};
      for (const [i, r] of runners.entries()) {
        const status = peers[i]!;
        if (!status.available) {
          cells[r.id] = { kind: 'skipped', reason: status.reason ?? 'not available' };
          continue;
        }
        ctx.progress(`${bench.name}: ${r.label}`);
        cells[r.id] = await measurePeer(r, bench, options, plan, own);
      }
      rows.push({ name: bench.name, params: sized(bench, options.size).params, expected: sized(bench, options.size).expected, typevisor: own, peers: cells });
    }
    const means: Partial<Record<PeerId, number | null>> = {};
    for (const p of peers) {
      if (!p.available) continue;
      const ratios = rows.flatMap((row) => {
        const c = row.peers[p.id];
        return c?.kind === 'ok' && c.ratio !== null ? [c.ratio] : [];
      });
      means[p.id] = ratios.length > 0 ? geomean(ratios) : null;
    }
    const { budgetSeconds, ...rest } = plan;
    return {
      tier: options.tier,
      size: options.size,
      tick: TICK,
      plan: { ...rest, budgetSeconds: Number.isFinite(budgetSeconds) ? budgetSeconds : null },
      peers,
      rows,
      geomean: means,
    };
  } finally {
    for (const r of runners) r.dispose();
  }
}

/** Enough of a saved outcome's shape to compare with (it was read back from disk). */
function isOutcome(x: unknown): x is InterpreterOutcome {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Partial<Record<keyof InterpreterOutcome, unknown>>;
  return typeof o.tier === 'string' && typeof o.size === 'string' && Array.isArray(o.rows) &&
    o.rows.every((r: unknown) => typeof r === 'object' && r !== null && typeof (r as BenchRow).name === 'string' && typeof (r as BenchRow).typevisor === 'object');
}

export const interpreterSection: BenchSection = {
  name: 'interpreter',
  title: 'interpreter hot loop: typevisor against its peers',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const outcome = await runSuite(ctx);
    const failed = outcome.rows.some((r) => r.typevisor.kind === 'failed' || Object.values(r.peers).some((c) => c.kind === 'failed'));
    return { data: outcome, text: renderInterpreter(outcome, ctx.paint), failed };
  },

  compare(previous: unknown, current: unknown, paint: ChalkInstance): Comparison | undefined {
    if (!isOutcome(previous) || !isOutcome(current)) return undefined;
    if (previous.size !== current.size || previous.tier !== current.tier) return undefined;
    const changes = compareInterpreter(previous, current);
    return { lines: renderChanges(changes, paint), changes };
  },
};
