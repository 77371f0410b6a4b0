/**
 * The two benchmark tables — the loops and the real programs — are two
 * sections built here: each benchmark of the family as a guest program in the
 * process VM, timed against the same algorithm in plain JS (cold and warm),
 * the same guest image on a bare switch loop (the ceiling of the approach),
 * fengari, QuickJS, and native Lua 5.4 and CPython when installed. Every
 * implementation must print the expected checksum, or its cell is a failure.
 */
import type { ChalkInstance } from 'chalk';
import { BenchError } from '../bench-error.js';
import type { BenchOptions } from '../options.js';
import type { Tier } from '../../vm/machine.js';
import type { BenchRow, InterpreterOutcome, PeerCell, PeerStatus, TypevisorCell } from '../outcome.js';
import { compareInterpreter, renderChanges, renderInterpreter } from '../bench-report.js';
import { bareSwitchPeer } from '../runners/bare-switch.js';
import { wasmSwitchPeer } from '../runners/wasm-switch.js';
import { FengariRunner } from '../runners/fengari.js';
import { JsColdRunner } from '../runners/js-cold.js';
import { JsWarmRunner } from '../runners/js.js';
import { LUA, NativeRunner, PYTHON } from '../runners/native.js';
import { QuickJsRunner } from '../runners/quickjs.js';
import type { PeerId, PeerRunner } from '../runners/runner.js';
import { jsLoopPeer, measureGuest, TICK } from '../runners/typevisor.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { geomean, median } from '../stats.js';
import { BENCHMARKS, sized, type Benchmark, type Family } from '../suite.js';
import { WARMUP_SECONDS, type RunPlan } from '../timing.js';

/** Timed runs a slow peer gets whatever its budget says (fewer only if --runs is lower). */
const PEER_MIN_RUNS = 3;

/** Every peer, in column order; --peers picks by group. */
function makeRunners(options: BenchOptions): PeerRunner[] {
  const all: PeerRunner[] = [new JsColdRunner(), new JsWarmRunner(), jsLoopPeer(), bareSwitchPeer(), wasmSwitchPeer(), new FengariRunner(), new QuickJsRunner(), new NativeRunner(LUA), new NativeRunner(PYTHON)];
  return all.filter((r) => options.peers.includes(r.group));
}

export function runPlan(options: BenchOptions): RunPlan {
  if (options.quick) return { runs: 1, warmupSeconds: 0, budgetSeconds: Number.POSITIVE_INFINITY, minRuns: 1 };
  return { runs: options.runs, warmupSeconds: WARMUP_SECONDS, budgetSeconds: options.budget, minRuns: Math.min(PEER_MIN_RUNS, options.runs) };
}

const wrong = (printed: string, expected: string): string => `printed ${JSON.stringify(printed)}, expected ${JSON.stringify(expected)}`;

function measureTypevisor(bench: Benchmark, options: BenchOptions, plan: RunPlan, tier: Tier): TypevisorCell {
  const size = sized(bench, options.size);
  try {
    const t = measureGuest(bench, size, plan, tier);
    if (t.output !== size.expected) return { kind: 'failed', reason: wrong(t.output, size.expected) };
    const seconds = median(t.times);
    return { kind: 'ok', seconds, times: t.times, instructions: t.instructions, mips: t.instructions / seconds / 1e6, ticks: t.ticks };
  } catch (err) {
    if (err instanceof BenchError) return { kind: 'failed', reason: err.message };
    throw err;
  }
}

async function measurePeer(runner: PeerRunner, bench: Benchmark, options: BenchOptions, plan: RunPlan): Promise<PeerCell> {
  const size = sized(bench, options.size);
  try {
    const t = await runner.measure(bench, size, plan);
    if (t.output !== size.expected) return { kind: 'failed', reason: wrong(t.output, size.expected) };
    const seconds = median(t.times);
    return { kind: 'ok', seconds, times: t.times, ratio: null };
  } catch (err) {
    if (err instanceof BenchError) return { kind: 'failed', reason: err.message };
    throw err;
  }
}

/** A peer's cell with its ratio against typevisor's time for one tier. */
function against(cell: PeerCell, own: TypevisorCell): PeerCell {
  if (cell.kind !== 'ok') return cell;
  return { ...cell, ratio: own.kind === 'ok' && cell.seconds > 0 ? own.seconds / cell.seconds : null };
}

/** Every tier asked for, each against the same peer runs (peers are measured once). */
async function runSuite(ctx: SectionContext, family: Family): Promise<InterpreterOutcome[]> {
  const options = ctx.options;
  const chosen = BENCHMARKS.filter((b) => b.family === family && options.only.includes(b.name));
  if (chosen.length === 0) return [];
  const plan = runPlan(options);
  const runners = makeRunners(options);
  const peers: PeerStatus[] = [];
  for (const r of runners) {
    ctx.progress(`starting ${r.label}`);
    const a = await r.prepare();
    peers.push(a.ok ? { id: r.id, label: r.label, available: true, version: a.version } : { id: r.id, label: r.label, available: false, reason: a.reason });
  }
  try {
    const rowsByTier = new Map<Tier, BenchRow[]>(options.tiers.map((t) => [t, []]));
    for (const bench of chosen) {
      const own = new Map<Tier, TypevisorCell>();
      for (const tier of options.tiers) {
        ctx.progress(`${bench.name}: typevisor (${tier})`);
        own.set(tier, measureTypevisor(bench, options, plan, tier));
      }
      const cells: Partial<Record<PeerId, PeerCell>> = {};
      for (const [i, r] of runners.entries()) {
        const status = peers[i]!;
        if (!status.available) {
          cells[r.id] = { kind: 'skipped', reason: status.reason ?? 'not available' };
          continue;
        }
        ctx.progress(`${bench.name}: ${r.label}`);
        cells[r.id] = await measurePeer(r, bench, options, plan);
      }
      for (const tier of options.tiers) {
        const mine = own.get(tier)!;
        const rel: Partial<Record<PeerId, PeerCell>> = {};
        for (const [id, c] of Object.entries(cells) as [PeerId, PeerCell][]) rel[id] = against(c, mine);
        rowsByTier.get(tier)!.push({ name: bench.name, params: sized(bench, options.size).params, expected: sized(bench, options.size).expected, typevisor: mine, peers: rel });
      }
    }
    const { budgetSeconds, ...rest } = plan;
    return options.tiers.map((tier) => {
      const rows = rowsByTier.get(tier)!;
      const means: Partial<Record<PeerId, number | null>> = {};
      for (const p of peers) {
        if (!p.available) continue;
        const ratios = rows.flatMap((row) => {
          const c = row.peers[p.id];
          return c?.kind === 'ok' && c.ratio !== null ? [c.ratio] : [];
        });
        means[p.id] = ratios.length > 0 ? geomean(ratios) : null;
      }
      return {
        tier,
        size: options.size,
        tick: TICK,
        plan: { ...rest, budgetSeconds: Number.isFinite(budgetSeconds) ? budgetSeconds : null },
        peers,
        rows,
        geomean: means,
      };
    });
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

/** A section running one family's table for every tier asked for. */
function familySection(family: Family, name: string, title: string): BenchSection {
  return {
    name,
    title,

    async run(ctx: SectionContext): Promise<SectionRun> {
      const outcomes = await runSuite(ctx, family);
      if (outcomes.length === 0) return { data: { tiers: [] }, text: ctx.paint.dim(`no ${family} benchmark chosen (--only)`), failed: false };
      const failed = outcomes.some((o) => o.rows.some((r) => r.typevisor.kind === 'failed' || Object.values(r.peers).some((c) => c.kind === 'failed')));
      return { data: { tiers: outcomes }, text: outcomes.map((o) => renderInterpreter(o, ctx.paint)).join('\n'), failed };
    },

    compare(previous: unknown, current: unknown, paint: ChalkInstance): Comparison | undefined {
      const before = tiersOf(previous);
      const after = tiersOf(current);
      const changes = after.flatMap((cur) => {
        const old = before.find((b) => b.tier === cur.tier && b.size === cur.size);
        if (!old) return [];
        return compareInterpreter(old, cur).map((c) => (after.length > 1 ? { ...c, name: `${c.name} (${cur.tier})` } : c));
      });
      if (changes.length === 0) return undefined;
      return { lines: renderChanges(changes, paint), changes };
    },
  };
}

/** The loop family: the section is still called "interpreter", so saved runs compare across versions. */
export const interpreterSection = familySection('loops', 'interpreter', 'loops: typevisor against its peers');
/** The real-program family. */
export const programsSection = familySection('programs', 'programs', 'real programs: typevisor against its peers');

/** The per-tier outcomes of a saved run (older runs saved one outcome, not a list). */
function tiersOf(data: unknown): InterpreterOutcome[] {
  if (isOutcome(data)) return [data];
  const tiers = (data as { tiers?: unknown } | null)?.tiers;
  return Array.isArray(tiers) ? tiers.filter(isOutcome) : [];
}
