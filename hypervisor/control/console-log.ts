/**
 * A VM's console output as the daemon keeps it: the most recent bytes (a
 * bounded window, so a chatty guest cannot grow the daemon without limit),
 * the total ever written, and whoever is following it live.
 *
 * The console device transmits a byte at a time; followers get those bytes
 * gathered into one chunk per turn of the event loop, so a line costs one
 * message on the wire, not one per character.
 */

/** Console bytes kept per VM for `vm console` to replay. */
export const CONSOLE_LOG_BYTES = 1024 * 1024;

/** `at`: where the chunk starts in everything ever written (a client following across a migration resumes from there). */
export type ConsoleFollower = (bytes: Uint8Array, at: number) => void;

export class ConsoleLog {
  private chunks: Uint8Array[] = [];
  private kept = 0;
  private pending: number[] = [];
  private flushScheduled = false;
  /** Bytes ever written (those dropped from the window included). */
  total = 0;
  private readonly followers = new Set<ConsoleFollower>();

  constructor(private readonly limit = CONSOLE_LOG_BYTES) {}

  write(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.pending.push(bytes[i]!);
    this.total += bytes.length;
    if (!this.flushScheduled && this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hand what has gathered to the window and the followers. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const chunk = Uint8Array.from(this.pending);
    const at = this.total - chunk.length;
    this.pending = [];
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept > this.limit && this.chunks.length > 1) this.kept -= this.chunks.shift()!.length;
    for (const f of this.followers) f(chunk, at);
  }

  /**
   * Output that came before this log started (a migrated guest's past), put
   * in front. `total`: how many bytes that past had in all (its window may
   * have dropped the oldest), so offsets mean the same here as there.
   */
  prepend(bytes: Uint8Array, total = bytes.length): void {
    if (bytes.length === 0 && total === 0) return;
    if (bytes.length > 0) this.chunks.unshift(bytes.slice());
    this.kept += bytes.length;
    this.total += Math.max(total, bytes.length);
  }

  /** What is kept from offset `since` on, and where that starts (later than `since` if the window dropped it). */
  since(since: number): { readonly bytes: Uint8Array; readonly at: number } {
    this.flush();
    const start = this.total - this.kept;
    const all = Buffer.concat(this.chunks);
    const from = Math.min(Math.max(since, start), this.total);
    return { bytes: all.subarray(from - start), at: from };
  }

  /** Everything kept, oldest first. */
  contents(): Uint8Array {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  /** How many are following it live. */
  get followerCount(): number {
    return this.followers.size;
  }

  follow(f: ConsoleFollower): () => void {
    this.flush();
    this.followers.add(f);
    return () => void this.followers.delete(f);
  }
}
