/**
 * The suite's results as text: the host line, the interpreter table, and the
 * comparison with an earlier run. Pure functions of the outcome data (and a
 * chalk instance, which is a no-op when colour is off).
 */
import type { ChalkInstance } from 'chalk';
import type { HostInfo } from './host.js';
import type { BenchRow, InterpreterOutcome, PeerCell, PeerStatus } from './outcome.js';
import { relativeChange } from './stats.js';
import { renderTable, type Column } from '../cli/table.js';

// ---- numbers ---------------------------------------------------------------

/** Three significant digits without an exponent: 412, 19.3, 1.23. */
function sig3(x: number): string {
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/** A duration: "412 ms", "1.23 s", "850 µs". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s >= 1) return `${sig3(s)} s`;
  if (s >= 1e-3) return `${sig3(s * 1e3)} ms`;
  return `${sig3(s * 1e6)} µs`;
}

/** A time ratio: "21.3×", "0.95×", "0.012×". */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '—';
  return `${r >= 0.1 ? sig3(r) : r.toPrecision(2)}×`;
}

/** A count with an SI suffix: "74.0 M", "12.3 k", "950". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${sig3(n / 1e9)} G`;
  if (n >= 1e6) return `${sig3(n / 1e6)} M`;
  if (n >= 1e3) return `${sig3(n / 1e3)} k`;
  return String(n);
}

/** A relative change with its sign: "−7.8%", "+8.4%", "±0.0%". */
export function formatChange(fraction: number): string {
  const pct = (fraction * 100).toFixed(1);
  if (pct === '0.0' || pct === '-0.0') return '±0.0%';
  return fraction < 0 ? `−${pct.slice(1)}%` : `+${pct}%`;
}

export const formatMips = (mips: number): string => mips.toFixed(mips >= 100 ? 0 : 1);

// ---- the host --------------------------------------------------------------

export function renderHost(host: HostInfo, paint: ChalkInstance): string {
  return `${paint.bold('machine:')} ${host.cpu} · ${host.cores} cores · node ${host.node} · ${host.platform} · load ${host.load.toFixed(2)}`;
}

// ---- the interpreter table -------------------------------------------------

function peerCells(cell: PeerCell | undefined, paint: ChalkInstance): [string, string] {
  if (cell === undefined || cell.kind === 'skipped') return [paint.dim('—'), ''];
  if (cell.kind === 'failed') return [paint.red('failed'), ''];
  const ratio = cell.ratio === null ? paint.dim('—') : cell.ratio <= 1 ? paint.green(formatRatio(cell.ratio)) : formatRatio(cell.ratio);
  return [formatSeconds(cell.seconds), ratio];
}

function row(r: BenchRow, peers: readonly PeerStatus[], paint: ChalkInstance): string[] {
  const tv = r.typevisor;
  const own = tv.kind === 'ok' ? [paint.cyan(formatSeconds(tv.seconds)), formatCount(tv.instructions), formatMips(tv.mips)] : [paint.red('failed'), '', ''];
  return [r.name, ...own, ...peers.flatMap((p) => peerCells(r.peers[p.id], paint))];
}

const runsNote = (o: InterpreterOutcome): string => {
  const p = o.plan;
  if (p.warmupSeconds === 0 && p.runs === 1) return 'one run each, no warm-up (--quick): a smoke test, not a measurement';
  const early = p.budgetSeconds === null ? '' : `; a peer stops early once its runs pass ${p.budgetSeconds} s (after ${p.minRuns}, or 1 if its warm-up alone took longer)`;
  return `median of ${p.runs} timed runs after ${p.warmupSeconds} s of warm-up${early}; JS cold: each run a fresh node`;
};

/** The table (one row per benchmark, a geometric-mean row; its tier in the heading, as the tiers print one table after another), then notes on what was skipped or failed. */
export function renderInterpreter(o: InterpreterOutcome, paint: ChalkInstance): string {
  const shown = o.peers.filter((p) => p.available);
  const columns: Column[] = [{ align: 'left' }, { align: 'right' }, { align: 'right' }, { align: 'right' }, ...shown.flatMap((): Column[] => [{ align: 'right' }, { align: 'right' }])];
  const head1 = ['', `typevisor, ${o.tier}`, '', '', ...shown.flatMap((p) => [p.label, ''])];
  const head2 = ['benchmark', 'time', 'instr.', 'MIPS', ...shown.flatMap(() => ['time', 'ratio'])];
  const body = o.rows.map((r) => row(r, shown, paint));
  const mean = ['geo. mean', '', '', '', ...shown.flatMap((p) => {
    const g = o.geomean[p.id];
    return ['', g === undefined || g === null ? paint.dim('—') : paint.bold(formatRatio(g))];
  })];
  const lines = renderTable(columns, [head1.map((h) => paint.bold(h)), head2.map((h) => paint.dim(h)), ...body, mean]);

  const notes: string[] = [
    `typevisor: tier ${o.tier}, process VM in user mode with paging on, a timer tick every ${o.tick} instructions${o.size === 'small' ? ', reduced sizes (--small)' : ''}`,
    ...(o.tier === 'jit' ? ['jit: each run a fresh machine; translations are compiled once per process and shared, so a timed run finds V8\'s code for them from the warm-up (a first run pays that warm-up)'] : []),
    runsNote(o),
    'ratio = typevisor time ÷ peer time: 1.23× means typevisor took 1.23 times as long',
    `versions: ${[...new Set(shown.map((p) => p.version ?? `${p.label} ?`))].join(' · ') || 'no peers'}`,
  ];
  for (const p of o.peers) if (!p.available) notes.push(paint.yellow(`skipped: ${p.reason ?? p.label}`));
  for (const r of o.rows) {
    if (r.typevisor.kind === 'failed') notes.push(paint.red(`${r.name}: typevisor failed: ${r.typevisor.reason}`));
    for (const p of shown) {
      const c = r.peers[p.id];
      if (c?.kind === 'failed') notes.push(paint.red(`${r.name}: ${p.label} failed: ${c.reason}`));
    }
  }
  return [...lines, '', ...notes].join('\n');
}

// ---- comparing with an earlier run ------------------------------------------

export interface Change {
  readonly name: string;
  readonly before: { readonly seconds: number; readonly mips: number } | null;
  readonly after: { readonly seconds: number; readonly mips: number };
  /** Relative change in time (negative: faster now); null when there is nothing before. */
  readonly time: number | null;
  readonly mips: number | null;
}

/** typevisor's time and MIPS per benchmark, now against before (benchmarks that ran now and did not fail). */
export function compareInterpreter(previous: InterpreterOutcome, current: InterpreterOutcome): Change[] {
  const changes: Change[] = [];
  for (const r of current.rows) {
    if (r.typevisor.kind !== 'ok') continue;
    const after = { seconds: r.typevisor.seconds, mips: r.typevisor.mips };
    const old = previous.rows.find((p) => p.name === r.name)?.typevisor;
    const before = old?.kind === 'ok' ? { seconds: old.seconds, mips: old.mips } : null;
    changes.push({
      name: r.name,
      before,
      after,
      time: before === null ? null : relativeChange(before.seconds, after.seconds),
      mips: before === null ? null : relativeChange(before.mips, after.mips),
    });
  }
  return changes;
}

/** One line per benchmark: `fib  0.412 s → 0.380 s (−7.8%)  MIPS 180 → 195 (+8.4%)`. */
export function renderChanges(changes: readonly Change[], paint: ChalkInstance): string[] {
  const rows = changes.map((c) => {
    if (c.before === null || c.time === null || c.mips === null) return [c.name, paint.dim('not in the previous run')];
    const timeColor = c.time < 0 ? paint.green : c.time > 0 ? paint.red : paint.reset;
    return [
      c.name,
      `${formatSeconds(c.before.seconds)} → ${formatSeconds(c.after.seconds)}`,
      timeColor(`(${formatChange(c.time)})`),
      `MIPS ${formatMips(c.before.mips)} → ${formatMips(c.after.mips)}`,
      `(${formatChange(c.mips)})`,
    ];
  });
  return renderTable([{ align: 'left' }, { align: 'right' }, { align: 'left' }, { align: 'left' }, { align: 'left' }], rows);
}

/**
 * A section's table as the sections print it: a bold title (and any lines
 * under it), a blank line, the header row in bold, the rows, then dim notes.
 * The first `leftColumns` columns are labels, aligned left; the rest are
 * figures, aligned right.
 */
export function renderTitledTable(paint: ChalkInstance, title: readonly string[], rows: readonly (readonly string[])[], leftColumns: number, notes: readonly string[] = []): string[] {
  const lines = renderTable(rows[0]!.map((_, i) => ({ align: i < leftColumns ? ('left' as const) : ('right' as const) })), rows);
  return [paint.bold(title[0]!), ...title.slice(1), '', paint.bold(lines[0]!), ...lines.slice(1), ...notes.map((n) => paint.dim(n))];
}
