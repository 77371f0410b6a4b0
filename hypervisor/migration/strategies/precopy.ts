/**
 * Pre-copy: send every page while the guest runs, then, round after round,
 * the pages it dirtied meanwhile (from the dirty log), until what is left is
 * small enough to send with the guest stopped.
 *
 *   source                                   destination
 *     │── HELLO / ◀── WELCOME ──────────────────│
 *   start dirty log
 *     │── PAGES (round 0: every page) ──────────▶│   guest runs
 *     │── ROUND_END 0 ──────────────────────────▶│
 *   take dirty log → D1
 *     │── PAGES (round 1: D1) ──────────────────▶│   guest runs
 *     │── ROUND_END 1 ──────────────────────────▶│
 *     ⋮   … until a stop rule fires
 *   pause; take dirty log → Dn
 *     │── PAGES (round n: Dn, guest stopped) ───▶│
 *     │── ROUND_END n ──────────────────────────▶│
 *     │── STATE (complete) ─────────────────────▶│ restore
 *     │◀── STATE_ACK / GO ──▶ / ◀── RESUMED ─────│ resume
 *     │◀─────────────────────────────── COMPLETE ──│
 *
 * Stop rules, checked after each round:
 *   converged    the dirty pages would take at most --downtime-limit to send
 *                at the bandwidth the last round achieved;
 *   round cap    --max-rounds rounds sent;
 *   byte cap     3× the guest's memory sent;
 *   no progress  this round left as many dirty pages as the one before, or
 *                more (from the third round on): the guest dirties memory as
 *                fast as the link carries it.
 * Only the first is convergence. Otherwise --on-stall decides: cancel (the
 * guest goes on, on the source), stop-and-copy (stop now and send the rest),
 * or post-copy (stop now, send the state, and the rest after the resume).
 */
import { PAGE_SIZE } from '../../../vm/memmap.js';
import { MigrationError } from '../migration-error.js';
import { stopAndCopy } from './stop-and-copy.js';
import type { StopRule } from '../migration-report.js';
import { allPages, marks, type MigrationStrategy, type SourceContext, type Switchover } from './strategy.js';

/** Bytes a data page takes in a PAGES frame (its entry header and the page). */
const PAGE_WIRE = PAGE_SIZE + 5;

export interface Rounds {
  /** Pages dirtied after the last round (still to send). */
  readonly dirty: number[];
  readonly converged: boolean;
  /** The stop rule that ended the rounds. */
  readonly rule: StopRule;
  readonly reason: string;
  /** The next round's number. */
  readonly round: number;
}

/**
 * Pre-copy rounds while the guest runs, up to `maxRounds` (round 0 included)
 * or a stop rule. Returns with the guest still running.
 */
export async function precopyRounds(ctx: SourceContext, maxRounds: number): Promise<Rounds> {
  const o = ctx.options;
  const src = ctx.source;
  ctx.phase('pre-copy');
  await src.startDirtyLog();
  let pages = allPages(src.pages);
  let round = 0;
  let before = Infinity;
  const byteCap = o.byteCapFactor * src.memSize;
  for (;;) {
    const sent = await ctx.sendRound(pages, round);
    const dirty = await src.takeDirty();
    ctx.endRound(sent, dirty.length);
    round++;
    const perMs = sent.durationMs > 0 ? sent.bytes / sent.durationMs : Infinity;
    const expected = (dirty.length * PAGE_WIRE) / perMs;
    if (expected <= o.downtimeLimitMs) return { dirty, converged: true, rule: 'converged', reason: `${dirty.length} dirty pages: ${expected.toFixed(3)} ms to send ≤ the ${o.downtimeLimitMs} ms limit`, round };
    if (round >= maxRounds) return { dirty, converged: false, rule: 'round cap', reason: `${maxRounds} rounds, ${dirty.length} pages still dirty`, round };
    if (ctx.bytesSent >= byteCap) return { dirty, converged: false, rule: 'byte cap', reason: `sent ${o.byteCapFactor}× the guest's memory, ${dirty.length} pages still dirty`, round };
    if (round >= 2 && dirty.length >= before) return { dirty, converged: false, rule: 'no progress', reason: `no progress: round ${round - 1} left ${dirty.length} dirty pages, round ${round - 2} left ${before}`, round };
    before = dirty.length;
    pages = dirty;
  }
}

/** Stop the guest and say what stays on the source: the dirty pages. */
export async function switchToPostcopy(ctx: SourceContext, dirty: readonly number[]): Promise<Switchover> {
  await ctx.pause();
  const last = await ctx.source.takeDirty();
  return { kind: 'post-copy', onSource: marks([...dirty, ...last], ctx.source.pages) };
}

export const PRE_COPY: MigrationStrategy = {
  name: 'pre-copy',
  async copy(ctx) {
    const r = await precopyRounds(ctx, ctx.options.maxRounds);
    const m = ctx.metrics;
    m.converged = r.converged;
    m.stopRule = r.rule;
    m.stopReason = r.reason;
    if (r.converged || ctx.options.onStall === 'stop-and-copy') {
      if (!r.converged) m.finishedAs = 'stop-and-copy';
      return finalCopy(ctx, r);
    }
    if (ctx.options.onStall === 'cancel') throw new MigrationError(`pre-copy did not converge (${r.reason}); --on-stall cancel: the guest stays on the source`);
    m.finishedAs = 'post-copy';
    return switchToPostcopy(ctx, r.dirty);
  },
};

/** Stop the guest; send what it dirtied since the last round, and what it dirtied before we stopped it. */
async function finalCopy(ctx: SourceContext, r: Rounds): Promise<Switchover> {
  await ctx.pause();
  const last = new Set([...r.dirty, ...(await ctx.source.takeDirty())]);
  return stopAndCopy(ctx, [...last].sort((a, b) => a - b), r.round);
}
