/**
 * The time a migration is measured in. On TCP between daemons that is wall
 * time; on a simulated link it is virtual time, kept in step with the
 * guests' own instruction clocks (virtual-clock.ts). Both count milliseconds.
 */

/** Guest instructions (virtual ticks) per virtual millisecond: a nominal 100 MIPS. */
export const TICKS_PER_MS = 100_000;

export interface MigrationClock {
  /** 'virtual': ms at the nominal 100 MIPS; 'wall': real ms. */
  readonly kind: 'virtual' | 'wall';
  /** Milliseconds. On the wall clock, since the epoch, so two processes on one host agree. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * Let the guests run for a moment. On the wall clock the engine shares one
   * thread with the host's VMs: a sender that never yields starves them
   * (they would not dirty a page while pre-copy runs). On the virtual clock
   * the guests run between link events anyway: nothing to do.
   */
  pass(): Promise<void>;
}

export class WallClock implements MigrationClock {
  readonly kind = 'wall';
  now(): number {
    return performance.timeOrigin + performance.now();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, ms)));
  }
  pass(): Promise<void> {
    return new Promise((r) => setImmediate(r));
  }
}
