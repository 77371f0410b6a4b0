/**
 * Stop-and-copy: stop the guest, send every page, then its CPU and device
 * state; it resumes on the destination. The simplest strategy and the
 * longest downtime — every byte of memory crosses while the guest is stopped.
 *
 *   source                                   destination
 *     │── HELLO ─────────────────────────────────▶│ VM created, paused, all pages missing
 *     │◀──────────────────────────────── WELCOME ──│
 *   pause
 *     │── PAGES (round 0, every page) ──────────▶│
 *     │── ROUND_END ────────────────────────────▶│
 *     │── STATE (complete) ─────────────────────▶│ restore
 *     │◀────────────────────────────── STATE_ACK ──│
 *     │── GO ───────────────────────────────────▶│ resume
 *     │◀──────────────────────────────── RESUMED ──│
 *     │◀─────────────────────────────── COMPLETE ──│
 *   discard
 */
import { allPages, type MigrationStrategy, type SourceContext, type Switchover } from './strategy.js';

/** Stop the guest and send every page in `round` (the last). Shared with pre-copy's forced stop. */
export async function stopAndCopy(ctx: SourceContext, pages: readonly number[], round: number): Promise<Switchover> {
  await ctx.pause();
  const sent = await ctx.sendRound(pages, round);
  ctx.endRound(sent, 0);
  return { kind: 'complete' };
}

export const STOP_AND_COPY: MigrationStrategy = {
  name: 'stop-and-copy',
  copy(ctx) {
    return stopAndCopy(ctx, allPages(ctx.source.pages), 0);
  },
};
