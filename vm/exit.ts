/**
 * Why `run(budget)` returned. The interpreter knows nothing of monitors or
 * runtimes: whoever sits above decides what each exit means.
 */
export const enum Exit {
  /** The instruction budget is spent; call run() again to go on. */
  BUDGET = 0,
  /** The machine stopped: `halt`, or the power device. `exitStatus` says how. */
  HALT = 1,
  /** A trap or interrupt went to the host (trapToHost mode): `trapCause`, `trapBadaddr`, pc at the trap. */
  TRAP = 2,
  /** `wfi` with nothing pending: the host should wait for I/O or skip time. */
  WFI = 3,
}

export const EXIT_NAMES: readonly string[] = ['budget', 'halt', 'trap', 'wfi'];
