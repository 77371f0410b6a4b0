/**
 * A spare vCPU thread warms up on a throwaway guest before its VM arrives:
 * the warm-up must really take the paths a migration takes (a warm-up that
 * ran nothing would warm nothing).
 */
import { describe, expect, test } from 'vitest';
import { warmUp } from '../../../hypervisor/hosted/warm-up.js';

describe('warmUp', () => {
  test('runs the guest, hands over the dirty log, pauses, saves, restores and resumes, then ends', () => {
    const w = warmUp(3);
    // Per round: dirty-start, dirty-take, pause, save and the restore of what was saved.
    expect(w.replies).toBe(15);
    expect(w.restores).toBe(3);
    expect(w.instructions).toBeGreaterThan(0);
    // The guest stores to one page over and over: the log handed it over.
    expect(w.dirtyPages).toBeGreaterThan(0);
  });
});
