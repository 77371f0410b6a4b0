/**
 * Failure, with nothing lost: the link dropped or a frame corrupted at each
 * phase, the destination gone. Before the switchover the guest goes on, on
 * the source, unchanged; after it both sides pause and a reconnection
 * finishes the job. Either way the guest lives on exactly one side, and the
 * page-incrementer — which stops with "stale page" if any page is lost or
 * old — prints exactly what it prints when nothing went wrong.
 */
import { describe, expect, test } from 'vitest';
import type { StrategyName } from '../../../hypervisor/migration/options.js';
import { simulateMigration, type SimulationResult } from '../../../hypervisor/lab/simulate.js';
import type { FrameOnWire, Tampering } from '../../../hypervisor/migration/transports/simulated.js';
import { baseline, FAST, image, MiB } from './helpers.js';

const IMG = () => image('incrementer', { WS_PAGES: 256, PASSES: 150, SPIN: 8 });
const MEM = 4 * MiB;
const AT = 100_000;

/** Act on the n-th (0-based) frame of this type from this side — counting only frames `when` accepts. */
function at(from: FrameOnWire['from'], type: string, n: number, action: Tampering, when: (f: FrameOnWire, s: { roundEnds: number }) => boolean = () => true): (f: FrameOnWire) => Tampering {
  let seen = 0;
  const s = { roundEnds: 0 };
  let done = false;
  return (f) => {
    if (f.from === 'source' && f.type === 'ROUND_END') s.roundEnds++;
    if (done || f.from !== from || f.type !== type || !when(f, s)) return 'pass';
    if (seen++ < n) return 'pass';
    done = true;
    return action;
  };
}

const inRound = (k: number) => (f: FrameOnWire, s: { roundEnds: number }) => f.type !== 'PAGES' || s.roundEnds === k;
/** A PAGES frame that answers a post-copy fault (flags bit 0). */
const answersFault = (f: FrameOnWire) => (f.bytes[16]! & 1) === 1;

/** The frame numbers above count PAGES frames of 8 pages (128 of them for the 4 MiB guest). */
const BATCH = { batchPages: 8 };

async function run(strategy: StrategyName, tamper: (f: FrameOnWire) => Tampering, onInterrupt: 'recover' | 'abandon' = 'recover', options = {}): Promise<SimulationResult> {
  return simulateMigration({ image: IMG(), memSize: MEM, link: FAST, strategy, at: AT, tamper, onInterrupt, options: { ...BATCH, ...options } });
}

async function expectLikeNeverMigrated(r: SimulationResult): Promise<void> {
  const ref = await baseline(IMG(), MEM);
  expect(r.output).not.toContain('stale page');
  expect(r.output).toBe(ref.output);
  expect(r.memoryHash).toBe(ref.memoryHash);
  expect(r.outcome).toBe('poweroff');
}

interface Case {
  readonly phase: string;
  readonly strategy: StrategyName;
  readonly tamper: () => (f: FrameOnWire) => Tampering;
  readonly options?: object;
}

const BEFORE: Case[] = [
  { phase: 'setup: HELLO lost (link drops)', strategy: 'pre-copy', tamper: () => at('source', 'HELLO', 0, 'cut') },
  { phase: 'setup: HELLO corrupted', strategy: 'pre-copy', tamper: () => at('source', 'HELLO', 0, 'corrupt') },
  { phase: 'setup: WELCOME corrupted', strategy: 'stop-and-copy', tamper: () => at('destination', 'WELCOME', 0, 'corrupt') },
  { phase: 'round 0: link drops', strategy: 'pre-copy', tamper: () => at('source', 'PAGES', 20, 'cut') },
  { phase: 'round 0: PAGES corrupted', strategy: 'pre-copy', tamper: () => at('source', 'PAGES', 7, 'corrupt') },
  { phase: 'round 0: PAGES truncated', strategy: 'hybrid', tamper: () => at('source', 'PAGES', 3, 'truncate') },
  { phase: 'round 1: link drops', strategy: 'pre-copy', tamper: () => at('source', 'PAGES', 2, 'cut', inRound(1)), options: { downtimeLimitMs: 0.01 } },
  { phase: 'round 1: PAGES corrupted', strategy: 'pre-copy', tamper: () => at('source', 'PAGES', 1, 'corrupt', inRound(1)), options: { downtimeLimitMs: 0.01 } },
  { phase: 'round 2: ROUND_END corrupted', strategy: 'pre-copy', tamper: () => at('source', 'ROUND_END', 2, 'corrupt'), options: { downtimeLimitMs: 0.01, maxRounds: 6 } },
  { phase: 'stop-and-copy: link drops while the guest is stopped', strategy: 'stop-and-copy', tamper: () => at('source', 'PAGES', 60, 'cut') },
  { phase: 'switchover: STATE corrupted', strategy: 'pre-copy', tamper: () => at('source', 'STATE', 0, 'corrupt') },
  { phase: 'switchover: link drops before STATE', strategy: 'post-copy', tamper: () => at('source', 'STATE', 0, 'cut') },
  { phase: 'switchover: STATE_ACK corrupted', strategy: 'hybrid', tamper: () => at('destination', 'STATE_ACK', 0, 'corrupt') },
];

describe('before the switchover: the guest goes on, on the source, unchanged; the destination discards', () => {
  test.each(BEFORE)('$phase ($strategy)', async (c) => {
    const r = await run(c.strategy, c.tamper(), 'recover', c.options ?? {});
    expect(r.outgoing.kind).toBe('aborted');
    expect(r.incoming.kind).toBe('aborted');
    if (r.outgoing.kind !== 'aborted') return;
    expect(r.outgoing.reason).toMatch(/the guest runs on the source, unchanged/);
    expect(r.side).toBe('source');
    await expectLikeNeverMigrated(r);
  });

  test('a corrupted frame is named in the reason, with its field', async () => {
    const r = await run('pre-copy', at('source', 'PAGES', 7, 'corrupt'));
    expect(r.outgoing.kind === 'aborted' && r.outgoing.reason).toMatch(/frame PAGES: header.checksum mismatch/);
    expect(r.incoming.kind === 'aborted' && r.incoming.reason).toMatch(/frame PAGES: header.checksum mismatch.*the copy here was discarded/);
  });

  test('a truncated frame is named as truncated', async () => {
    const r = await run('pre-copy', at('source', 'PAGES', 3, 'truncate'));
    expect(r.incoming.kind === 'aborted' && r.incoming.reason).toMatch(/frame PAGES: payload is truncated/);
  });
});

const AFTER: Case[] = [
  { phase: 'GO lost (link drops)', strategy: 'pre-copy', tamper: () => at('source', 'GO', 0, 'cut') },
  { phase: 'GO corrupted', strategy: 'stop-and-copy', tamper: () => at('source', 'GO', 0, 'corrupt') },
  { phase: 'RESUMED lost', strategy: 'pre-copy', tamper: () => at('destination', 'RESUMED', 0, 'cut') },
  { phase: 'COMPLETE corrupted', strategy: 'stop-and-copy', tamper: () => at('destination', 'COMPLETE', 0, 'corrupt') },
  { phase: 'post-copy fetch: PAGE_REQUEST lost', strategy: 'post-copy', tamper: () => at('destination', 'PAGE_REQUEST', 3, 'cut') },
  { phase: 'post-copy fetch: the page answering a fault corrupted', strategy: 'post-copy', tamper: () => at('source', 'PAGES', 2, 'corrupt', answersFault) },
  { phase: 'post-copy push: link drops', strategy: 'post-copy', tamper: () => at('source', 'PAGES', 40, 'cut') },
  { phase: 'hybrid post-copy: PAGES truncated', strategy: 'hybrid', tamper: () => at('source', 'PAGES', 5, 'truncate', (f) => f.bytes[17] === 0xff && f.bytes[18] === 0xff) },
];

describe('after the switchover: both sides pause; recovery resends what was in flight', () => {
  test.each(AFTER)('$phase ($strategy)', async (c) => {
    const r = await run(c.strategy, c.tamper());
    expect(r.recoveries.length).toBeGreaterThan(0);
    expect(r.outgoing.kind).toBe('completed');
    expect(r.incoming.kind).toBe('completed');
    expect(r.side).toBe('destination');
    await expectLikeNeverMigrated(r);
  });

  test('post-copy: pages in flight when the link broke are sent again, and only those', async () => {
    const r = await run('post-copy', at('source', 'PAGES', 40, 'cut'));
    const rep = r.outgoing.report;
    expect(rep.pagesResent).toBeGreaterThan(0);
    expect(rep.pagesSent - rep.pagesResent).toBe(rep.pages); // every page at least once
  });
});

describe('a side gone for good', () => {
  test('destination gone during the copy: the guest stays on the source', async () => {
    const r = await run('pre-copy', at('source', 'PAGES', 50, 'cut'), 'abandon');
    expect(r.outgoing.kind).toBe('aborted');
    expect(r.side).toBe('source');
    await expectLikeNeverMigrated(r);
  });

  test('destination gone during post-copy: the guest is reported lost, explicitly', async () => {
    const r = await run('post-copy', at('source', 'PAGES', 30, 'cut'), 'abandon');
    expect(r.outgoing.kind).toBe('lost');
    expect(r.outgoing.kind === 'lost' && r.outgoing.reason).toMatch(/the guest is lost/);
    expect(r.incoming.kind).toBe('lost');
    expect(r.side).toBe('none');
  });

  test('source gone after GO in pre-copy: the destination has it all and runs it', async () => {
    const r = await run('pre-copy', at('destination', 'RESUMED', 0, 'cut'), 'abandon');
    expect(r.incoming.kind).toBe('completed');
    expect(r.side).toBe('destination');
    await expectLikeNeverMigrated(r);
  });

  test('source gone before GO reached the destination: it has the state and every page, and resumes', async () => {
    const r = await run('stop-and-copy', at('source', 'GO', 0, 'cut'), 'abandon');
    expect(r.incoming.kind).toBe('completed');
    expect(r.side).toBe('destination');
    await expectLikeNeverMigrated(r);
  });
});
