/**
 * Migrating a guest in: the destination's side. It creates the VM empty and
 * paused, writes pages as they come, restores the state on STATE and answers
 * STATE_ACK, resumes the guest on GO, and in post-copy turns each stall on a
 * missing page into a PAGE_REQUEST until every page is here; then COMPLETE,
 * with what it measured.
 *
 * Failure: before STATE_ACK, or when the source aborts explicitly, the copy
 * here is discarded (the guest is still on the source). After STATE_ACK
 * without GO, or after GO with pages still missing, a broken link leaves the
 * guest paused here, 'interrupted', until the source reconnects (recover) —
 * or until declareSourceGone(): it then resumes if every page is here, and
 * is otherwise reported lost.
 */
import type { VmHost } from '../core/host.js';
import type { VmState } from '../core/state.js';
import { decodeVmState, VmStateError } from '../core/state-format.js';
import { Channel } from './channel.js';
import type { MigrationClock } from './clock.js';
import { MigrationDestination } from './destination.js';
import { MigrationError, PeerError } from './migration-error.js';
import type { MigrationEvent, MigrationPhase } from './events.js';
import type { DestinationMetrics } from './metrics.js';
import { expectFrame, openingOf, readOpening, type Opening } from './opening.js';
import { FrameType, frameName, HEADER_SIZE, MAX_RUN, packBitmap, POSTCOPY_ROUND, ProtocolError, StateMode, unpackBitmap, type Frame } from './protocol.js';
import type { Transport } from './transport.js';
import type { ArrivingDisk } from './arriving-disk.js';
import { runsOf } from './disk-region.js';

export interface IncomingConfig {
  /** The host the VM is created on (any monitor). */
  readonly host: VmHost;
  readonly clock: MigrationClock;
  readonly onEvent?: (e: MigrationEvent) => void;
  /** Name the VM gets here (default: its name on the source). */
  readonly rename?: string;
  /**
   * The guest memory the destination agreed to take (a daemon checked it
   * when the migration was announced): a HELLO that asks for another size is
   * refused before anything is created. Default: whatever HELLO says.
   */
  readonly memSize?: number;
  /** Its console output here. */
  readonly output?: (bytes: Uint8Array) => void;
  /** What its network device sends here (bound before its first instruction here, as the console is). */
  readonly netOutput?: (bytes: Uint8Array) => void;
  /**
   * Its disk, when the sectors come with the migration (the VM the host
   * creates must be given the same disk as its backend): written as SECTORS
   * arrive; after a post-copy switchover a guest read of a sector not here
   * waits for it (SECTOR_REQUEST).
   */
  readonly disk?: ArrivingDisk;
}

export type IncomingOutcome =
  /** The guest runs here with every page. */
  | { readonly kind: 'completed'; readonly vm: string }
  /** Nothing of the guest is kept here; it runs on the source. */
  | { readonly kind: 'aborted'; readonly vm: string; readonly reason: string }
  /** Paused here, waiting for the source to reconnect. */
  | { readonly kind: 'interrupted'; readonly vm: string; readonly reason: string }
  | { readonly kind: 'lost'; readonly vm: string; readonly reason: string };

/** The longest HELLO.observeMs a destination honours: more would hold the finished migration open (a minute is plenty for a rate). */
export const MAX_OBSERVE_MS = 60_000;

export class IncomingMigration {
  id = '';
  vmName = '';
  phase: MigrationPhase = 'setup';
  private dest: MigrationDestination | undefined;
  private channel: Channel | undefined;
  private stateAcked = false;
  private goReceived = false;
  private observeMs = 0;
  private readonly roundPages = new Map<number, number>();
  // post-copy
  private requested: Uint8Array | undefined;
  private stall: { page: number; at: number } | undefined;
  private faults = 0;
  private stallMs = 0;
  private requests = 0;
  private resumedAt = 0;
  private completedAt = 0;
  private guestAtComplete = 0;
  private readonly samples: [number, number][] = [];
  // the disk (post-copy)
  /** DISK_MAP before STATE: the sectors staying on the source. */
  private diskOnSource: Uint8Array | undefined;
  private sectorsRequested: Uint8Array | undefined;
  private readStall: number | undefined;
  private readStalls = 0;
  private readStallMs = 0;
  private sectorRequests = 0;

  constructor(private readonly config: IncomingConfig) {
    if (config.disk) this.sectorsRequested = new Uint8Array(config.disk.sectors);
  }

  /** Receive a migration: from a transport, or an opening already read (HELLO). */
  async run(from: Transport | Opening): Promise<IncomingOutcome> {
    const ch = (this.channel = 'kind' in from ? from.channel : new Channel(from, this.config.clock));
    try {
      const opening = 'kind' in from ? from : await openingOf(ch);
      if (opening.frame.type !== FrameType.HELLO) throw new ProtocolError('RECOVER', 'header.type', 3, 'opens a recovery, not a migration: use recover()');
      const hello = opening.frame;
      const agreed = this.config.memSize;
      if (agreed !== undefined && hello.memSize !== agreed) throw new ProtocolError('HELLO', 'memSize', HEADER_SIZE + 16, `is ${hello.memSize}; this migration was announced with ${agreed} bytes of guest memory`);
      // The destination watches the guest this long before COMPLETE, the migration open meanwhile.
      if (hello.observeMs > MAX_OBSERVE_MS) throw new ProtocolError('HELLO', 'observeMs', HEADER_SIZE + 21, `is ${hello.observeMs}; at most ${MAX_OBSERVE_MS} ms of watching the guest after it arrives`);
      this.id = hello.id;
      this.vmName = this.config.rename ?? hello.name;
      this.observeMs = hello.observeMs;
      this.setPhase('setup');
      this.dest = new MigrationDestination(this.config.host, this.vmName, hello.memSize, this.config.output, this.config.netOutput);
      this.requested = new Uint8Array(this.dest.pages);
      await ch.send({ type: FrameType.WELCOME });
      await this.untilGo(ch);
      return await this.afterGo(ch, false);
    } catch (e) {
      return this.failed(e);
    }
  }

  /** The source reconnected (its first frame RECOVER, with our id): say what we lack and go on. */
  async recover(from: Transport | Opening): Promise<IncomingOutcome> {
    const opening = 'kind' in from ? from : await this.open(from);
    // 'completed' too: the guest runs here, but the source may not have heard (COMPLETE was lost).
    if ((this.phase !== 'interrupted' && this.phase !== 'completed') || !this.dest || !this.stateAcked) {
      opening.channel.close();
      throw new MigrationError(`migration ${this.id || '?'} is ${this.phase}: nothing to recover here`);
    }
    this.channel?.close();
    const ch = (this.channel = opening.channel);
    try {
      if (opening.frame.type !== FrameType.RECOVER) throw new ProtocolError('HELLO', 'header.type', 3, 'starts a new migration, not a recovery');
      if (opening.id !== this.id) throw new ProtocolError('RECOVER', 'id', HEADER_SIZE, `is ${opening.id}, this migration is ${this.id}`);
      await ch.send({ type: FrameType.RECOVER_STATE, running: this.goReceived, missing: packBitmap(this.dest.missing) });
      const disk = this.config.disk;
      if (disk) await ch.send({ type: FrameType.DISK_MAP, sectors: disk.sectors, map: packBitmap(disk.missing) });
      if (!this.goReceived) {
        await expectFrame(ch, 'recovery', FrameType.GO);
        return await this.afterGo(ch, false);
      }
      this.requested!.fill(0); // what was asked before may have been lost with the link
      this.sectorsRequested?.fill(0);
      return await this.afterGo(ch, true);
    } catch (e) {
      return this.failed(e);
    }
  }

  /**
   * The source is dead (the operator says so). If every page and the state
   * are here the guest resumes here (it runs nowhere else); otherwise it is lost.
   */
  declareSourceGone(): IncomingOutcome {
    const d = this.dest;
    if (this.phase !== 'interrupted' || !d) throw new MigrationError(`migration ${this.id || '?'} is ${this.phase}: nothing waits for its source`);
    this.channel?.close();
    const disk = this.config.disk;
    const sectorsMissing = disk?.missingCount ?? 0;
    if (this.stateAcked && d.missingCount === 0 && sectorsMissing === 0) {
      d.resume();
      this.setPhase('completed', 'the source is gone; every page was here');
      return { kind: 'completed', vm: this.vmName };
    }
    d.guest.onMissingPage = undefined;
    d.discard();
    if (disk) disk.onMissing = undefined;
    const sectors = sectorsMissing > 0 ? ` and ${sectorsMissing} of its disk's ${disk!.sectors} sectors` : '';
    const reason = `the source is gone with ${d.missingCount} of the guest's ${d.pages} pages${sectors}${this.stateAcked ? '' : ' and its CPU state'}: the guest is lost`;
    this.setPhase('lost', reason);
    return { kind: 'lost', vm: this.vmName, reason };
  }

  // ---- before GO ------------------------------------------------------------------

  private async untilGo(ch: Channel): Promise<void> {
    const d = this.dest!;
    for (;;) {
      const f = await ch.receive();
      switch (f.type) {
        case FrameType.PAGES: {
          if (this.stateAcked || f.round === POSTCOPY_ROUND) throw new ProtocolError('PAGES', 'round', HEADER_SIZE + 1, `is ${f.round}: pages before the switchover must belong to a pre-copy round, and come before STATE`);
          if (this.phase === 'setup') this.setPhase('pre-copy');
          f.pages.forEach((e, i) => {
            if (e.page >= d.pages) throw new ProtocolError('PAGES', `entry[${i}].page`, HEADER_SIZE + 5, `is ${e.page}; the guest has ${d.pages} pages`);
            d.writePage(e.page, e.data);
          });
          this.roundPages.set(f.round, (this.roundPages.get(f.round) ?? 0) + f.pages.length);
          break;
        }
        case FrameType.SECTORS: {
          if (this.stateAcked || f.round === POSTCOPY_ROUND) throw new ProtocolError('SECTORS', 'round', HEADER_SIZE + 1, `is ${f.round}: sectors before the switchover must belong to a pre-copy round, and come before STATE`);
          if (this.phase === 'setup') this.setPhase('pre-copy');
          this.receiveSectors(f, false);
          break;
        }
        case FrameType.DISK_MAP: {
          const disk = this.diskFor('DISK_MAP');
          if (this.stateAcked || this.diskOnSource) throw new ProtocolError('DISK_MAP', 'header.type', 3, 'is out of order: one DISK_MAP, before STATE');
          if (f.sectors !== disk.sectors) throw new ProtocolError('DISK_MAP', 'sectors', HEADER_SIZE, `is ${f.sectors}; the disk here has ${disk.sectors}`);
          this.diskOnSource = unpackBitmap(f.map, disk.sectors);
          break;
        }
        case FrameType.ROUND_END: {
          const got = this.roundPages.get(f.round) ?? 0;
          if (got !== f.pages) throw new ProtocolError('ROUND_END', 'pages', HEADER_SIZE + 2, `says round ${f.round} had ${f.pages} pages; ${got} arrived`);
          break;
        }
        case FrameType.STATE: {
          if (this.stateAcked) throw new ProtocolError('STATE', 'header.type', 3, 'is out of order: a second STATE');
          let state: VmState;
          try {
            state = decodeVmState(f.state);
          } catch (e) {
            // The state starts after mode u8 and stateLen u32.
            if (e instanceof VmStateError) throw new ProtocolError('STATE', `state.${e.field}`, HEADER_SIZE + 5 + e.offset, e.problem);
            throw e;
          }
          let onSource: Uint8Array | undefined;
          if (f.mode === StateMode.POSTCOPY) {
            if (f.onSource.length !== Math.ceil(d.pages / 8)) throw new ProtocolError('STATE', 'bitmap', HEADER_SIZE + 9 + f.state.length, `has ${f.onSource.length} bytes; ${d.pages} pages need ${Math.ceil(d.pages / 8)}`);
            onSource = unpackBitmap(f.onSource, d.pages);
            for (let p = 0; p < d.pages; p++) if (d.missing[p] === 1 && onSource[p] === 0) throw new ProtocolError('STATE', 'bitmap', HEADER_SIZE + 9, `says page ${p} is not on the source, and it never arrived here`);
          } else if (d.missingCount > 0) {
            throw new ProtocolError('STATE', 'mode', HEADER_SIZE, `says complete, but ${d.missingCount} pages never arrived`);
          }
          const disk = this.config.disk;
          if (disk) {
            if (f.mode === StateMode.POSTCOPY) {
              // Every sector is here or stays on the source (DISK_MAP); those here but marked are stale.
              const on = this.diskOnSource ?? new Uint8Array(disk.sectors);
              const s = disk.missingNotIn(on);
              if (s >= 0) throw new ProtocolError('STATE', 'mode', HEADER_SIZE, `says post-copy, but disk sector ${s} never arrived and no DISK_MAP says it stays on the source`);
              disk.markOnSource(on);
            } else if (disk.missingCount > 0) {
              throw new ProtocolError('STATE', 'mode', HEADER_SIZE, `says complete, but ${disk.missingCount} disk sectors never arrived`);
            }
          }
          await d.restore(state, onSource);
          await ch.send({ type: FrameType.STATE_ACK });
          this.stateAcked = true;
          this.setPhase('switchover');
          break;
        }
        case FrameType.GO:
          if (!this.stateAcked) throw new ProtocolError('GO', 'header.type', 3, 'is out of order: GO before STATE');
          return;
        default:
          throw new ProtocolError(frameName(f.type), 'header.type', 3, 'is out of order before the switchover');
      }
    }
  }

  // ---- after GO ----------------------------------------------------------------------

  private async afterGo(ch: Channel, resumedBefore: boolean): Promise<IncomingOutcome> {
    const d = this.dest!;
    const clock = this.config.clock;
    this.goReceived = true;
    const disk = this.config.disk;
    if (d.missingCount > 0) d.guest.onMissingPage = (page) => this.onFault(page);
    if (disk && disk.missingCount > 0) disk.onMissing = (sector, count) => this.onReadFault(sector, count);
    d.resume();
    if (!resumedBefore) {
      this.resumedAt = clock.now();
      this.sample();
      await ch.send({ type: FrameType.RESUMED, at: this.resumedAt });
    }
    if (d.missingCount > 0 || (disk?.missingCount ?? 0) > 0) {
      this.setPhase('post-copy');
      if (this.stall) this.request(this.stall.page); // stalled when the link broke: ask again
      for (const [s, n] of disk?.waitingFor() ?? []) this.requestSectors(s, n); // likewise a guest read
      await this.pull(ch);
    }
    if (disk) disk.onMissing = undefined;
    if (this.completedAt === 0) {
      this.completedAt = clock.now();
      this.guestAtComplete = d.guest.time;
    }
    d.guest.onMissingPage = undefined;
    const afterMips = await this.observeAfter();
    const metrics: DestinationMetrics = {
      resumedAt: this.resumedAt,
      completedAt: this.completedAt,
      faults: this.faults,
      stallMs: this.stallMs,
      requested: this.requests,
      samples: this.samples,
      guestAtComplete: this.guestAtComplete,
      afterMips,
      ...(disk ? { readStalls: this.readStalls, readStallMs: this.readStallMs, sectorsRequested: this.sectorRequests } : {}),
    };
    await ch.send({ type: FrameType.COMPLETE, metrics: JSON.stringify(metrics) });
    ch.close();
    this.setPhase('completed');
    return { kind: 'completed', vm: this.vmName };
  }

  private async pull(ch: Channel): Promise<void> {
    const d = this.dest!;
    const clock = this.config.clock;
    const disk = this.config.disk;
    while (d.missingCount > 0 || (disk?.missingCount ?? 0) > 0) {
      const f = await ch.receive();
      if (f.type === FrameType.SECTORS && f.round === POSTCOPY_ROUND) {
        // A sector already here (the guest wrote it, or it came again after a reconnection) is kept.
        this.receiveSectors(f, true);
        if (this.readStall !== undefined && disk!.waitingReads === 0) {
          this.readStallMs += clock.now() - this.readStall;
          this.readStall = undefined;
        }
        this.sample();
        continue;
      }
      if (f.type !== FrameType.PAGES || f.round !== POSTCOPY_ROUND) throw new ProtocolError(frameName(f.type), f.type === FrameType.PAGES || f.type === FrameType.SECTORS ? 'round' : 'header.type', f.type === FrameType.PAGES || f.type === FrameType.SECTORS ? HEADER_SIZE + 1 : 3, 'is out of order: post-copy expects PAGES or SECTORS of the post-copy round');
      f.pages.forEach((e, i) => {
        if (e.page >= d.pages) throw new ProtocolError('PAGES', `entry[${i}].page`, HEADER_SIZE + 5, `is ${e.page}; the guest has ${d.pages} pages`);
        // A page already here (sent again after a reconnection) is not written twice: the guest may have changed it since.
        if (d.missing[e.page] === 1) d.writePage(e.page, e.data);
        if (this.stall?.page === e.page) {
          this.stallMs += clock.now() - this.stall.at;
          this.stall = undefined;
        }
      });
      this.sample();
    }
    this.completedAt = clock.now();
    this.guestAtComplete = d.guest.time;
  }

  /** SECTORS into the disk, every run checked against its size first. */
  private receiveSectors(f: Extract<Frame, { type: FrameType.SECTORS }>, onlyMissing: boolean): void {
    const disk = this.diskFor('SECTORS');
    f.runs.forEach((r, i) => {
      if (r.sector + r.count > disk.sectors) throw new ProtocolError('SECTORS', `run[${i}].sector`, HEADER_SIZE + 5, `is ${r.sector} (+${r.count}); the disk here has ${disk.sectors} sectors`);
    });
    for (const r of f.runs) disk.receive(r.sector, r.count, r.data, onlyMissing);
  }

  private diskFor(frame: string): ArrivingDisk {
    const disk = this.config.disk;
    if (!disk) throw new ProtocolError(frame, 'header.type', 3, 'carries disk sectors, and no disk was set up here for this migration');
    return disk;
  }

  /** A guest read waits for sectors still on the source. */
  private onReadFault(sector: number, count: number): void {
    this.readStalls++;
    this.readStall ??= this.config.clock.now();
    this.sample();
    this.requestSectors(sector, count);
  }

  /** Ask for the sectors of [sector, sector+count) that are missing and not asked for yet. */
  private requestSectors(sector: number, count: number): void {
    const disk = this.config.disk!;
    const asked = this.sectorsRequested!;
    const want = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const s = sector + i;
      if (s < disk.sectors && disk.missing[s] === 1 && asked[s] === 0) want[i] = 1;
    }
    for (const [s, n] of runsOf(want, MAX_RUN)) {
      asked.fill(1, sector + s, sector + s + n);
      this.sectorRequests += n;
      this.channel?.send({ type: FrameType.SECTOR_REQUEST, sector: sector + s, count: n }).catch(() => {
        // the link broke: the receive loop sees it too
      });
    }
  }

  /** The guest stalled on a page still on the source. */
  private onFault(page: number): void {
    this.faults++;
    this.stall = { page, at: this.config.clock.now() };
    this.sample();
    this.emit({ kind: 'fault', id: this.id, page, at: this.stall.at });
    this.request(page);
  }

  private request(page: number): void {
    const r = this.requested!;
    if (r[page] === 1) return; // asked already: on its way
    r[page] = 1;
    this.requests++;
    this.channel?.send({ type: FrameType.PAGE_REQUEST, page }).catch(() => {
      // the link broke: the receive loop sees it too
    });
  }

  // ---- failure ------------------------------------------------------------------------

  private failed(e: unknown): IncomingOutcome {
    const why = e instanceof Error ? e.message : String(e);
    const d = this.dest;
    const ch = this.channel;
    if (!this.stateAcked || (!this.goReceived && e instanceof PeerError)) {
      if (ch && !(e instanceof PeerError)) void ch.fail(FrameType.ERROR, why);
      else ch?.close();
      if (d) {
        d.guest.onMissingPage = undefined;
        d.discard();
      }
      this.setPhase('aborted', why);
      return { kind: 'aborted', vm: this.vmName, reason: `${why}; the copy here was discarded` };
    }
    ch?.close();
    if (!this.goReceived || d!.missingCount > 0 || (this.config.disk?.missingCount ?? 0) > 0) {
      void d!.pause();
      this.setPhase('interrupted', why);
      return { kind: 'interrupted', vm: this.vmName, reason: `${why}; the guest is paused here until the source reconnects` };
    }
    // Every page is here and the guest runs: only the goodbye was lost.
    d!.guest.onMissingPage = undefined;
    this.setPhase('completed', why);
    return { kind: 'completed', vm: this.vmName };
  }

  // ---- bookkeeping ------------------------------------------------------------------

  private open(t: Transport): Promise<Opening> {
    return readOpening(t, this.config.clock);
  }

  private sample(): void {
    const d = this.dest;
    if (d) this.samples.push([this.config.clock.now(), d.guest.time]);
  }

  private async observeAfter(): Promise<number | null> {
    const ms = this.observeMs;
    if (ms <= 0) return null;
    const clock = this.config.clock;
    const vm = this.dest!.guest;
    const t0 = clock.now();
    const g0 = vm.time;
    for (let i = 0; i < 10; i++) {
      await clock.sleep(ms / 10);
      this.sample();
    }
    // A guest that finished meanwhile has no rate after: it stopped running, and its
    // instructions over the whole window would read as a slow guest (0.0 when it was already done).
    if (vm.outcome() !== undefined) return null;
    return (vm.time - g0) / (clock.now() - t0) / 1000;
  }

  private setPhase(phase: MigrationPhase, detail?: string): void {
    this.phase = phase;
    this.emit({ kind: 'phase', id: this.id, phase, at: this.config.clock.now(), ...(detail ? { detail } : {}) });
  }

  private emit(e: MigrationEvent): void {
    try {
      this.config.onEvent?.(e);
    } catch {
      // an observer's failure is not the migration's
    }
  }
}
