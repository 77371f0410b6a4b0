/**
 * A VM's lifecycle: the one place that says which states a VM can be in and
 * which moves between them are allowed. Everything that shows a VM's state
 * (vm list, reports, logs) and everything that changes it (start, pause,
 * migrate, stop) goes through `transition`, so no two parts of the system can
 * disagree about whether a guest runs.
 *
 *                 ┌──────────── pause ───────────┐
 *                 ▼                              │
 *   created ──▶ running ◀──── resume ──── ▶ paused
 *      │           │  ╲                      │  │
 *      │           │   migrate               │  migrate
 *      │           │     ╲                   │  │
 *      │           │      ▶ migrating-out ◀──┘  │    (aborted: back to running/paused;
 *      │           │            │               │     completed: stopped; lost: lost)
 *      └─▶ arriving ──▶ running / paused         │
 *                                               ▼
 *                    stopped · failed · lost   (ends; a lost guest stays listed until vm stop)
 *
 * `arriving` is a VM created empty by an incoming migration or a restore: it
 * becomes running (or paused) at the switchover, or stopped if its copy is
 * discarded, or lost if its source dies before it has every page.
 */

export const LIFECYCLES = ['created', 'running', 'paused', 'migrating-out', 'arriving', 'stopped', 'failed', 'lost'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

const NEXT: Readonly<Record<Lifecycle, readonly Lifecycle[]>> = {
  created: ['running', 'paused', 'arriving', 'stopped', 'failed'],
  running: ['paused', 'migrating-out', 'stopped', 'failed'],
  paused: ['running', 'migrating-out', 'stopped', 'failed'],
  // An aborted migration leaves the guest as it was (running or paused); a completed one
  // takes it away (stopped here); an interrupted one whose destination died loses it.
  'migrating-out': ['running', 'paused', 'stopped', 'failed', 'lost'],
  arriving: ['running', 'paused', 'stopped', 'failed', 'lost'],
  stopped: [],
  failed: ['stopped'],
  lost: ['stopped'],
};

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

/** May a VM in state `from` move to `to`? (Staying put is always allowed.) */
export function canMove(from: Lifecycle, to: Lifecycle): boolean {
  return from === to || NEXT[from].includes(to);
}

/** The state after moving `from` → `to`; refuses a move the lifecycle does not have. */
export function transition(vm: string, from: Lifecycle, to: Lifecycle): Lifecycle {
  if (!canMove(from, to)) {
    const ok = NEXT[from];
    throw new LifecycleError(`${vm} is ${from}: it cannot become ${to}${ok.length > 0 ? ` (from ${from} it can become ${ok.join(', ')})` : ' (that is final)'}`);
  }
  return to;
}

/** The guest runs nowhere else and never will again: its record may only be removed. */
export function isFinal(s: Lifecycle): boolean {
  return s === 'stopped' || s === 'failed' || s === 'lost';
}

export function isLifecycle(s: string): s is Lifecycle {
  return (LIFECYCLES as readonly string[]).includes(s);
}
