/** The HTML report's charts are legible: value labels clear of the title, a time axis with ticks to read. */
import { describe, expect, test } from 'vitest';
import type { Comparison } from '../../../hypervisor/lab/compare.js';
import { renderHtml } from '../../../hypervisor/lab/html-report.js';
import type { MigrationReport } from '../../../hypervisor/migration/migration-report.js';

function report(strategy: string, totalMs: number, bytesSent: number, times = [0, 4, 8, 12, 15]): MigrationReport {
  return {
    memBytes: 16 * 2 ** 20, totalMs, clock: 'virtual', rounds: [{ round: 0, pages: 4096, dirtied: 10, durationMs: 10, paused: false, bytes: bytesSent }], postcopy: null,
    outcome: 'completed', strategy, finishedAs: strategy, downtimeMs: 1, downtime: { finalCopyMs: 0.5, stateMs: 0.3, resumeMs: 0.2 }, bytesSent, pagesSent: 4096,
    zeroPages: 0, pagesResent: 0, converged: null, stopRule: null, stopReason: null, bandwidth: 1e9, dirtyRate: 0,
    progress: { beforeMips: 100, duringMips: null, afterMips: 100 }, options: { onStall: 'cancel' },
    timeline: times.map((t) => ({ atMs: t, guestMs: t, side: 'source' as const })), phases: [],
  } as unknown as MigrationReport;
}

const c: Comparison = {
  mode: 'simulated', workload: 'writes', params: {}, memSize: 16 * 2 ** 20, link: { bandwidth: 1e9, latencyMs: 0.1 }, at: 0,
  // 15 MiB exactly: the tallest bar on a round tick, where its label met the title.
  runs: [{ strategy: 'stop-and-copy', report: report('stop-and-copy', 15.2, 15 * 2 ** 20), verified: null, verdict: '' }],
} as unknown as Comparison;

/** Each <svg> of the page. */
const charts = (html: string): string[] => [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);

describe('the HTML report', () => {
  test('no text inside a chart sits over its title', () => {
    for (const svg of charts(renderHtml(c))) {
      const ys = [...svg.matchAll(/<text x="[^"]*" y="([\d.]+)"/g)].map((m) => Number(m[1]));
      const [title, ...rest] = ys;
      expect(title).toBe(16);
      // The title's 13px text spans y 3..19: every other label baseline keeps clear below it.
      for (const y of rest) expect(y).toBeGreaterThan(28);
    }
  });

  test("the progress chart's time axis has at least three ticks", () => {
    // Times up to just under a round step (10): cut to the data, the ticks were 0 and 5 alone.
    const short = { ...c, runs: [{ ...c.runs[0]!, report: report('stop-and-copy', 9.9, 2 ** 20, [0, 3, 6, 9.9]) }] } as Comparison;
    const progress = charts(renderHtml(short)).find((s) => s.includes('Guest progress over time'))!;
    const ticks = [...progress.matchAll(/<text x="[\d.]+" y="232" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
  });

  test('a flat line is explained as paused or finished, not only "not running"', () => {
    const progress = charts(renderHtml(c)).find((s) => s.includes('Guest progress over time'))!;
    expect(progress).toContain('flat = the guest is not running (paused, or finished)');
  });
});
