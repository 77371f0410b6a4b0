/**
 * Migrating a guest out: the source's side of a migration, for any strategy.
 *
 * The session runs the strategy's copy, then the switchover the same way for
 * all: STATE (CPU and devices, and for post-copy which pages stay here), the
 * destination's STATE_ACK, then GO — the commit point. Before GO, any failure
 * (a dropped link, a dead destination, a cancel, a frame that cannot be read,
 * pre-copy that will not converge under --on-stall cancel) aborts: the guest
 * is resumed here exactly as it was, the reason is stated, and the
 * destination discards its copy. From GO on the guest belongs to the
 * destination: a broken link then leaves both sides paused ('interrupted')
 * until recover() reconnects — never running on two sides.
 */
import type { VmHost } from '../core/host.js';
import { encodeVmState } from '../core/state-format.js';
import { Channel } from './channel.js';
import type { MigrationClock } from './clock.js';
import { LinkError, MigrationError, PeerError, QuietPeerError } from './migration-error.js';
import type { AbortCause, MigrationEvent, MigrationOutcome, MigrationPhase } from './events.js';
import { DiskRecorder, SourceRecorder, type DestinationMetrics } from './metrics.js';
import { BATCH_SECTORS, type SourceDisk } from './disk-region.js';
import { expectFrame } from './opening.js';
import { withDefaults, type MigrationOptions, type StrategyName } from './options.js';
import { FrameType, packBitmap, POSTCOPY_ROUND, ProtocolError, SECTOR_BYTES, sectorsFrameSize, StateMode, unpackBitmap, type SectorRun } from './protocol.js';
import type { MigrationReport } from './migration-report.js';
import { MigrationSource } from './source.js';
import { strategyFor } from './strategies/index.js';
import { PostcopyPush } from './strategies/postcopy.js';
import type { Runs, SentRound, SourceContext, Switchover } from './strategies/strategy.js';
import type { DiskRoundReport } from './migration-report.js';
import type { Transport } from './transport.js';

export interface OutgoingConfig {
  /** The host the VM runs on (any monitor). */
  readonly host: VmHost;
  /** The VM's name on this host. */
  readonly vm: string;
  readonly strategy: StrategyName;
  readonly options?: Partial<MigrationOptions>;
  readonly clock: MigrationClock;
  readonly onEvent?: (e: MigrationEvent) => void;
  /** Fixed id (tests); default random. */
  readonly id?: string;
  /**
   * Asked after STATE_ACK, before GO: a rejection aborts the migration (the guest
   * resumes here) instead of committing it. The daemon of a fleet moves the VM's
   * directory entry here, so the directory changes owner at the commit point.
   */
  readonly beforeCommit?: (id: string) => Promise<void>;
  /**
   * The guest's disk, to move with its memory by the strategy's logic
   * (disk-region.ts); the destination must have been given an ArrivingDisk
   * of the same size. Undefined: the disk, if any, is not the engine's
   * business (shared storage).
   */
  readonly disk?: SourceDisk;
}

/** Progress events at most this often: every so many pages, and no closer than so many ms (the last of a round always). */
const PROGRESS_STEP = 64;
const PROGRESS_MS = 10;
/** PAGES frames of a round on their way at once: the next is encoded while the socket writes the last. */
const IN_FLIGHT = 4;
/** How long a failed link is read for the peer's ERROR frame: it is normally there already, and the wait ends with the stream; a loaded machine may take longer. */
const LAST_WORDS_MS = 1000;
/** Sending this long without a pause lets the host's guests run (wall clock: one thread for both). */
const PASS_EVERY_MS = 2;

export class OutgoingMigration {
  readonly id: string;
  phase: MigrationPhase = 'setup';
  private readonly source: MigrationSource;
  private readonly options: MigrationOptions;
  private readonly metrics: SourceRecorder;
  private readonly clock: MigrationClock;
  private channel: Channel | undefined;
  private started = false;
  private committed = false;
  private cancelReason: string | undefined;
  private switchover: Switchover | undefined;
  private push: PostcopyPush | undefined;
  /** Bytes and frames sent on earlier connections (before a recovery). */
  private bytesBefore = 0;
  private framesBefore = 0;
  private busyBefore = 0;
  private link = '';
  private lastProgress = 0;
  private lastProgressAt = 0;
  /** The round on the wire now, for progress events. */
  private round = { round: 0, sent: 0, pages: 0 };
  private lastPass = 0;

  constructor(private readonly config: OutgoingConfig) {
    this.id = config.id ?? randomId();
    this.clock = config.clock;
    this.options = withDefaults(config.options);
    this.source = new MigrationSource(config.host, config.vm);
    this.metrics = new SourceRecorder(this.clock, this.id, config.vm, config.strategy, this.options, this.source.memSize, this.source.pages);
    if (config.disk) this.metrics.disk = new DiskRecorder(config.disk.kind, config.disk.sectors * SECTOR_BYTES);
  }

  /** Run the migration over this connection to the destination. */
  async run(transport: Transport): Promise<MigrationOutcome> {
    if (this.started) throw new MigrationError(`migration ${this.id} has already run; recover() continues an interrupted one`);
    this.started = true;
    const ch = (this.channel = new Channel(transport, this.clock, this.options.bandwidth));
    this.link = transport.description;
    const m = this.metrics;
    try {
      this.checkCancelled();
      await this.observeBefore();
      m.startAt = this.clock.now();
      m.guestAtStart = this.source.guestTime;
      m.sample(this.source.guestTime);
      this.setPhase('setup');
      await ch.send({ type: FrameType.HELLO, id: this.id, memSize: this.source.memSize, strategy: this.config.strategy, observeMs: Math.round(this.options.observeMs), name: this.config.vm });
      await expectFrame(ch, 'setup', FrameType.WELCOME);
      this.checkCancelled();
      const sw = (this.switchover = await strategyFor(this.config.strategy).copy(this.context()));
      this.checkCancelled();
      this.setPhase('switchover');
      // Post-copy with a disk: which sectors stay here, before the state that resumes the guest there.
      const disk = this.config.disk;
      if (disk && sw.kind === 'post-copy') await ch.send({ type: FrameType.DISK_MAP, sectors: disk.sectors, map: packBitmap(sw.diskOnSource ?? new Uint8Array(disk.sectors)) });
      const state = encodeVmState(await this.source.save());
      m.stateAt = this.clock.now();
      await ch.send({ type: FrameType.STATE, mode: sw.kind === 'post-copy' ? StateMode.POSTCOPY : StateMode.COMPLETE, state, onSource: sw.kind === 'post-copy' ? packBitmap(sw.onSource) : new Uint8Array(0) });
      await expectFrame(ch, 'the switchover', FrameType.STATE_ACK);
      m.ackAt = this.clock.now();
      this.checkCancelled();
      if (this.config.beforeCommit) await this.config.beforeCommit(this.id);
      // The commit point: from here the guest is the destination's, whatever happens to the link.
      this.committed = true;
      await ch.send({ type: FrameType.GO });
      return await this.afterGo(ch, false, undefined);
    } catch (e) {
      return this.failed(e);
    }
  }

  /**
   * Cancel: true if the migration will abort (the guest keeps running here);
   * false once the switchover has committed (too late: it completes or is
   * interrupted).
   */
  cancel(reason = 'cancelled'): boolean {
    if (this.committed || this.phase === 'aborted' || this.phase === 'completed') return false;
    this.cancelReason = reason;
    this.channel?.close();
    return true;
  }

  /**
   * Reconnect an interrupted migration and go on from where it broke (the
   * destination says what it lacks; pages in flight are sent again). On an
   * aborted one, tells a destination still holding a copy to discard it.
   */
  async recover(transport: Transport): Promise<MigrationOutcome> {
    if (this.phase !== 'interrupted' && this.phase !== 'aborted') throw new MigrationError(`migration ${this.id} is ${this.phase}: only an interrupted one can be recovered`);
    this.retire();
    const ch = (this.channel = new Channel(transport, this.clock, this.options.bandwidth));
    this.link = transport.description;
    if (this.phase === 'aborted') {
      await ch.fail(FrameType.CANCEL, 'the source aborted this migration before the switchover: discard your copy');
      return { kind: 'aborted', reason: 'aborted before the switchover; the destination was told to discard its copy', phase: 'aborted', report: this.report('aborted', 'aborted before the switchover') };
    }
    try {
      await ch.send({ type: FrameType.RECOVER, id: this.id });
      const st = await expectFrame(ch, 'recovery', FrameType.RECOVER_STATE);
      // With a disk the destination says next which of its sectors it still lacks.
      const disk = this.config.disk;
      let diskMissing: Uint8Array | undefined;
      if (disk) {
        const map = await expectFrame(ch, 'recovery', FrameType.DISK_MAP);
        if (map.sectors !== disk.sectors) throw new ProtocolError('DISK_MAP', 'sectors', 16, `is ${map.sectors}; the disk has ${disk.sectors}`);
        diskMissing = unpackBitmap(map.map, disk.sectors);
      }
      if (!st.running) {
        this.setPhase('switchover', 'reconnected: sending GO again');
        await ch.send({ type: FrameType.GO });
        return await this.afterGo(ch, false, undefined);
      }
      return await this.afterGo(ch, true, unpackBitmap(st.missing, this.source.pages), diskMissing);
    } catch (e) {
      return this.failed(e);
    }
  }

  /** Give up an interrupted migration from this side: the guest is reported lost. */
  abandon(reason = 'abandoned'): MigrationOutcome {
    if (this.phase !== 'interrupted') throw new MigrationError(`migration ${this.id} is ${this.phase}: only an interrupted one can be abandoned`);
    this.retire();
    this.source.discard();
    this.setPhase('lost', reason);
    const why = `the guest is lost: ${reason} (after the switchover neither side has all of it)`;
    this.emit({ kind: 'done', id: this.id, outcome: 'lost', at: this.clock.now() });
    return { kind: 'lost', reason: why, report: this.report('lost', why) };
  }

  // ---- after the commit ------------------------------------------------------------

  private async afterGo(ch: Channel, running: boolean, missing: Uint8Array | undefined, diskMissing?: Uint8Array): Promise<MigrationOutcome> {
    const m = this.metrics;
    const sw = this.switchover!;
    if (!running) {
      const resumed = await expectFrame(ch, 'the switchover', FrameType.RESUMED);
      m.resumedAt = resumed.at;
      m.switchAt = this.clock.now();
    }
    let complete;
    if (sw.kind === 'post-copy') {
      this.setPhase('post-copy');
      m.postcopy = true;
      this.round = { round: POSTCOPY_ROUND, sent: 0, pages: sw.onSource.reduce((n, x) => n + x, 0) };
      this.push ??= new PostcopyPush(
        { source: this.source, metrics: m, batchPages: this.options.batchPages, sendPages: (c, p, r, q) => this.sendPages(c, p, r, q), sendSectors: (c, runs, q) => this.sendSectors(c, runs, POSTCOPY_ROUND, q).then(() => undefined) },
        sw.onSource,
        sw.diskOnSource,
      );
      if (missing) this.push.resync(missing, diskMissing);
      complete = await this.push.run(ch);
    } else {
      complete = await expectFrame(ch, 'completion', FrameType.COMPLETE);
    }
    try {
      m.destination = JSON.parse(complete.metrics) as DestinationMetrics;
      m.completedAt = m.destination.completedAt;
    } catch {
      throw new ProtocolError('COMPLETE', 'metrics', 20, 'is not JSON');
    }
    ch.close();
    this.source.discard();
    this.setPhase('completed');
    this.emit({ kind: 'done', id: this.id, outcome: 'completed', at: this.clock.now() });
    return { kind: 'completed', report: this.report('completed', null) };
  }

  private async failed(e: unknown): Promise<MigrationOutcome> {
    const ch = this.channel!;
    // A link that broke under a write may have carried the destination's reason first.
    if (!this.committed && this.cancelReason === undefined && e instanceof LinkError && !(e instanceof QuietPeerError)) e = (await ch.lastWords(LAST_WORDS_MS)) ?? e;
    const why = this.cancelReason !== undefined ? `cancelled: ${this.cancelReason}` : e instanceof Error ? e.message : String(e);
    if (!this.committed) {
      if (e instanceof PeerError) ch.close();
      else await ch.fail(this.cancelReason !== undefined ? FrameType.CANCEL : FrameType.ERROR, why);
      if (this.source.paused) this.source.resume();
      this.setPhase('aborted', why);
      this.emit({ kind: 'done', id: this.id, outcome: 'aborted', at: this.clock.now() });
      const reason = `${why}; the guest runs on the source, unchanged`;
      return { kind: 'aborted', reason, phase: this.lastActivePhase(), report: this.report('aborted', reason), cause: this.causeOf(e) };
    }
    ch.close();
    this.setPhase('interrupted', why);
    this.emit({ kind: 'done', id: this.id, outcome: 'interrupted', at: this.clock.now() });
    // What this side can know: its own copy is paused for good. The destination runs the guest
    // once it has GO and every page — with a complete switchover that may well be so already.
    const lacking = this.switchover?.kind === 'post-copy' && (this.push === undefined || this.push.unsentCount > 0);
    const reason = lacking
      ? `${why}; after the switchover: both sides paused until the migration is recovered`
      : `${why}; after the switchover: the guest is the destination's (it has every page), this side's copy is paused; recovering learns how it ended there`;
    return { kind: 'interrupted', reason, report: this.report('interrupted', reason) };
  }

  // ---- copying ------------------------------------------------------------------------

  private context(): SourceContext {
    const self = this;
    return {
      source: this.source,
      options: this.options,
      metrics: this.metrics,
      disk: this.config.disk,
      get bytesSent() {
        return self.bytesBefore + self.channel!.bytesSent;
      },
      phase: (p) => this.setPhase(p),
      sendRound: (pages, round, sectors) => this.sendRound(pages, round, sectors ?? []),
      endRound: (sent, dirtied, written = 0) => {
        const { disk, ...pages } = sent as SentRound & { disk?: Omit<DiskRoundReport, 'written'> };
        this.metrics.rounds.push({ ...pages, dirtied });
        if (disk) this.metrics.disk?.rounds.push({ ...disk, written });
        this.emit({ kind: 'round', id: this.id, round: sent.round, pages: sent.pages, dirty: dirtied, at: this.clock.now() });
      },
      pause: async () => {
        if (!this.source.paused) {
          await this.source.pause();
          this.metrics.pauseAt = this.clock.now();
          this.metrics.sample(this.source.guestTime);
        }
      },
    };
  }

  private async sendRound(pages: readonly number[], round: number, sectors: Runs): Promise<SentRound> {
    const ch = this.channel!;
    const start = this.clock.now();
    const bytes0 = ch.bytesSent;
    const zero0 = this.metrics.zeroPages;
    const batch = this.options.batchPages;
    this.round = { round, sent: 0, pages: pages.length };
    // Up to IN_FLIGHT frames queued on the channel (each encoded, its pages copied, when queued).
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < pages.length; i += batch) {
      const batchOf = pages.slice(i, i + batch);
      inFlight.push(this.queuePages(ch, batchOf, round, false));
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      await this.afterPages(ch, batchOf.length);
      this.checkCancelled();
    }
    while (inFlight.length > 0) await inFlight.shift();
    // The disk's sectors in the same round, after the pages (a round is one pass over both spaces).
    let disk: Omit<DiskRoundReport, 'written'> | undefined;
    if (this.config.disk && (sectors.length > 0 || round === 0 || this.source.paused)) {
      const t0 = this.clock.now();
      const sent = await this.sendSectors(ch, sectors, round, false);
      const durationMs = this.clock.now() - t0;
      disk = { round, sectors: sent.sectors, bytes: sent.bytes, durationMs, paused: this.source.paused };
      if (this.source.paused && this.metrics.disk) {
        this.metrics.disk.pausedSectors += sent.sectors;
        this.metrics.disk.pausedMs += durationMs;
      }
    }
    await ch.send({ type: FrameType.ROUND_END, round, pages: pages.length });
    const report: SentRound = { round, pages: pages.length, zeroPages: this.metrics.zeroPages - zero0, bytes: ch.bytesSent - bytes0, startMs: start - this.metrics.startAt, durationMs: this.clock.now() - start, paused: this.source.paused };
    return disk ? ({ ...report, disk } as SentRound) : report;
  }

  /**
   * Sector runs in SECTORS frames of up to BATCH_SECTORS sectors, each run
   * read from the disk as its frame is made (a run of zeros goes as a flag),
   * up to IN_FLIGHT frames on the way at once.
   */
  private async sendSectors(ch: Channel, runs: Runs, round: number, requested: boolean): Promise<{ sectors: number; bytes: number }> {
    const disk = this.config.disk!;
    const d = this.metrics.disk!;
    const inFlight: Promise<void>[] = [];
    let frame: SectorRun[] = [];
    let inFrame = 0;
    let sectors = 0;
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (frame.length === 0) return;
      const size = sectorsFrameSize(frame);
      const sending = ch.send({ type: FrameType.SECTORS, requested, round, runs: frame });
      sending.catch(() => {}); // awaited below, maybe after a later frame's failure
      inFlight.push(sending);
      bytes += size;
      d.bytes += size;
      frame = [];
      inFrame = 0;
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
      if (this.clock.now() - this.lastPass >= PASS_EVERY_MS) {
        await this.clock.pass();
        this.lastPass = this.clock.now();
      }
      this.checkCancelled();
    };
    for (const [first, count] of runs) {
      for (let s = first; s < first + count; ) {
        const n = Math.min(first + count - s, BATCH_SECTORS - inFrame);
        const data = disk.read(s, n);
        const zero = isZeros(data);
        frame.push({ sector: s, count: n, data: zero ? undefined : data });
        d.sectorsSent += n;
        if (zero) d.zeroSectors += n;
        sectors += n;
        inFrame += n;
        s += n;
        if (inFrame >= BATCH_SECTORS) await flush();
      }
    }
    await flush();
    while (inFlight.length > 0) await inFlight.shift();
    return { sectors, bytes };
  }

  /** One PAGES frame, sent: each page read now, a zero page as a flag. */
  private async sendPages(ch: Channel, pages: readonly number[], round: number, requested: boolean): Promise<void> {
    await this.queuePages(ch, pages, round, requested);
    await this.afterPages(ch, pages.length);
  }

  /** Queue one PAGES frame (encoded, its pages copied, now); resolves once the link has taken it. */
  private queuePages(ch: Channel, pages: readonly number[], round: number, requested: boolean): Promise<void> {
    const entries = pages.map((p) => {
      const zero = this.source.isZero(p);
      this.metrics.page(p, zero);
      return { page: p, data: zero ? undefined : this.source.page(p) };
    });
    const sent = ch.send({ type: FrameType.PAGES, requested, round, pages: entries });
    sent.catch(() => {}); // awaited by the caller, maybe after a later frame's failure
    if (!this.committed) this.metrics.sample(this.source.guestTime);
    return sent;
  }

  /** After a frame: let the host's guests run now and then, and say how far the round is. */
  private async afterPages(ch: Channel, count: number): Promise<void> {
    if (this.clock.now() - this.lastPass >= PASS_EVERY_MS) {
      await this.clock.pass();
      this.lastPass = this.clock.now();
    }
    const m = this.metrics;
    const r = this.round;
    r.sent += count;
    const now = this.clock.now();
    if ((m.pagesSent - this.lastProgress >= PROGRESS_STEP && now - this.lastProgressAt >= PROGRESS_MS) || r.sent === r.pages) {
      this.lastProgress = m.pagesSent;
      this.lastProgressAt = now;
      this.emit({ kind: 'progress', id: this.id, bytes: this.bytesBefore + ch.bytesSent, pagesSent: m.pagesSent, pagesTotal: this.source.pages, round: r.round, roundSent: r.sent, roundPages: r.pages, at: now });
    }
  }

  // ---- bookkeeping -----------------------------------------------------------------

  private async observeBefore(): Promise<void> {
    const ms = this.options.observeMs;
    if (ms <= 0) return;
    const t0 = this.clock.now();
    const g0 = this.source.guestTime;
    for (let i = 0; i < 10; i++) {
      this.metrics.sample(this.source.guestTime);
      await this.clock.sleep(ms / 10);
    }
    this.metrics.sample(this.source.guestTime);
    this.metrics.beforeMips = (this.source.guestTime - g0) / (this.clock.now() - t0) / 1000;
  }

  private causeOf(e: unknown): AbortCause {
    if (this.cancelReason !== undefined) return 'cancelled';
    if (e instanceof PeerError) return 'refused';
    if (e instanceof QuietPeerError) return 'quiet';
    if (e instanceof LinkError) return 'link';
    if (e instanceof ProtocolError) return 'bad-frame';
    return 'source';
  }

  private checkCancelled(): void {
    if (this.cancelReason !== undefined) throw new MigrationError(`cancelled: ${this.cancelReason}`);
  }

  private setPhase(phase: MigrationPhase, detail?: string): void {
    this.phase = phase;
    this.metrics.phase(phase);
    this.emit({ kind: 'phase', id: this.id, phase, at: this.clock.now(), ...(detail ? { detail } : {}) });
  }

  private lastActivePhase(): MigrationPhase {
    const ps = this.metrics.phases.filter((p) => p.phase !== 'aborted');
    return ps[ps.length - 1]?.phase ?? 'setup';
  }

  private emit(e: MigrationEvent): void {
    try {
      this.config.onEvent?.(e);
    } catch {
      // an observer's failure is not the migration's
    }
  }

  /** Count what the current channel sent before a new one replaces it. */
  private retire(): void {
    const ch = this.channel;
    if (!ch) return;
    this.bytesBefore += ch.bytesSent;
    this.framesBefore += ch.framesSent;
    this.busyBefore += ch.busyMs;
    ch.close();
    this.channel = undefined;
  }

  private report(outcome: MigrationReport['outcome'], reason: string | null): MigrationReport {
    const ch = this.channel;
    return this.metrics.build(outcome, reason, this.link, this.bytesBefore + (ch?.bytesSent ?? 0), this.framesBefore + (ch?.framesSent ?? 0), this.busyBefore + (ch?.busyMs ?? 0));
  }
}

/** All zero bytes (a word at a time where the view allows). */
function isZeros(b: Uint8Array): boolean {
  const words = b.byteOffset % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2) : undefined;
  if (words) {
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    for (let i = words.length * 4; i < b.length; i++) if (b[i] !== 0) return false;
    return true;
  }
  return b.every((x) => x === 0);
}

/** 16 random bytes in hex: Web Crypto, which Node (globalThis.crypto, 19 on) and browsers share. */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
