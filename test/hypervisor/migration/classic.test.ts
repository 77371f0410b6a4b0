/**
 * The classic results, reproduced on the simulated link and asserted on the
 * report's numbers (virtual time: the same on every run).
 */
import { describe, expect, test } from 'vitest';
import type { MigrationOptions, StrategyName } from '../../../hypervisor/migration/options.js';
import type { MigrationReport } from '../../../hypervisor/migration/migration-report.js';
import { simulateMigration } from '../../../hypervisor/lab/simulate.js';
import { FAST, image, MiB } from './helpers.js';

async function report(name: 'writes' | 'cpu', params: Record<string, number>, memSize: number, strategy: StrategyName, link = FAST, options: Partial<MigrationOptions> = {}) {
  const r = await simulateMigration({ image: image(name, params), memSize, link, strategy, at: 200_000, options, runToEnd: false });
  return r;
}

describe('pre-copy against stop-and-copy', () => {
  // a small working set in 16 MiB of resident data
  const SMALL_WSS = { WS_PAGES: 64, WRITES: 3_000_000, SPIN: 20 };

  test('pre-copy stops the guest for a small fraction of stop-and-copy\'s downtime', async () => {
    const stop = (await report('writes', SMALL_WSS, 16 * MiB, 'stop-and-copy')).outgoing.report;
    const pre = (await report('writes', SMALL_WSS, 16 * MiB, 'pre-copy')).outgoing.report;
    expect(stop.outcome).toBe('completed');
    expect(pre.outcome).toBe('completed');
    expect(pre.converged).toBe(true);
    expect(pre.downtimeMs!).toBeLessThan(stop.downtimeMs! / 10);
    // the price: more bytes and a longer migration
    expect(pre.bytesSent).toBeGreaterThan(stop.bytesSent);
    expect(pre.totalMs).toBeGreaterThan(stop.totalMs);
    // stop-and-copy's downtime is the whole memory at the link's speed
    expect(stop.downtime!.finalCopyMs).toBeGreaterThan(0.9 * ((stop.pages - stop.zeroPages) * 4096) / 1e6);
  });

  test('the same simulation gives the same report, to the last number', async () => {
    const a = (await report('writes', SMALL_WSS, 8 * MiB, 'pre-copy')).outgoing.report;
    const b = (await report('writes', SMALL_WSS, 8 * MiB, 'pre-copy')).outgoing.report;
    expect({ ...b, id: '' }).toEqual({ ...a, id: '' });
  });
});

describe('pre-copy that cannot converge: the dirty rate beats the bandwidth', () => {
  // 1500 pages stored into at random, one store every few instructions, over a 100 MB/s link
  const HOT = { WS_PAGES: 1500, WRITES: 20_000_000, SPIN: 0, RANDOM: 1 };
  const SLOW = { bandwidth: 100e6, latencyMs: 0.1 };
  const run = (onStall: MigrationOptions['onStall']) => report('writes', HOT, 12 * MiB, 'pre-copy', SLOW, { onStall, downtimeLimitMs: 5 });

  test('the rounds make no progress, and cancel leaves the guest running on the source', async () => {
    const r = await run('cancel');
    expect(r.outgoing.kind).toBe('aborted');
    const rep = r.outgoing.report;
    expect(rep.converged).toBe(false);
    expect(rep.stopReason).toMatch(/no progress/);
    // while each round was on the wire the guest dirtied about as many pages as the round carried
    for (const round of rep.rounds.slice(1)) expect(round.dirtied).toBeGreaterThan(0.9 * round.pages);
    expect(rep.rounds.length).toBeGreaterThanOrEqual(3);
    expect(r.outgoing.kind === 'aborted' && r.outgoing.reason).toMatch(/did not converge.*--on-stall cancel/);
    expect(r.side).toBe('source');
    expect(r.outcome).toBe('running');
  });

  test('stop-and-copy: the guest is stopped and the rest sent', async () => {
    const r = await run('stop-and-copy');
    const rep = r.outgoing.report;
    expect(rep.outcome).toBe('completed');
    expect(rep.converged).toBe(false);
    expect(rep.finishedAs).toBe('stop-and-copy');
    expect(rep.rounds[rep.rounds.length - 1]!.paused).toBe(true);
    expect(rep.downtimeMs!).toBeGreaterThan(5); // over the limit: that is what not converging costs
    expect(r.side).toBe('destination');
  });

  test('post-copy: the state goes over at once and the dirty pages follow on demand', async () => {
    const r = await run('post-copy');
    const rep = r.outgoing.report;
    expect(rep.outcome).toBe('completed');
    expect(rep.finishedAs).toBe('post-copy');
    expect(rep.downtimeMs!).toBeLessThan(5);
    expect(rep.postcopy!.faults).toBeGreaterThan(0);
    expect(rep.postcopy!.stallMs).toBeGreaterThan(0);
    expect(r.side).toBe('destination');
  });
});

describe('post-copy', () => {
  const CPU = { ITERATIONS: 50_000_000 };
  const sizes = [8 * MiB, 32 * MiB];

  test('its downtime does not grow with memory; stop-and-copy\'s does', async () => {
    const post: MigrationReport[] = [];
    const stop: MigrationReport[] = [];
    for (const mem of sizes) {
      post.push((await report('cpu', CPU, mem, 'post-copy')).outgoing.report);
      stop.push((await report('cpu', CPU, mem, 'stop-and-copy')).outgoing.report);
    }
    const [p8, p32] = post.map((r) => r.downtimeMs!);
    const [s8, s32] = stop.map((r) => r.downtimeMs!);
    expect(Math.abs(p32! - p8!) / p8!).toBeLessThan(0.05);
    expect(s32! / s8!).toBeGreaterThan(3);
    expect(p32!).toBeLessThan(s8! / 10);
  });

  test('every page crosses the wire exactly once', async () => {
    const rep = (await report('writes', { WS_PAGES: 300, WRITES: 2_000_000, SPIN: 4, RANDOM: 1 }, 8 * MiB, 'post-copy')).outgoing.report;
    expect(rep.pagesSent).toBe(rep.pages);
    expect(rep.pagesResent).toBe(0);
    expect(rep.postcopy!.requested + rep.postcopy!.pushed).toBe(rep.pages);
  });
});

describe('options', () => {
  test('a bandwidth cap holds the source to it, whatever the link could carry', async () => {
    const rep = (await report('cpu', { ITERATIONS: 50_000_000 }, 8 * MiB, 'stop-and-copy', FAST, { bandwidth: 200e6 })).outgoing.report;
    expect(rep.bandwidth).toBeGreaterThan(0.97 * 200e6);
    expect(rep.bandwidth).toBeLessThan(1.01 * 200e6);
  });

  test('zero pages cross as a flag, not 4 KiB of zeros', async () => {
    const rep = (await report('cpu', { ITERATIONS: 50_000_000, FILL: 0 }, 8 * MiB, 'stop-and-copy')).outgoing.report;
    expect(rep.zeroPages).toBeGreaterThan(0.9 * rep.pages);
    expect(rep.bytesSent).toBeLessThan((rep.pages - rep.zeroPages) * 4200 + rep.zeroPages * 8 + 64 * 1024);
  });
});
