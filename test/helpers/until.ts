/**
 * Waits, polling every 2 ms, until `cond` holds: for tests that watch an
 * in-process guest or migration (no child process to read from). Rejects
 * naming what it waited for once `ms` have passed.
 */
export function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 2);
    };
    tick();
  });
}
