/**
 * A daemon warms its switchover path when it starts: the warm-up must really
 * save, encode, frame, parse, decode and restore a VM's state.
 */
import { describe, expect, test } from 'vitest';
import { warmUpSwitchover } from '../../../hypervisor/migration/warm-up.js';

describe('warmUpSwitchover', () => {
  test('sends STATE, STATE_ACK, GO and RESUMED through the real codecs each round', () => {
    expect(warmUpSwitchover(3)).toBe(12);
  });
});
