/**
 * Post-copy (on-demand paging): stop the guest, send only its CPU and device
 * state, and resume it on the destination at once; its memory follows. A
 * guest access to a page not yet there stalls that vCPU (the shadow pager
 * answers MISSING) while the page is pulled from the source; meanwhile the
 * source pushes the rest in the background, those just after the latest
 * fault first (a guest that touched page p is likely to touch p+1 next).
 * Every page crosses the wire once.
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
import type { MigrationStrategy } from './strategy.js';

export const POST_COPY: MigrationStrategy = {
  name: 'post-copy',
  async copy(ctx) {
    await ctx.pause();
    return { kind: 'post-copy', onSource: new Uint8Array(ctx.source.pages).fill(1) };
  },
};

export interface PushContext {
  readonly source: MigrationSource;
  readonly metrics: SourceRecorder;
  readonly batchPages: number;
  /** Send these pages in one PAGES frame. */
  sendPages(channel: Channel, pages: readonly number[], round: number, requested: boolean): Promise<void>;
}

/** The source's side of post-copy: answer faults, push the rest, until the destination has it all. */
export class PostcopyPush {
  /** 1 for each page not sent yet. */
  private readonly unsent: Uint8Array;
  private left = 0;
  private cursor = 0;
  private readonly requests: number[] = [];
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: PushContext,
    onSource: Uint8Array,
  ) {
    this.unsent = onSource.slice();
    for (const m of this.unsent) this.left += m;
  }

  /** Pages not sent yet (in flight ones count as sent). */
  get unsentCount(): number {
    return this.left;
  }

  /**
   * After a reconnection: the pages the destination still lacks are to be
   * sent (again, if they were in flight when the link broke).
   */
  resync(missing: Uint8Array): void {
    this.left = 0;
    for (let p = 0; p < this.unsent.length; p++) {
      this.unsent[p] = missing[p] === 1 ? 1 : 0;
      this.left += this.unsent[p]!;
    }
    this.requests.length = 0;
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
          } else if (f.type === FrameType.COMPLETE) {
            return f;
          } else {
            throw new ProtocolError(frameName(f.type), 'header.type', 3, 'is out of order: post-copy expects PAGE_REQUEST or COMPLETE');
          }
        }
      } finally {
        failed = true;
        this.wake?.();
      }
    })();
    const pusher = (async () => {
      while (!failed) {
        if (this.left === 0) {
          await new Promise<void>((r) => (this.wake = r));
          this.wake = undefined;
          continue;
        }
        const { pages, requested } = this.next();
        for (const p of pages) this.unsent[p] = 0;
        this.left -= pages.length;
        if (requested) this.ctx.metrics.requested++;
        else this.ctx.metrics.pushed += pages.length;
        await this.ctx.sendPages(channel, pages, POSTCOPY_ROUND, requested);
      }
    })();
    pusher.catch(() => {});
    try {
      return await receiver;
    } catch (e) {
      throw e instanceof Error ? e : new LinkError(String(e));
    }
  }

  /** A requested page not yet sent, else the next batch from the cursor on. */
  private next(): { pages: number[]; requested: boolean } {
    while (this.requests.length > 0) {
      const p = this.requests.shift()!;
      if (this.unsent[p] === 1) {
        this.cursor = p + 1;
        return { pages: [p], requested: true };
      }
    }
    const n = this.unsent.length;
    const pages: number[] = [];
    for (let i = 0; i < n && pages.length < this.ctx.batchPages; i++) {
      const p = (this.cursor + i) % n;
      if (this.unsent[p] === 1) pages.push(p);
    }
    this.cursor = ((pages[pages.length - 1] ?? this.cursor) + 1) % n;
    return { pages, requested: false };
  }
}
