/**
 * The daemon's refusals, logged without letting a flood of connections
 * flood the log: the first few in each second are logged one by one (who,
 * and why); past that they are counted, and one line at the end of the
 * second says how many more there were. A thousand connections that never
 * speak cost the log a dozen lines, not a thousand.
 */

/** Refusals logged one by one per second; the rest are counted. */
export const REFUSALS_PER_SECOND = 10;
const WINDOW_MS = 1_000;

export class RefusalLog {
  private windowStart = -Infinity;
  private inWindow = 0;
  private unlogged = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly log: (line: string) => void,
    private readonly perSecond = REFUSALS_PER_SECOND,
  ) {}

  /** A refusal: `refused PEER: why`. */
  refused(line: string): void {
    const now = performance.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.flush();
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow++ < this.perSecond) return this.log(line);
    this.unlogged++;
    // Said once the window is over, even if nothing else comes to trigger it.
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.windowStart + WINDOW_MS - now));
    this.timer.unref?.();
  }

  /** Say how many went unlogged (the daemon is closing, or a window ended). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unlogged === 0) return;
    this.log(`refused ${this.unlogged} more connection${this.unlogged === 1 ? '' : 's'} in the last second (more than ${this.perSecond} a second are counted, not logged one by one)`);
    this.unlogged = 0;
  }
}
