/**
 * Post-copy (on-demand paging): stop the guest, send only its CPU and device
 * state, and resume it on the destination at once; its memory follows. A
 * guest access to a page not yet there stalls that vCPU (the shadow pager
 * answers MISSING) while the page is pulled from the source; meanwhile the
 * source pushes the rest in the background, those just after the latest
 * fault first (a guest that touched page p is likely to touch p+1 next).
 * Every page crosses the wire once. A disk that moves with the guest goes
 * the same way: its sectors stay here (DISK_MAP before STATE says which), a
 * guest read of one not there yet waits while SECTOR_REQUEST pulls it, and
 * the rest is pushed after memory.
 *
 *   source                                   destination
 *     │── HELLO / ◀── WELCOME ──────────────────│
 *   pause
 *     │── STATE (post-copy; every page on the source) ▶│ restore; all pages missing
 *     │◀────────────────────────────── STATE_ACK ──│
 *     │── GO ───────────────────────────────────▶│ resume
 *     │◀──────────────────────────────── RESUMED ──│ guest runs …
 *     │── PAGES (pushed) ───────────────────────▶│
 *     │◀─────────────────────── PAGE_REQUEST p ────│ … until it touches a missing page p: stalls
 *     │── PAGES (p, answers a fault) ───────────▶│ written; the vCPU goes on
 *     │── PAGES (pushed: p+1, p+2, …) ──────────▶│
 *     │◀─────────────────────────────── COMPLETE ──│ every page here
 *   discard
 *
 * If the link breaks in this phase both sides pause (the guest cannot run
 * without its pages, and the source's copy is stale): recover() reconnects,
 * the destination says which pages it still lacks, and those — including
 * any that were in flight — are sent again.
 */
import { LinkError } from '../migration-error.js';
import type { SourceRecorder } from '../metrics.js';
import { FrameType, frameName, POSTCOPY_ROUND, ProtocolError, type Frame } from '../protocol.js';
import type { Channel } from '../channel.js';
import type { MigrationSource } from '../source.js';
import { BATCH_SECTORS, runsOf } from '../disk-region.js';
import type { MigrationStrategy, Runs } from './strategy.js';

export const POST_COPY: MigrationStrategy = {
  name: 'post-copy',
  async copy(ctx) {
    await ctx.pause();
    return { kind: 'post-copy', onSource: new Uint8Array(ctx.source.pages).fill(1), diskOnSource: ctx.disk ? new Uint8Array(ctx.disk.sectors).fill(1) : undefined };
  },
};

export interface PushContext {
  readonly source: MigrationSource;
  readonly metrics: SourceRecorder;
  readonly batchPages: number;
  /** Send these pages in one PAGES frame. */
  sendPages(channel: Channel, pages: readonly number[], round: number, requested: boolean): Promise<void>;
  /** Send these sector runs (post-copy round) in SECTORS frames. */
  sendSectors(channel: Channel, runs: Runs, requested: boolean): Promise<void>;
}

/**
 * The source's side of post-copy: answer faults, push the rest, until the
 * destination has it all — memory, and the disk's sectors when they moved
 * with it (a guest read of sectors not there yet is a fault too: SECTOR_REQUEST).
 */
export class PostcopyPush {
  /** 1 for each page not sent yet. */
  private readonly unsent: Uint8Array;
  private left = 0;
  private cursor = 0;
  private readonly requests: number[] = [];
  /** 1 for each disk sector not sent yet (empty: no disk). */
  private readonly unsentSectors: Uint8Array;
  private sectorsLeft = 0;
  private sectorCursor = 0;
  private readonly sectorRequests: Array<readonly [number, number]> = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: PushContext,
    onSource: Uint8Array,
    diskOnSource?: Uint8Array,
  ) {
    this.unsent = onSource.slice();
    for (const m of this.unsent) this.left += m;
    this.unsentSectors = diskOnSource ? diskOnSource.slice() : new Uint8Array(0);
    for (const m of this.unsentSectors) this.sectorsLeft += m;
  }

  /** Pages and sectors not sent yet (in flight ones count as sent). */
  get unsentCount(): number {
    return this.left + this.sectorsLeft;
  }

  /**
   * After a reconnection: the pages (and sectors) the destination still
   * lacks are to be sent (again, if they were in flight when the link broke).
   */
  resync(missing: Uint8Array, diskMissing?: Uint8Array): void {
    this.left = 0;
    for (let p = 0; p < this.unsent.length; p++) {
      this.unsent[p] = missing[p] === 1 ? 1 : 0;
      this.left += this.unsent[p]!;
    }
    this.requests.length = 0;
    if (diskMissing) {
      this.sectorsLeft = 0;
      for (let s = 0; s < this.unsentSectors.length; s++) {
        this.unsentSectors[s] = diskMissing[s] === 1 ? 1 : 0;
        this.sectorsLeft += this.unsentSectors[s]!;
      }
    }
    this.sectorRequests.length = 0;
  }

  /** Serve faults and push pages on this channel until COMPLETE arrives. */
  async run(channel: Channel): Promise<Extract<Frame, { type: FrameType.COMPLETE }>> {
    let failed = false;
    const receiver = (async () => {
      try {
        for (;;) {
          const f = await channel.receive();
          if (f.type === FrameType.PAGE_REQUEST) {
            if (f.page >= this.unsent.length) throw new ProtocolError('PAGE_REQUEST', 'page', 16, `is ${f.page}; the guest has ${this.unsent.length} pages`);
            this.requests.push(f.page);
            this.wake?.();
          } else if (f.type === FrameType.SECTOR_REQUEST) {
            const n = this.unsentSectors.length;
            if (n === 0) throw new ProtocolError('SECTOR_REQUEST', 'header.type', 3, 'asks for disk sectors, and no disk moves with this migration');
            if (f.sector >= n || f.sector + f.count > n) throw new ProtocolError('SECTOR_REQUEST', 'sector', 16, `is ${f.sector} (+${f.count}); the disk has ${n} sectors`);
            this.sectorRequests.push([f.sector, f.count]);
            this.wake?.();
          } else if (f.type === FrameType.COMPLETE) {
            return f;
          } else {
            throw new ProtocolError(frameName(f.type), 'header.type', 3, 'is out of order: post-copy expects PAGE_REQUEST, SECTOR_REQUEST or COMPLETE');
          }
        }
      } finally {
        failed = true;
        this.wake?.();
      }
    })();
    const pusher = (async () => {
      while (!failed) {
        if (this.left === 0 && this.sectorsLeft === 0) {
          await new Promise<void>((r) => (this.wake = r));
          this.wake = undefined;
          continue;
        }
        // Faults first (pages, then sectors), then the push: memory, then the disk.
        const page = this.nextRequestedPage();
        if (page !== undefined) {
          this.take([page]);
          this.ctx.metrics.requested++;
          await this.ctx.sendPages(channel, [page], POSTCOPY_ROUND, true);
          continue;
        }
        const asked = this.nextRequestedSectors();
        if (asked.length > 0) {
          const n = this.takeSectors(asked);
          if (this.ctx.metrics.disk) this.ctx.metrics.disk.fetched += n;
          await this.ctx.sendSectors(channel, asked, true);
          continue;
        }
        if (this.left > 0) {
          const pages = this.nextBatch();
          this.take(pages);
          this.ctx.metrics.pushed += pages.length;
          await this.ctx.sendPages(channel, pages, POSTCOPY_ROUND, false);
          continue;
        }
        const runs = this.nextSectorBatch();
        const n = this.takeSectors(runs);
        if (this.ctx.metrics.disk) this.ctx.metrics.disk.pushed += n;
        await this.ctx.sendSectors(channel, runs, false);
      }
    })();
    pusher.catch(() => {});
    try {
      return await receiver;
    } catch (e) {
      throw e instanceof Error ? e : new LinkError(String(e));
    }
  }

  private take(pages: readonly number[]): void {
    for (const p of pages) this.unsent[p] = 0;
    this.left -= pages.length;
  }

  private takeSectors(runs: Runs): number {
    let n = 0;
    for (const [s, c] of runs) {
      for (let i = s; i < s + c; i++) this.unsentSectors[i] = 0;
      n += c;
    }
    this.sectorsLeft -= n;
    return n;
  }

  /** A requested page not yet sent. */
  private nextRequestedPage(): number | undefined {
    while (this.requests.length > 0) {
      const p = this.requests.shift()!;
      if (this.unsent[p] === 1) {
        this.cursor = p + 1;
        return p;
      }
    }
    return undefined;
  }

  /** The sectors of the oldest request not yet sent, as runs (the push goes on after them). */
  private nextRequestedSectors(): Array<readonly [number, number]> {
    while (this.sectorRequests.length > 0) {
      const [first, count] = this.sectorRequests.shift()!;
      const runs = runsOf(this.unsentSectors.subarray(first, first + count)).map(([s, n]) => [first + s, n] as const);
      if (runs.length > 0) {
        this.sectorCursor = first + count;
        return runs;
      }
    }
    return [];
  }

  /** The next batch of pages from the cursor on. */
  private nextBatch(): number[] {
    const n = this.unsent.length;
    const pages: number[] = [];
    for (let i = 0; i < n && pages.length < this.ctx.batchPages; i++) {
      const p = (this.cursor + i) % n;
      if (this.unsent[p] === 1) pages.push(p);
    }
    this.cursor = ((pages[pages.length - 1] ?? this.cursor) + 1) % n;
    return pages;
  }

  /** The next BATCH_SECTORS unsent sectors from the cursor on, as runs. */
  private nextSectorBatch(): Array<readonly [number, number]> {
    const n = this.unsentSectors.length;
    const runs: Array<[number, number]> = [];
    const from = this.sectorCursor;
    let taken = 0;
    for (let i = 0; i < n && taken < BATCH_SECTORS; i++) {
      const s = (from + i) % n;
      if (this.unsentSectors[s] !== 1) continue;
      const last = runs[runs.length - 1];
      if (last && last[0] + last[1] === s) last[1]++;
      else runs.push([s, 1]);
      taken++;
      this.sectorCursor = (s + 1) % n;
    }
    return runs;
  }
}
