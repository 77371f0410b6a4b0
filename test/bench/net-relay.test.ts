/**
 * The net-relay bench section end to end, small: the echo service migrated
 * between two real daemons with a connection open, round trips before the
 * move, over the source's relay after it, and straight to the destination —
 * every reply the bytes sent. No timing thresholds. Build first.
 */
import { describe, expect, test } from 'vitest';
import { measureRelay } from '../../bench/sections/net-relay.js';

describe('round trips to a migrated echo service', () => {
  test('before, relayed and direct all answer with the bytes sent', async () => {
    const [run] = await measureRelay({ trips: 20, monitors: ['native'] });
    expect(run!.verified).toBe(true);
    for (const s of [run!.before, run!.relayed, run!.direct]) {
      expect(s.trips).toBe(20);
      expect(s.medianMs).toBeGreaterThan(0);
      expect(s.p90Ms).toBeGreaterThanOrEqual(s.medianMs);
      expect(s.p99Ms).toBeGreaterThanOrEqual(s.p90Ms);
    }
  }, 60_000);
});
