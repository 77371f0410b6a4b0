/**
 * When NativeMonitor.run() lets the event loop turn (hypervisor/native/run-turns.ts):
 * every 4 rounds while a guest idles, otherwise once the turn budget of wall
 * time is spent — on a clock of the test's own.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RunTurns } from '../../../hypervisor/native/run-turns.js';

describe('RunTurns', () => {
  test('while a guest idles: a turn every 4 rounds, whatever the budget and the clock', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(0, 10, 1e9), fc.nat(), (round, budget, clock) => {
        expect(new RunTurns(budget, () => clock).due(round, true)).toBe(round % 4 === 0);
      }),
    );
  });

  test('a guest that only computes: a turn once the budget is spent since the last one, and not before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 20 }), async (budget, steps) => {
        let clock = 1000;
        const turns = new RunTurns(budget, () => clock);
        let since = clock;
        for (const [i, step] of steps.entries()) {
          clock += step;
          const due = turns.due(i + 1, false);
          expect(due).toBe(clock - since >= budget);
          if (due) {
            await turns.take();
            since = clock;
          }
        }
      }),
    );
  });
});
