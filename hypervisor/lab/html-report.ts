/**
 * The comparison as one self-contained HTML file: inline SVG charts (pages
 * per round, downtime and its parts, the guest's progress over time, bytes
 * sent) and the table — no scripts, no external files; it opens from disk.
 */
import { comparisonNotes, comparisonRows, describeComparison, type Comparison } from './compare.js';
import { timeUnit } from '../migration/migration-report.js';

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
/** Lines that coincide (pre-copy and hybrid often do until the switchover) stay visible. */
const DASHES = ['none', '7 3', '2 2', '10 3 2 3', '4 4', '1 3'];
const W = 640;
const H = 260;
const PAD = { left: 64, right: 16, top: 28, bottom: 44 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(3));

/** Round numbers for an axis from 0 to at least max. */
function ticks(max: number): number[] {
  return ticksIn(0, max);
}

/** Round numbers covering [lo, hi]: from the last one at or below lo to the first at or above hi. */
function ticksIn(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo, lo + 1];
  const step0 = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v < hi + step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function frame(title: string, yLabel: string, yTicks: number[], y: (v: number) => number, body: string, xAxis: string): string {
  const grid = yTicks
    .map((t) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${num(t)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>
<text transform="translate(14 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
${grid}${body}${xAxis}
</svg>`;
}

interface Bar {
  readonly label: string;
  /** Stacked parts: [value, color, name]. */
  readonly parts: readonly (readonly [number, string, string])[];
}

function barChart(title: string, yLabel: string, bars: readonly Bar[]): string {
  const max = Math.max(...bars.map((b) => b.parts.reduce((n, p) => n + p[0], 0)), 0);
  // Headroom above the tallest bar for its value label, which would otherwise run into the title.
  const yt = ticks(max * 1.15);
  const top = yt[yt.length - 1]!;
  const y = (v: number): number => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / top;
  const slot = (W - PAD.left - PAD.right) / Math.max(1, bars.length);
  const body = bars
    .map((b, i) => {
      let base = 0;
      const x = PAD.left + i * slot + slot * 0.2;
      const rects = b.parts
        .map(([v, color, name]) => {
          const r = `<rect x="${x}" y="${y(base + v)}" width="${slot * 0.6}" height="${Math.max(0, y(base) - y(base + v))}" fill="${color}"><title>${esc(`${b.label} ${name}: ${num(v)}`)}</title></rect>`;
          base += v;
          return r;
        })
        .join('');
      return `${rects}<text x="${x + slot * 0.3}" y="${y(base) - 4}" text-anchor="middle">${num(base)}</text><text x="${x + slot * 0.3}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(b.label)}</text>`;
    })
    .join('');
  return frame(title, yLabel, yt, y, body, '');
}

function legend(items: readonly (readonly [string, string])[], x: number, y: number): string {
  return items.map(([name, color], i) => `<rect x="${x}" y="${y + i * 14 - 9}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${y + i * 14}">${esc(name)}</text>`).join('');
}

/** Sectors per round of a disk copy, one bar group per round (none: no run copied a disk). */
function diskRoundsChart(c: Comparison): string {
  const runs = c.runs.filter((r) => (r.report.disk?.rounds.length ?? 0) > 0);
  if (runs.length === 0) return '';
  const bars = runs.map((r) => r.report.disk!.rounds);
  const maxRounds = Math.max(...bars.map((b) => b.length));
  const yt = ticks(Math.max(1, ...bars.flat().map((x) => x.sectors)));
  const top = yt[yt.length - 1]!;
  const y = (v: number): number => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / top;
  const group = (W - PAD.left - PAD.right) / maxRounds;
  const bw = (group * 0.8) / runs.length;
  const body = runs
    .map((r, s) => {
      const color = COLORS[c.runs.indexOf(r) % COLORS.length]!;
      const rounds = r.report.disk!.rounds;
      return rounds
        .map((x, i) => {
          const n = x.sectors;
          const paused = x.paused;
          const left = PAD.left + i * group + group * 0.1 + s * bw;
          return `<rect x="${left}" y="${y(n)}" width="${bw}" height="${y(0) - y(n)}" fill="${color}" ${paused ? 'stroke="#000" stroke-dasharray="3 2"' : ''}><title>${esc(`${r.strategy} disk round ${i}: ${n} sectors${paused ? ' (guest paused)' : ''}`)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const xAxis = Array.from({ length: maxRounds }, (_, i) => `<text x="${PAD.left + i * group + group / 2}" y="${H - PAD.bottom + 16}" text-anchor="middle">${i}</text>`).join('') + `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">disk round (dashed: sent with the guest paused)</text>`;
  const leg = legend(runs.map((r) => [r.strategy, COLORS[c.runs.indexOf(r) % COLORS.length]!] as const), W - PAD.right - 110, PAD.top + 8);
  return frame('Disk sectors per round', 'sectors', yt, y, body + leg, xAxis);
}

function roundsChart(c: Comparison): string {
  const runs = c.runs.filter((r) => r.report.rounds.length > 0);
  const maxRounds = Math.max(1, ...runs.map((r) => r.report.rounds.length));
  const max = Math.max(1, ...runs.flatMap((r) => r.report.rounds.map((x) => x.pages)));
  const yt = ticks(max);
  const top = yt[yt.length - 1]!;
  const y = (v: number): number => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / top;
  const group = (W - PAD.left - PAD.right) / maxRounds;
  const bw = (group * 0.8) / Math.max(1, runs.length);
  const body = runs
    .map((r, s) =>
      r.report.rounds
        .map((x, i) => {
          const left = PAD.left + i * group + group * 0.1 + s * bw;
          const color = COLORS[c.runs.indexOf(r) % COLORS.length]!;
          return `<rect x="${left}" y="${y(x.pages)}" width="${bw}" height="${y(0) - y(x.pages)}" fill="${color}" ${x.paused ? 'stroke="#000" stroke-dasharray="3 2"' : ''}><title>${esc(`${r.strategy} round ${x.round}: ${x.pages} pages${x.paused ? ' (guest paused)' : ''}, ${x.dirtied} dirtied meanwhile`)}</title></rect>`;
        })
        .join(''),
    )
    .join('');
  const xAxis = Array.from({ length: maxRounds }, (_, i) => `<text x="${PAD.left + i * group + group / 2}" y="${H - PAD.bottom + 16}" text-anchor="middle">${i}</text>`).join('') + `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">round (dashed: sent with the guest paused)</text>`;
  const leg = legend(runs.map((r) => [r.strategy, COLORS[c.runs.indexOf(r) % COLORS.length]!] as const), W - PAD.right - 110, PAD.top + 8);
  return frame('Pages per round', 'pages', yt, y, body + leg, xAxis);
}

function progressChart(c: Comparison, unit: string): string {
  const series = c.runs.map((r, i) => ({ name: r.strategy, color: COLORS[i % COLORS.length]!, points: [...r.report.timeline].sort((a, b) => a.atMs - b.atMs) }));
  const xs = series.flatMap((s) => s.points.map((p) => p.atMs));
  const ys = series.flatMap((s) => s.points.map((p) => p.guestMs));
  // The axis spans its round ticks (as the y axis does), so it always has several: cutting the
  // ticks to the data instead left as few as two.
  const xt = ticksIn(Math.min(0, ...xs), Math.max(1e-9, ...xs));
  const x0 = xt[0]!;
  const x1 = xt[xt.length - 1]!;
  const yt = ticksIn(Math.min(...ys), Math.max(...ys));
  const y0 = yt[0]!;
  const y1 = yt[yt.length - 1]!;
  const y = (v: number): number => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * (v - y0)) / (y1 - y0);
  const x = (v: number): number => PAD.left + ((W - PAD.left - PAD.right) * (v - x0)) / (x1 - x0);
  const body = series
    .map((s, i) => `<polyline fill="none" stroke="${s.color}" stroke-width="${2.5 - i * 0.4}" stroke-dasharray="${DASHES[i % DASHES.length]}" points="${s.points.map((p) => `${x(p.atMs).toFixed(1)},${y(p.guestMs).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`)
    .join('');
  const xAxis = xt.map((t) => `<text x="${x(t)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${num(t)}</text>`).join('') + `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">time since the migration started (${esc(unit)}); flat = the guest is not running (paused, or finished)</text>`;
  return frame('Guest progress over time', `guest time (ms at 100 MIPS)`, yt, y, body + legend(series.map((s) => [s.name, s.color] as const), PAD.left + 10, PAD.top + 8), xAxis);
}

export function renderHtml(c: Comparison): string {
  const unit = timeUnit(c.runs[0]?.report ?? { clock: 'virtual' });
  const downtime = barChart(
    `Downtime (${unit})`,
    unit,
    c.runs.map((r) => ({
      label: r.strategy,
      parts: [
        [r.report.downtime?.finalCopyMs ?? 0, '#e15759', 'final copy'],
        [r.report.downtime?.stateMs ?? 0, '#4e79a7', 'state'],
        [r.report.downtime?.resumeMs ?? 0, '#59a14f', 'resume'],
      ],
    })),
  );
  const downLegend = `<p class="legend"><span style="color:#e15759">■</span> final copy (dirty pages, guest stopped) <span style="color:#4e79a7">■</span> state (CPU and devices) <span style="color:#59a14f">■</span> resume (GO to the first instruction)</p>`;
  const bytes = barChart(
    'Bytes sent (MiB)',
    'MiB',
    // A disk copied with the guest is its own part of the bar: counted apart from memory, as the report does.
    c.runs.map((r) => ({
      label: r.strategy,
      // The report's bytesSent holds the disk's sectors too: memory is the rest.
      parts: [[(r.report.bytesSent - (r.report.disk?.bytesSent ?? 0)) / 1024 / 1024, '#76b7b2', 'memory'], ...(r.report.disk ? [[r.report.disk.bytesSent / 1024 / 1024, '#edc948', 'disk'] as const] : [])],
    })),
  );
  const bytesLegend = c.runs.some((r) => r.report.disk) ? `<p class="legend"><span style="color:#76b7b2">■</span> memory and state <span style="color:#edc948">■</span> disk sectors</p>` : '';
  const rows = comparisonRows(c);
  const table = `<table><thead><tr>${rows[0]!.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((v, i) => (i === 0 ? `<th>${esc(v)}</th>` : `<td>${esc(v)}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const verdicts = c.runs.map((r) => `<li><b>${esc(r.strategy)}</b>: ${esc(r.verdict)}${r.report.reason ? ` — ${esc(r.report.reason)}` : ''}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>typevisor migrate-compare: ${esc(c.workload)}</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 1320px; color: #222 }
h1 { font-size: 1.4em } .charts { display: flex; flex-wrap: wrap; gap: 12px }
table { border-collapse: collapse; margin: 1em 0 } th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right }
tbody th { text-align: left; font-weight: normal } .legend, .notes { font-size: 0.9em; color: #555 }
</style></head><body>
<h1>Live migration: ${esc(c.runs.map((r) => r.strategy).join(', '))}</h1>
<p>${esc(describeComparison(c))}</p>
<div class="charts">
${roundsChart(c)}
${diskRoundsChart(c)}<div>${downtime}${downLegend}</div>
${progressChart(c, unit)}
<div>${bytes}${bytesLegend}</div>
</div>
<h2>Side by side</h2>
${table}
<ul>${verdicts}</ul>
<ul class="notes">${comparisonNotes(c).map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
</body></html>
`;
}
