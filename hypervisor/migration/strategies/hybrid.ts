/**
 * Hybrid: a few pre-copy rounds while the guest runs (most of memory crosses
 * with no downtime), then post-copy for what is still dirty (the downtime is
 * the state alone, and no round has to converge).
 *
 *   source                                   destination
 *     │── HELLO / ◀── WELCOME ──────────────────│
 *     │── PAGES round 0 … round k-1 ────────────▶│   guest runs (--hybrid-rounds k)
 *   pause; take dirty log → D
 *     │── STATE (post-copy; bitmap = D) ────────▶│ restore; D marked missing
 *     │◀── STATE_ACK / GO ──▶ / ◀── RESUMED ─────│ resume
 *     │     … then as post-copy: faults pull, the rest is pushed …
 */
import { precopyRounds, switchToPostcopy } from './precopy.js';
import type { MigrationStrategy } from './strategy.js';

export const HYBRID: MigrationStrategy = {
  name: 'hybrid',
  async copy(ctx) {
    const r = await precopyRounds(ctx, Math.max(1, ctx.options.hybridRounds));
    return await switchToPostcopy(ctx, r.dirty, r.dirtySectors);
  },
};
