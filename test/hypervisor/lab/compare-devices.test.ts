/**
 * The comparison's rows for workloads with a device (hypervisor/lab/compare.ts):
 * a disk's bytes and sectors on rows of their own (the report's totals hold
 * them too), its rounds and its share of the downtime, the connections
 * relayed, and what the echo client saw — a client that got its bytes back out
 * of order shows NO, a run that failed its check WRONG.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { comparisonRows, type Comparison, type EchoSeen, type StrategyRun } from '../../../hypervisor/lab/compare.js';
import { renderHtml } from '../../../hypervisor/lab/html-report.js';
import type { DiskReport, MigrationReport } from '../../../hypervisor/migration/migration-report.js';

function report(strategy: string, bytesSent: number, extra: Partial<MigrationReport> = {}): MigrationReport {
  return {
    memBytes: 2 ** 21, totalMs: 10, clock: 'wall', rounds: [], postcopy: null, outcome: 'completed', strategy, finishedAs: strategy, downtimeMs: 2,
    downtime: { finalCopyMs: 1, stateMs: 0.5, resumeMs: 0.5 }, bytesSent, pagesSent: 512, zeroPages: 0, pagesResent: 0, converged: null, stopRule: null,
    stopReason: null, bandwidth: 1e8, dirtyRate: 0, progress: { beforeMips: null, duringMips: null, afterMips: null }, options: { onStall: 'cancel' },
    timeline: [], phases: [], ...extra,
  } as unknown as MigrationReport;
}

const round = (i: number, sectors: number, paused: boolean) => ({ round: i, sectors, bytes: sectors * 512, durationMs: 1, written: 0, paused });
const disk = (bytesSent: number, pausedMs: number): DiskReport => ({
  mode: 'copy', kind: 'file', diskBytes: 2 ** 20, bytesSent, sectorsSent: bytesSent / 512, zeroSectors: 0, rounds: [round(0, bytesSent / 512 - 8, false), round(1, 8, true)],
  pausedSectors: 8, pausedMs, fetched: 0, pushed: 0, readStalls: 0, stallMs: 0,
});

const comparison = (runs: StrategyRun[]): Comparison => ({ mode: 'real', workload: 'disk-writer', params: {}, memSize: 2 ** 21, link: { bandwidth: 1e9, latencyMs: 0 }, at: 0, runs });
const cells = (rows: string[][], label: string): string[] | undefined => rows.find((r) => r[0] === label)?.slice(1);

describe('comparisonRows with devices', () => {
  test('disk bytes, sectors and rounds are their own rows, with the disk\'s share of the downtime', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 0, max: 2 ** 22 }), fc.double({ min: 0.5, max: 500, noNaN: true }), (sectors, memBytes, down) => {
        const rows = comparisonRows(comparison([{ strategy: 'pre-copy', report: report('pre-copy', memBytes, { disk: disk(sectors * 512 + 8 * 512, down) }), verified: true, verdict: '' }]));
        const fmt = (n: number): string => (n < 1024 ? `${n} B` : n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);
        expect(cells(rows, '  sectors sent')).toEqual([String(sectors + 8)]);
        expect(cells(rows, '  disk rounds')).toEqual([`${sectors} 8*`]);
        expect(cells(rows, '  disk bytes sent')).toEqual([fmt((sectors + 8) * 512)]);
        expect(Number(cells(rows, "  disk's share of downtime (ms)")![0])).toBeCloseTo(down, 0);
        expect(cells(rows, 'checked')).toEqual(['ok']);
      }),
    );
  });

  test('a run without a disk beside one with shows —; no disk anywhere, no disk rows', () => {
    const rows = comparisonRows(comparison([
      { strategy: 'pre-copy', report: report('pre-copy', 100, { disk: disk(4096, 3) }), verified: true, verdict: '' },
      { strategy: 'post-copy', report: report('post-copy', 100), verified: false, verdict: 'disk differs' },
    ]));
    expect(cells(rows, '  disk bytes sent')).toEqual(['4.0 KiB', '—']);
    expect(cells(rows, 'checked')).toEqual(['ok', 'WRONG']);
    expect(cells(comparisonRows(comparison([{ strategy: 'hybrid', report: report('hybrid', 1), verified: null, verdict: '' }])), 'disk')).toBeUndefined();
  });

  test('the echo client\'s view and the relayed connections', () => {
    const seen = (inOrder: boolean): EchoSeen => ({ bytesSent: 3000, bytesEchoed: inOrder ? 3000 : 2990, inOrder, lines: 200, maxStallMs: 40.25, roundTrip: { p50Ms: 1.5, p99Ms: 30, maxMs: 40 } });
    const rows = comparisonRows(comparison([
      { strategy: 'post-copy', report: report('post-copy', 1, { network: { relayedConnections: 1, listen: '127.0.0.1:7000' } }), verified: true, verdict: '', echo: seen(true) },
      { strategy: 'hybrid', report: report('hybrid', 1, { network: { relayedConnections: 1, listen: '127.0.0.1:7000' } }), verified: false, verdict: '', echo: seen(false) },
    ]));
    expect(cells(rows, 'connections relayed')).toEqual(['1', '1']);
    expect(cells(rows, 'echoed / sent')).toEqual(['2.9 KiB / 2.9 KiB', '2.9 KiB / 2.9 KiB']);
    expect(cells(rows, '  in order, once')).toEqual(['yes', 'NO']);
    expect(cells(rows, '  longest stall (ms)')).toEqual(['40.3', '40.3']);
    expect(cells(rows, '  round trip p50 (ms)')).toEqual(['1.500', '1.500']);
    expect(cells(rows, 'checked')).toEqual(['ok', 'WRONG']);
  });
});

describe('the HTML report with a disk', () => {
  test('a chart of the disk\'s rounds, the disk\'s bytes beside the memory\'s in the bytes bars', () => {
    // bytesSent holds both: 1 MiB of memory and 32 KiB of disk.
    const withDisk = report('pre-copy', 2 ** 20 + 64 * 512, { disk: disk(64 * 512, 0.5) });
    const page = renderHtml(comparison([{ strategy: 'pre-copy', report: withDisk, verified: true, verdict: '' }]));
    expect(page.match(/<svg /g)?.length).toBe(5);
    expect(page).toContain('Disk sectors per round');
    expect(page).toContain('<title>pre-copy disk round 0: 56 sectors</title>');
    expect(page).toContain('<title>pre-copy disk round 1: 8 sectors (guest paused)</title>');
    expect(page).toContain('<title>pre-copy memory: 1.0</title>');
    expect(page).toContain('<title>pre-copy disk: 0.031</title>');
    // Without a disk: the four charts as before, no disk legend.
    const plain = renderHtml(comparison([{ strategy: 'pre-copy', report: report('pre-copy', 2 ** 20), verified: true, verdict: '' }]));
    expect(plain.match(/<svg /g)?.length).toBe(4);
    expect(plain).not.toContain('Disk sectors per round');
  });
});
