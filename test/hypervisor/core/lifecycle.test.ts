import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canMove, isFinal, LIFECYCLES, LifecycleError, transition, type Lifecycle } from '../../../hypervisor/core/lifecycle.js';

const state = fc.constantFrom(...LIFECYCLES);

describe('the VM lifecycle', () => {
  it('the moves a VM makes in a normal life are allowed', () => {
    const lives: Lifecycle[][] = [
      ['created', 'running', 'paused', 'running', 'stopped'],
      ['created', 'running', 'migrating-out', 'running'], // aborted: back as it was
      ['created', 'running', 'migrating-out', 'stopped'], // completed: gone from here
      ['created', 'running', 'migrating-out', 'lost', 'stopped'],
      ['created', 'arriving', 'running', 'paused', 'migrating-out', 'paused'],
      ['created', 'arriving', 'stopped'], // the copy discarded
      ['created', 'running', 'failed', 'stopped'],
    ];
    for (const life of lives) {
      let s = life[0]!;
      for (const next of life.slice(1)) s = transition('vm', s, next);
      expect(s).toBe(life.at(-1));
    }
  });

  it('refuses what the lifecycle does not have, saying what is allowed', () => {
    expect(() => transition('web', 'stopped', 'running')).toThrow(new LifecycleError('web is stopped: it cannot become running (that is final)'));
    expect(() => transition('web', 'running', 'arriving')).toThrow(/web is running: it cannot become arriving \(from running it can become paused, migrating-out, stopped, failed\)/);
    expect(() => transition('web', 'lost', 'running')).toThrow(LifecycleError);
  });

  it('transition agrees with canMove for every pair; staying put is always allowed', () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        if (canMove(from, to)) expect(transition('v', from, to)).toBe(to);
        else expect(() => transition('v', from, to)).toThrow(LifecycleError);
        expect(canMove(from, from)).toBe(true);
      }),
    );
  });

  it('nothing comes back from a final state: a lost or stopped guest never runs again', () => {
    for (const from of LIFECYCLES.filter(isFinal)) {
      for (const to of ['running', 'paused', 'arriving', 'migrating-out'] as const) expect(canMove(from, to)).toBe(false);
    }
  });

  it('only a migration loses a guest', () => {
    for (const from of LIFECYCLES) if (from !== 'lost' && canMove(from, 'lost')) expect(['migrating-out', 'arriving']).toContain(from);
  });
});
