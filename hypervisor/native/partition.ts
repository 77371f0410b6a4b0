/**
 * The host's RAM as extents handed to VMs that come and go: first fit, and
 * neighbours merged when an extent comes back, so a long-lived host does not
 * fragment into pieces too small for the next VM.
 */
export class RamPartition {
  /** Free extents [offset, size], sorted by offset, never adjacent. */
  private readonly holes: [number, number][];

  constructor(readonly size: number) {
    this.holes = size > 0 ? [[0, size]] : [];
  }

  /** Take `size` bytes; the offset, or -1 if no free extent is that large. */
  take(size: number): number {
    if (size <= 0) return 0;
    const i = this.holes.findIndex(([, n]) => n >= size);
    if (i < 0) return -1;
    const hole = this.holes[i]!;
    const at = hole[0];
    if (hole[1] === size) this.holes.splice(i, 1);
    else this.holes[i] = [at + size, hole[1] - size];
    return at;
  }

  give(at: number, size: number): void {
    let i = this.holes.findIndex(([o]) => o > at);
    if (i < 0) i = this.holes.length;
    this.holes.splice(i, 0, [at, size]);
    const next = this.holes[i + 1];
    if (next && at + size === next[0]) this.holes.splice(i, 2, [at, size + next[1]]);
    const prev = this.holes[i - 1];
    const cur = this.holes[i]!;
    if (prev && prev[0] + prev[1] === cur[0]) this.holes.splice(i - 1, 2, [prev[0], prev[1] + cur[1]]);
  }

  get free(): number {
    return this.holes.reduce((n, [, s]) => n + s, 0);
  }
}
