/**
 * Pre-copy: send every page while the guest runs, then, round after round,
 * the pages it dirtied meanwhile (from the dirty log), until what is left is
 * small enough to send with the guest stopped. A disk that moves with the
 * guest goes the same way in the same rounds: every sector in round 0, then
 * the sectors written meanwhile (from its dirty-sector log), the last ones
 * with the guest stopped; what is "small enough" counts both.
 *
 *   source                                   destination
 *     │── HELLO / ◀── WELCOME ──────────────────│
 *   start dirty log
 *     │── PAGES (round 0: every page) ──────────▶│   guest runs
 *     │── SECTORS (round 0: every sector) ──────▶│   (with a disk)
 *     │── ROUND_END 0 ──────────────────────────▶│
 *   take dirty logs → D1 (pages), S1 (sectors)
 *     │── PAGES (round 1: D1), SECTORS (S1) ────▶│   guest runs
 *     │── ROUND_END 1 ──────────────────────────▶│
 *     ⋮   … until a stop rule fires
 *   pause; take dirty logs → Dn, Sn
 *     │── PAGES (round n: Dn), SECTORS (Sn) ────▶│   guest stopped
 *     │── ROUND_END n ──────────────────────────▶│
 *     │── STATE (complete) ─────────────────────▶│ restore
 *     │◀── STATE_ACK / GO ──▶ / ◀── RESUMED ─────│ resume
 *     │◀─────────────────────────────── COMPLETE ──│
 *
 * Stop rules, checked after each round:
 *   converged    the dirty pages and sectors would take at most --downtime-limit
 *                to send at the bandwidth the last round achieved;
 *   round cap    --max-rounds rounds sent;
 *   byte cap     3× the guest's memory (and disk) sent;
 *   no progress  this round left as many dirty bytes (pages and sectors) as
 *                the one before, or more (from the third round on): the guest
 *                dirties them as fast as the link carries them.
 * Only the first is convergence. Otherwise --on-stall decides: cancel (the
 * guest goes on, on the source), stop-and-copy (stop now and send the rest),
 * or post-copy (stop now, send the state, and the rest after the resume).
 */
import { PAGE_SIZE } from '../../../vm/memmap.js';
import { MigrationError } from '../migration-error.js';
import { allRuns, BATCH_SECTORS, marksOf, runsOf, sectorCount } from '../disk-region.js';
import { SECTOR_BYTES } from '../protocol.js';
import { stopAndCopy } from './stop-and-copy.js';
import type { StopRule } from '../migration-report.js';
import { allPages, marks, type MigrationStrategy, type Runs, type SourceContext, type Switchover } from './strategy.js';

/** Bytes a data page takes in a PAGES frame (its entry header and the page). */
const PAGE_WIRE = PAGE_SIZE + 5;
/** Bytes a run's header takes in a SECTORS frame (its sectors follow: SECTOR_BYTES each). */
const RUN_WIRE = 7;

/** What is left to send, in bytes on the wire: the dirty pages and the dirty sectors. */
function leftBytes(pages: number, sectors: Runs): number {
  return pages * PAGE_WIRE + sectorCount(sectors) * SECTOR_BYTES + sectors.length * RUN_WIRE;
}

/** "12 dirty pages" or "12 dirty pages and 40 dirty sectors". */
function dirtyText(pages: number, sectors: Runs | undefined): string {
  return sectors === undefined ? `${pages} dirty pages` : `${pages} dirty pages and ${sectorCount(sectors)} dirty sectors`;
}

export interface Rounds {
  /** Pages dirtied after the last round (still to send). */
  readonly dirty: number[];
  /** Disk sectors written after the last round (still to send). */
  readonly dirtySectors: Runs;
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
  const disk = ctx.disk;
  ctx.phase('pre-copy');
  await src.startDirtyLog();
  disk?.startLog(); // the disk's log and memory's start together: round 0 sends both whole
  let pages = allPages(src.pages);
  let sectors: Runs = disk ? allRuns(disk.sectors) : [];
  let round = 0;
  let before = Infinity;
  let beforeText = '';
  const byteCap = o.byteCapFactor * (src.memSize + (disk ? disk.sectors * SECTOR_BYTES : 0));
  for (;;) {
    const sent = await ctx.sendRound(pages, round, sectors);
    const dirty = await src.takeDirty();
    const dirtySectors = disk ? disk.takeDirty(BATCH_SECTORS) : [];
    ctx.endRound(sent, dirty.length, sectorCount(dirtySectors));
    round++;
    const perMs = sent.durationMs > 0 ? sent.bytes / sent.durationMs : Infinity;
    // Convergence weighs both: the downtime holds the last dirty pages and the last dirty sectors.
    const left = leftBytes(dirty.length, dirtySectors);
    const expected = left / perMs;
    const what = dirtyText(dirty.length, disk ? dirtySectors : undefined);
    const still = disk ? `${what} still` : `${dirty.length} pages still dirty`;
    const r = { dirty, dirtySectors, round };
    if (expected <= o.downtimeLimitMs) return { ...r, converged: true, rule: 'converged', reason: `${what}: ${expected.toFixed(3)} ms to send ≤ the ${o.downtimeLimitMs} ms limit` };
    if (round >= maxRounds) return { ...r, converged: false, rule: 'round cap', reason: `${maxRounds} rounds, ${still}` };
    if (ctx.bytesSent >= byteCap) return { ...r, converged: false, rule: 'byte cap', reason: `sent ${o.byteCapFactor}× the guest's ${disk ? 'memory and disk' : 'memory'}, ${still}` };
    if (round >= 2 && left >= before) return { ...r, converged: false, rule: 'no progress', reason: `no progress: round ${round - 1} left ${what}, round ${round - 2} left ${beforeText}` };
    before = left;
    beforeText = disk ? what : String(dirty.length);
    pages = dirty;
    sectors = dirtySectors;
  }
}

/** Stop the guest and say what stays on the source: the dirty pages, and the dirty sectors. */
export async function switchToPostcopy(ctx: SourceContext, dirty: readonly number[], dirtySectors: Runs): Promise<Switchover> {
  await ctx.pause();
  const last = await ctx.source.takeDirty();
  const disk = ctx.disk;
  const diskOnSource = disk ? marksOf(disk.takeDirty(BATCH_SECTORS), disk.sectors, marksOf(dirtySectors, disk.sectors)) : undefined;
  return { kind: 'post-copy', onSource: marks([...dirty, ...last], ctx.source.pages), diskOnSource };
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
    return switchToPostcopy(ctx, r.dirty, r.dirtySectors);
  },
};

/** Stop the guest; send what it dirtied (pages and sectors) since the last round, and before we stopped it. */
async function finalCopy(ctx: SourceContext, r: Rounds): Promise<Switchover> {
  await ctx.pause();
  const last = new Set([...r.dirty, ...(await ctx.source.takeDirty())]);
  const disk = ctx.disk;
  const sectors = disk ? runsOf(marksOf(disk.takeDirty(BATCH_SECTORS), disk.sectors, marksOf(r.dirtySectors, disk.sectors))) : [];
  return stopAndCopy(ctx, [...last].sort((a, b) => a - b), r.round, sectors);
}
