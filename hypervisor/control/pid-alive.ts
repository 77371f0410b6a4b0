/**
 * Whether a process still exists: how a state folder's lock and an arriving
 * disk copy left by a killed daemon are told from a live daemon's.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
