/**
 * When NativeMonitor.run() lets the event loop turn (console input arrives,
 * other timers fire) between its rounds of slices.
 *
 * It used to turn every 4 rounds: with one VM and 100,000-instruction slices,
 * every 400,000 guest instructions — 300 turns in the bench's cpu workload
 * (120 M instructions) where the bare machine takes 15 (every 8 slices of
 * 2^20). A turn is a trip through libuv (a poll of its file descriptors),
 * 3–8 µs of CPU most times and, on a loaded machine, a chance for the OS to
 * run another process first: 300 turns in a row measured 0.9–9 ms of CPU and
 * 0.9–66 ms of wall time here (five tries, load 12 on 2 cores).
 *
 * A guest that only computes needs no turn for itself, so one comes once the
 * turn budget of wall time is spent (serve()'s, DEFAULT_TURN_BUDGET_MS) —
 * about as often as the bare machine's. A guest that idles (wfi, virtual time
 * skipped to its timer) may be waiting for the very input a turn delivers, as
 * the bare machine's does at each wfi, so while any VM idles the turns stay
 * every 4 rounds. Either way virtual time is untouched: when live input lands
 * depends on the host already, and input that is already over is read at
 * time 0 (run()).
 */
export class RunTurns {
  private since: number;

  /** `now`: the wall clock in ms (a test's own clock). */
  constructor(private readonly budgetMs: number, private readonly now: () => number = () => performance.now()) {
    this.since = now();
  }

  /** After round `round` (counted from 1): is a turn due? `idled`: some VM skipped idle time in it. */
  due(round: number, idled: boolean): boolean {
    return idled ? round % 4 === 0 : this.now() - this.since >= this.budgetMs;
  }

  /** Let the event loop turn once. */
  async take(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    this.since = this.now();
  }
}
