/**
 * What became of the destination's copy after a migration aborted before
 * its commit point — so `migrate` says what happened instead of assuming the
 * destination tidied up. The source saw only its own side (the engine's
 * AbortCause): a destination killed with kill -9 and a cut cable both look
 * like a connection that closed. So the destination daemon is asked:
 *
 *   nothing listens there             → gone: it died, and its copy with it
 *   it no longer lists the VM         → discarded
 *   it still lists it as arriving     → holding, after a short wait: a paused
 *                                       copy that never runs without the
 *                                       source's GO, dropped once that daemon
 *                                       notices the link is gone (at the
 *                                       latest its idle timeout)
 *   no answer (stopped, unreachable)  → unknown, with the same guarantee
 *
 * Whatever the answer, the guest runs on the source: before GO a copy on
 * the destination never runs.
 */
import { ControlError } from './control-error.js';
import type { ControlClient } from './client.js';
import type { AbortCause } from './engine.js';
import type { DestinationFate } from './protocol.js';

/** How long to wait for a destination that still lists the copy to notice the link is gone. */
const SETTLE_MS = 5_000;
const POLL_MS = 50;

/**
 * Ask the destination `to` (through `connect`) what it holds of `vm`, which
 * `self` was migrating there when the migration aborted for `cause`.
 */
export async function destinationFate(cause: AbortCause | undefined, to: string, self: string, vm: string, connect: () => Promise<ControlClient>, settleMs = SETTLE_MS): Promise<DestinationFate> {
  const lead = leadFor(cause, to);
  let client: ControlClient;
  try {
    client = await connect();
  } catch (e) {
    if (e instanceof ControlError && e.code === 'no-daemon') {
      // A broken link that is in fact a dead daemon: say so, not "the link broke".
      const died = `the destination daemon ${to} died (nothing listens there now): no copy is left there`;
      return { state: 'gone', says: cause === 'link' || cause === 'quiet' || cause === undefined ? died : `${lead}; ${died}` };
    }
    return { state: 'unknown', says: `${lead}; ${to} could not be asked what it holds (${(e as Error).message}); a copy there never runs without this daemon's GO, and is dropped once it notices the link is gone` };
  }
  try {
    const end = Date.now() + settleMs;
    for (;;) {
      const info = (await client.list()).find((v) => v.name === vm);
      const arriving = info?.migration?.role === 'destination' && info.migration.peer === self;
      if (!arriving) return { state: 'discarded', says: `${lead}; ${to} discarded its copy` };
      if (Date.now() >= end) {
        return { state: 'holding', says: `${lead}; ${to} still holds a paused copy, which never runs without this daemon's GO and is dropped once it notices the link is gone` };
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } catch (e) {
    return { state: 'unknown', says: `${lead}; ${to} stopped answering while asked what it holds (${(e as Error).message}); a copy there never runs without this daemon's GO` };
  } finally {
    client.close();
  }
}

/** What stopped the migration, in words about the destination. */
function leadFor(cause: AbortCause | undefined, to: string): string {
  switch (cause) {
    case 'cancelled':
      return 'the migration was cancelled';
    case 'refused':
      return `${to} refused to go on`;
    case 'quiet':
      return `${to} went quiet (nothing from it for the idle timeout)`;
    case 'link':
    case undefined:
      return `the connection to ${to} broke`;
    case 'bad-frame':
      return `${to} sent a frame that is malformed or out of order`;
    case 'source':
      return 'this daemon gave up';
  }
}
