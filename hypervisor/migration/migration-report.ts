/**
 * The one record of a migration. The CLI's table, --json, the HTML report
 * and the benchmark all read this and nothing else.
 *
 * Times are milliseconds since the migration started (the HELLO), on the
 * migration's clock: `clock: 'wall'` over TCP, `clock: 'virtual'` on a
 * simulated link — virtual ms at a nominal 100 MIPS (100 000 guest
 * instructions each). Guest progress is in MIPS of guest time (instructions
 * retired plus idle time skipped): on the simulated link a guest running
 * flat out is at exactly 100.
 *
 * Downtime is what the guest sees: from its last instruction on the source
 * (the pause) to its first on the destination (the resume), in three parts:
 *
 *   pause ──finalCopy──▶ STATE sent ──state──▶ STATE_ACK back ──resume──▶ resumed
 *         (dirty pages,               (CPU + devices over,       (GO over, the
 *          guest stopped)              restored there)            vCPU started)
 */
import type { MigrationPhase } from './events.js';
import type { MigrationOptions, StrategyName } from './options.js';

/** What ended pre-copy's rounds: only 'converged' is convergence. */
export type StopRule = 'converged' | 'round cap' | 'byte cap' | 'no progress';

export interface RoundReport {
  /** 0: the full copy. */
  readonly round: number;
  readonly pages: number;
  readonly zeroPages: number;
  readonly bytes: number;
  readonly startMs: number;
  readonly durationMs: number;
  /** Pages the guest wrote while this round was on the wire: what the next round has to send. */
  readonly dirtied: number;
  /** Sent with the guest stopped (the final copy). */
  readonly paused: boolean;
}

export interface DowntimeParts {
  readonly finalCopyMs: number;
  readonly stateMs: number;
  readonly resumeMs: number;
}

export interface PostcopyReport {
  /** Times the destination's vCPU stalled on a page still on the source. */
  readonly faults: number;
  /** Time the vCPU spent stalled on them, in all. */
  readonly stallMs: number;
  /** Pages sent because a fault asked for them, and pushed in the background. */
  readonly requested: number;
  readonly pushed: number;
  /** From the switchover to the last page. */
  readonly durationMs: number;
}

export interface ProgressReport {
  /** Guest MIPS while watched before the migration (null: not watched). */
  readonly beforeMips: number | null;
  /** From the start to the last page at the destination, stalls and downtime included. */
  readonly duringMips: number | null;
  readonly afterMips: number | null;
}

/** One sample of the guest's progress: its own clock (ms of guest time) against the migration's. */
export interface ProgressSample {
  readonly atMs: number;
  readonly guestMs: number;
  readonly side: 'source' | 'destination';
}

export interface MigrationReport {
  readonly version: 1;
  readonly id: string;
  readonly vm: string;
  readonly strategy: StrategyName;
  /** For pre-copy that stalled: what it became (the --on-stall policy acted). */
  readonly finishedAs: StrategyName;
  readonly outcome: 'completed' | 'aborted' | 'interrupted' | 'lost';
  readonly reason: string | null;
  readonly clock: 'virtual' | 'wall';
  /** The transport: `tcp 127.0.0.1:7001`, `simulated 100 MB/s, 0.1 ms`. */
  readonly link: string;
  readonly options: MigrationOptions;
  readonly memBytes: number;
  readonly pages: number;

  /** Start to the destination having every page (or to the abort). */
  readonly totalMs: number;
  /** Last instruction on the source to first on the destination; null if it never switched over. */
  readonly downtimeMs: number | null;
  readonly downtime: DowntimeParts | null;

  readonly bytesSent: number;
  readonly framesSent: number;
  /** Page copies sent (a page resent in a later round counts again). */
  readonly pagesSent: number;
  /** Of those, zero pages (sent as a flag: 5 bytes, not 4 KiB). */
  readonly zeroPages: number;
  /** Pages sent more than once. */
  readonly pagesResent: number;
  readonly rounds: readonly RoundReport[];

  /** Pre-copy: did the dirty set shrink below the downtime limit (null: not pre-copy)? */
  readonly converged: boolean | null;
  /** The rule that ended pre-copy's rounds (null: not pre-copy). */
  readonly stopRule: StopRule | null;
  /** Why pre-copy stopped its rounds, in words. */
  readonly stopReason: string | null;
  /** Bytes per second while the link was sending. */
  readonly bandwidth: number;
  /** Pages the guest dirtied per second while pre-copy ran (0 if it had no rounds while running). */
  readonly dirtyRate: number;
  readonly postcopy: PostcopyReport | null;
  readonly progress: ProgressReport;
  readonly timeline: readonly ProgressSample[];
  readonly phases: readonly { readonly phase: MigrationPhase; readonly atMs: number }[];
  /**
   * Set by whoever moved the guest's network (the daemons, not the engine):
   * connections open at the move, now relayed by the source (its home agent),
   * and the old address the source keeps forwarding new peers from (null: none).
   */
  readonly network?: { readonly relayedConnections: number; readonly listen: string | null };
  /**
   * The guest's disk, when one went with it: counted apart from memory
   * (`bytesSent` above holds both). Copy mode: the engine moved its sectors;
   * shared mode: only its ownership moved (set by the daemons).
   */
  readonly disk?: DiskReport;
}

/** The disk's part of one round (pre-copy's, or stop-and-copy's one). */
export interface DiskRoundReport {
  readonly round: number;
  readonly sectors: number;
  /** Bytes of the round's SECTORS frames, headers included. */
  readonly bytes: number;
  /** Sending them. */
  readonly durationMs: number;
  /** Sectors the guest wrote meanwhile: what the next round has to send. */
  readonly written: number;
  readonly paused: boolean;
}

/**
 * A disk that went with its guest. Copy mode: its sectors went with the
 * memory, by the strategy's own logic — in the pre-copy rounds while the
 * guest ran (the last ones with it paused: the disk's share of the downtime),
 * all of them paused (stop-and-copy), or after the switchover, fetched when
 * the guest read one not yet there and pushed otherwise (post-copy). Shared
 * mode: nothing is sent, only the file's ownership moves at the commit point.
 */
export interface DiskReport {
  readonly mode: 'copy' | 'shared';
  readonly kind: 'file' | 'volume' | 'transient';
  /** The disk's size. */
  readonly diskBytes: number;
  /** Bytes of SECTORS frames, headers included (a sector sent again counts again). */
  readonly bytesSent: number;
  readonly sectorsSent: number;
  /** Of those, sectors sent as zero runs (a flag, no bytes). */
  readonly zeroSectors: number;
  /** Per round before the switchover (none for post-copy). */
  readonly rounds: readonly DiskRoundReport[];
  /** Sectors sent with the guest paused, and the time that took: the disk's share of the downtime. */
  readonly pausedSectors: number;
  readonly pausedMs: number;
  /** Post-copy: sectors sent because a guest read waited for them (fetched on demand), and pushed in the background. */
  readonly fetched: number;
  readonly pushed: number;
  /** Post-copy: guest reads that waited for sectors from the source, and the time they waited in all. */
  readonly readStalls: number;
  readonly stallMs: number;
}

// ---- the table ---------------------------------------------------------------------

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v < 10 ? v.toFixed(3) : v < 1000 ? v.toFixed(1) : v.toFixed(0));

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Guest memory moved per second of the whole migration (bytes/s): memory ÷ total time. */
export function effectiveRate(r: Pick<MigrationReport, 'memBytes' | 'totalMs'>): number {
  return r.totalMs > 0 ? (r.memBytes / r.totalMs) * 1000 : 0;
}

/** Time spent copying memory: the rounds', and post-copy's after the switchover. */
export function copyMs(r: Pick<MigrationReport, 'rounds' | 'postcopy'>): number {
  return r.rounds.reduce((n, x) => n + x.durationMs, 0) + (r.postcopy?.durationMs ?? 0);
}

/** Guest memory moved per second of copying (bytes/s): memory ÷ copyMs. */
export function copyRate(r: Pick<MigrationReport, 'memBytes' | 'rounds' | 'postcopy'>): number {
  const ms = copyMs(r);
  return ms > 0 ? (r.memBytes / ms) * 1000 : 0;
}

/** The unit every time in this report is in, for labels. */
export function timeUnit(r: Pick<MigrationReport, 'clock'>): string {
  return r.clock === 'virtual' ? 'virtual ms' : 'ms';
}

/** The metrics, one per row, for a side-by-side table: [label, value per report]. */
export function reportRows(reports: readonly MigrationReport[]): string[][] {
  const unit = timeUnit(reports[0] ?? { clock: 'virtual' });
  const row = (label: string, f: (r: MigrationReport) => string): string[] => [label, ...reports.map(f)];
  return [
    row('outcome', (r) => (r.outcome === 'completed' && r.finishedAs !== r.strategy ? `completed as ${r.finishedAs}` : r.outcome)),
    row(`total (${unit})`, (r) => ms(r.totalMs)),
    row(`downtime (${unit})`, (r) => ms(r.downtimeMs)),
    row('  final copy', (r) => ms(r.downtime?.finalCopyMs)),
    row('  state', (r) => ms(r.downtime?.stateMs)),
    row('  resume', (r) => ms(r.downtime?.resumeMs)),
    row('bytes sent', (r) => formatBytes(r.bytesSent)),
    row('pages sent', (r) => String(r.pagesSent)),
    row('  zero pages', (r) => String(r.zeroPages)),
    row('  sent more than once', (r) => String(r.pagesResent)),
    row('rounds', (r) => (r.rounds.length === 0 ? '—' : r.rounds.map((x) => `${x.pages}${x.paused ? '*' : ''}`).join(' '))),
    row('converged', (r) => (r.converged === null ? '—' : r.converged ? 'yes' : `no (${r.stopRule ?? '?'})`)),
    row('bandwidth', (r) => `${(r.bandwidth / 1e6).toFixed(1)} MB/s`),
    row('effective rate', (r) => (r.totalMs > 0 ? `${(effectiveRate(r) / 1e6).toFixed(1)} MB/s` : '—')),
    row('dirty rate (pages/s)', (r) => (r.dirtyRate > 0 ? r.dirtyRate.toFixed(0) : '—')),
    row('remote faults', (r) => (r.postcopy ? String(r.postcopy.faults) : '—')),
    row(`  stalled (${unit})`, (r) => (r.postcopy ? ms(r.postcopy.stallMs) : '—')),
    row('guest MIPS before', (r) => mips(r.progress.beforeMips)),
    row('guest MIPS during', (r) => mips(r.progress.duringMips)),
    row('guest MIPS after', (r) => mips(r.progress.afterMips)),
  ];
}

const mips = (v: number | null): string => (v === null ? '—' : v.toFixed(1));

/** One report as a two-column table (what `typevisor migrate` prints at the end). */
export function renderReport(r: MigrationReport): string {
  const rows = reportRows([r]);
  if (r.network) rows.push(['connections relayed', String(r.network.relayedConnections)], ['  forwarded from', r.network.listen ?? '—']);
  if (r.disk) {
    const d = r.disk;
    rows.push([`disk (${d.kind}, ${d.mode})`, formatBytes(d.diskBytes)]);
    if (d.mode === 'copy') {
      rows.push(['  disk bytes sent', formatBytes(d.bytesSent)], ['  sectors sent', String(d.sectorsSent)], ['    zero sectors', String(d.zeroSectors)]);
      rows.push(['  disk rounds', d.rounds.length === 0 ? '—' : d.rounds.map((x) => `${x.sectors}${x.paused ? '*' : ''}`).join(' ')]);
      rows.push([`  disk in downtime (${timeUnit(r)})`, `${ms(d.pausedMs)} (${d.pausedSectors} sectors)`]);
      if (r.postcopy) rows.push(['  sectors fetched on demand', String(d.fetched)], ['  sectors pushed', String(d.pushed)], [`  reads stalled (${timeUnit(r)})`, `${d.readStalls} (${ms(d.stallMs)})`]);
    }
  }
  const w = Math.max(...rows.map((x) => x[0]!.length));
  const head = `${r.vm}: ${r.strategy} over ${r.link}, ${formatBytes(r.memBytes)} of guest memory${r.reason ? ` — ${r.reason}` : ''}`;
  const notes = r.clock === 'virtual' ? ['times are virtual: 1 ms = 100 000 guest instructions (a nominal 100 MIPS)'] : [];
  if (r.stopReason) notes.push(`pre-copy stopped: ${r.stopReason}`);
  if (r.rounds.some((x) => x.paused) || r.disk?.rounds.some((x) => x.paused)) notes.push('* = sent with the guest paused');
  return [head, ...rows.map(([k, v]) => `  ${k!.padEnd(w)}  ${v}`), ...notes.map((n) => `  ${n}`)].join('\n');
}
