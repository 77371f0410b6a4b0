/**
 * What the source measures while it migrates, and the report built from it
 * (with what the destination measured, sent back in COMPLETE).
 */
import { TICKS_PER_MS, type MigrationClock } from './clock.js';
import type { MigrationPhase } from './events.js';
import type { MigrationOptions, StrategyName } from './options.js';
import type { DiskReport, DiskRoundReport, MigrationReport, PostcopyReport, ProgressSample, RoundReport, StopRule } from './migration-report.js';

/** What the destination reports in COMPLETE (JSON). */
export interface DestinationMetrics {
  readonly resumedAt: number;
  readonly completedAt: number;
  readonly faults: number;
  readonly stallMs: number;
  readonly requested: number;
  /** [clock ms, guest ticks] after the resume. */
  readonly samples: readonly (readonly [number, number])[];
  /** The guest's clock (ticks) when the last page arrived. */
  readonly guestAtComplete: number;
  readonly afterMips: number | null;
  /** Post-copy with a disk: guest reads that waited for sectors, the time they waited, the sectors asked for. */
  readonly readStalls?: number;
  readonly readStallMs?: number;
  readonly sectorsRequested?: number;
}

/** What the source counts of a disk that moves with the guest. */
export class DiskRecorder {
  sectorsSent = 0;
  zeroSectors = 0;
  bytes = 0;
  readonly rounds: DiskRoundReport[] = [];
  pausedSectors = 0;
  pausedMs = 0;
  fetched = 0;
  pushed = 0;

  constructor(
    readonly kind: DiskReport['kind'],
    readonly diskBytes: number,
  ) {}

  build(d: DestinationMetrics | undefined): DiskReport {
    return {
      mode: 'copy',
      kind: this.kind,
      diskBytes: this.diskBytes,
      bytesSent: this.bytes,
      sectorsSent: this.sectorsSent,
      zeroSectors: this.zeroSectors,
      rounds: this.rounds,
      pausedSectors: this.pausedSectors,
      pausedMs: this.pausedMs,
      fetched: this.fetched,
      pushed: this.pushed,
      readStalls: d?.readStalls ?? 0,
      stallMs: d?.readStallMs ?? 0,
    };
  }
}

/** At most this many progress samples per side in a report. */
const MAX_SAMPLES = 400;

export class SourceRecorder {
  startAt = 0;
  private readonly sent: Uint16Array;
  pagesSent = 0;
  zeroPages = 0;
  readonly rounds: RoundReport[] = [];
  readonly phases: { phase: MigrationPhase; atMs: number }[] = [];
  private readonly samples: [number, number][] = [];
  pauseAt: number | undefined;
  stateAt: number | undefined;
  ackAt: number | undefined;
  resumedAt: number | undefined;
  switchAt: number | undefined;
  completedAt: number | undefined;
  guestAtStart = 0;
  beforeMips: number | null = null;
  converged: boolean | null = null;
  stopRule: StopRule | null = null;
  stopReason: string | null = null;
  finishedAs: StrategyName;
  pushed = 0;
  requested = 0;
  postcopy = false;
  destination: DestinationMetrics | undefined;
  /** The guest's disk, when it moves with it. */
  disk: DiskRecorder | undefined;

  constructor(
    private readonly clock: MigrationClock,
    readonly id: string,
    readonly vm: string,
    readonly strategy: StrategyName,
    readonly options: MigrationOptions,
    readonly memBytes: number,
    pages: number,
  ) {
    this.sent = new Uint16Array(pages);
    this.finishedAs = strategy;
  }

  now(): number {
    return this.clock.now();
  }

  phase(phase: MigrationPhase): void {
    this.phases.push({ phase, atMs: this.now() - this.startAt });
  }

  /** When the first page copy went out (undefined: none yet). */
  private firstPageAt: number | undefined;

  /** A page copy is on its way. */
  page(n: number, zero: boolean): void {
    this.firstPageAt ??= this.now();
    if (this.sent[n]! < 0xffff) this.sent[n]!++;
    this.pagesSent++;
    if (zero) this.zeroPages++;
  }

  /** The guest's clock now, on the source. */
  sample(guestTicks: number): void {
    this.samples.push([this.now(), guestTicks]);
  }

  build(outcome: MigrationReport['outcome'], reason: string | null, link: string, bytesSent: number, framesSent: number, busyMs: number): MigrationReport {
    const end = this.completedAt ?? this.now();
    let resent = 0;
    for (const c of this.sent) if (c > 1) resent++;
    const running = this.rounds.filter((r) => !r.paused);
    const runningMs = running.reduce((n, r) => n + r.durationMs, 0);
    const d = this.destination;
    const resumedAt = d?.resumedAt ?? this.resumedAt;
    const downtime =
      this.pauseAt !== undefined && this.stateAt !== undefined && this.ackAt !== undefined && resumedAt !== undefined
        ? { finalCopyMs: this.stateAt - this.pauseAt, stateMs: this.ackAt - this.stateAt, resumeMs: resumedAt - this.ackAt }
        : null;
    const copyMs = this.rounds.reduce((n, r) => n + r.durationMs, 0) + (this.postcopy && this.switchAt !== undefined ? end - this.switchAt : 0);
    // The time the bytes took. The finished rounds' time — unless the migration ended in the
    // middle of one (cancelled, aborted): that round's bytes went out too, so count from the
    // first page on (without it a Ctrl-C showed 32 MB/s for a 500 KB/s link).
    const unfinished = outcome !== 'completed' && this.firstPageAt !== undefined ? end - this.firstPageAt : 0;
    const sendingMs = Math.max(copyMs > 0 ? copyMs : busyMs, unfinished);
    const postcopy: PostcopyReport | null = this.postcopy
      ? { faults: d?.faults ?? 0, stallMs: d?.stallMs ?? 0, requested: this.requested, pushed: this.pushed, durationMs: this.switchAt !== undefined ? end - this.switchAt : 0 }
      : null;
    const timeline: ProgressSample[] = [
      ...thin(this.samples).map(([t, g]) => ({ atMs: t - this.startAt, guestMs: g / TICKS_PER_MS, side: 'source' as const })),
      ...thin(d?.samples ?? []).map(([t, g]) => ({ atMs: t - this.startAt, guestMs: g / TICKS_PER_MS, side: 'destination' as const })),
    ];
    const totalMs = end - this.startAt;
    return {
      version: 1,
      id: this.id,
      vm: this.vm,
      strategy: this.strategy,
      finishedAs: this.finishedAs,
      outcome,
      reason,
      clock: this.clock.kind,
      link,
      options: this.options,
      memBytes: this.memBytes,
      pages: this.sent.length,
      totalMs,
      downtimeMs: downtime ? downtime.finalCopyMs + downtime.stateMs + downtime.resumeMs : null,
      downtime,
      bytesSent,
      framesSent,
      pagesSent: this.pagesSent,
      zeroPages: this.zeroPages,
      pagesResent: resent,
      rounds: this.rounds,
      converged: this.converged,
      stopRule: this.stopRule,
      stopReason: this.stopReason,
      bandwidth: (bytesSent / Math.max(sendingMs, 1e-9)) * 1000,
      dirtyRate: runningMs > 0 ? (running.reduce((n, r) => n + r.dirtied, 0) / runningMs) * 1000 : 0,
      postcopy,
      progress: {
        beforeMips: this.beforeMips,
        // Stop-and-copy pauses the guest for the whole migration: there is no "during" to measure.
        duringMips: d && outcome === 'completed' && this.finishedAs !== 'stop-and-copy' && d.completedAt > this.startAt ? (d.guestAtComplete - this.guestAtStart) / (d.completedAt - this.startAt) / 1000 : null,
        afterMips: d?.afterMips ?? null,
      },
      timeline,
      phases: this.phases,
      ...(this.disk ? { disk: this.disk.build(d) } : {}),
    };
  }
}

/** Every k-th sample (and the last), so a report stays small. */
function thin<T>(samples: readonly T[]): T[] {
  if (samples.length <= MAX_SAMPLES) return [...samples];
  const k = Math.ceil(samples.length / MAX_SAMPLES);
  const out = samples.filter((_, i) => i % k === 0);
  if ((samples.length - 1) % k !== 0) out.push(samples[samples.length - 1]!);
  return out;
}
