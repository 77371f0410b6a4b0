/**
 * Stop-and-copy: stop the guest, send every page, then its CPU and device
 * state; it resumes on the destination. The simplest strategy and the
 * longest downtime — every byte of memory (and of the disk, when it moves
 * with the guest) crosses while the guest is stopped.
 *
 *   source                                   destination
 *     │── HELLO ─────────────────────────────────▶│ VM created, paused, all pages missing
 *     │◀──────────────────────────────── WELCOME ──│
 *   pause
 *     │── PAGES (round 0, every page) ──────────▶│
 *     │── SECTORS (every sector of the disk) ───▶│
 *     │── ROUND_END ────────────────────────────▶│
 *     │── STATE (complete) ─────────────────────▶│ restore
 *     │◀────────────────────────────── STATE_ACK ──│
 *     │── GO ───────────────────────────────────▶│ resume
 *     │◀──────────────────────────────── RESUMED ──│
 *     │◀─────────────────────────────── COMPLETE ──│
 *   discard
 */
import { allRuns } from '../disk-region.js';
import { allPages, type MigrationStrategy, type Runs, type SourceContext, type Switchover } from './strategy.js';

/**
 * Stop the guest and send these pages and disk sectors in `round` (the
 * last). Shared with pre-copy's final copy and forced stop.
 */
export async function stopAndCopy(ctx: SourceContext, pages: readonly number[], round: number, sectors: Runs): Promise<Switchover> {
  await ctx.pause();
  const sent = await ctx.sendRound(pages, round, sectors);
  ctx.endRound(sent, 0);
  return { kind: 'complete' };
}

export const STOP_AND_COPY: MigrationStrategy = {
  name: 'stop-and-copy',
  copy(ctx) {
    return stopAndCopy(ctx, allPages(ctx.source.pages), 0, ctx.disk ? allRuns(ctx.disk.sectors) : []);
  },
};
