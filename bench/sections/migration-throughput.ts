/**
 * Migration throughput over real TCP, against what this machine's loopback
 * can carry: a guest whose memory is full of non-zero data (guests/workloads/
 * fill.s: no page goes as a zero flag) migrated between two `typevisor
 * serve` daemons on 127.0.0.1 — stop-and-copy (every byte while paused) and
 * post-copy (downtime: the state alone) — with the raw loopback TCP rate
 * measured in the same run. After each migration the guest checksums its
 * memory again on the destination; a checksum different from the one it
 * printed on the source (or from the pattern's) fails the section. Wall
 * time: the numbers vary from run to run, and no time ever fails it.
 */
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { writeImage } from '../../isa/image.js';
import { daemonCapacity, startTourDaemons } from '../../cli/control/tour-daemons.js';
import { parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { measureLoopback, type LoopbackRate } from '../../hypervisor/migration/loopback.js';
import type { StrategyName } from '../../hypervisor/migration/options.js';
import { copyMs, copyRate, effectiveRate, formatBytes, type MigrationReport } from '../../hypervisor/migration/migration-report.js';
import { formatRate } from '../../hypervisor/migration/transports/simulated.js';
import { loadWorkload } from '../../hypervisor/lab/workloads.js';
import { RAM_BASE } from '../../vm/memmap.js';
import type { BenchSection, Comparison as Changes, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';
import { renderTitledTable } from '../bench-report.js';

const MiB = 1024 * 1024;
/** fill.s: its pattern starts here and runs to the end of RAM. */
const WS_BASE = 0x80200000;
/** Give up on one step after this long (ms). */
const STEP_TIMEOUT = 120_000;

export interface FilledRun {
  readonly strategy: StrategyName;
  /** The column's heading: the strategy, and `cold` for a destination whose RAM no guest had used yet. */
  readonly label: string;
  readonly report: MigrationReport;
  /** The checksum the guest printed on the source, then on the destination. */
  readonly before: number | null;
  readonly after: number | null;
  /** Both equal the pattern's own checksum. */
  readonly verified: boolean;
}

export interface FilledMigration {
  readonly memSize: number;
  readonly loopback: LoopbackRate;
  readonly runs: readonly FilledRun[];
}

/** fill.s's checksum of a guest with `memSize` bytes of RAM: h = h·31 + word over [WS_BASE, end). */
export function fillChecksum(memSize: number, seed = 0x13579bdf): number {
  let h = 0;
  const end = RAM_BASE + memSize;
  for (let a = WS_BASE; a < end; a += 4) h = (Math.imul(h, 31) + ((a + seed) | 0)) | 0;
  return h >>> 0;
}

/**
 * Start fill.s with `memSize` on one daemon, wait until it has filled and
 * checksummed its memory, migrate it to the other, make it checksum again
 * there; for each strategy. Daemons started and stopped here.
 */
export async function migrateFilled(options: { memSize: number; strategies: readonly StrategyName[]; progress?: (m: string) => void; loopbackBytes?: number }): Promise<FilledMigration> {
  const { memSize, strategies } = options;
  const progress = options.progress ?? (() => {});
  progress('raw loopback TCP…');
  const loopback = await measureLoopback({ bytes: options.loopbackBytes ?? Math.max(memSize, 64 * MiB) });
  const image = Buffer.from(writeImage(loadWorkload(join(REPO_ROOT, 'guests', 'workloads'), 'fill').image)).toString('base64');
  const expected = fillChecksum(memSize);
  const daemons = await startTourDaemons(join(REPO_ROOT, 'dist', 'cli', 'main.js'), REPO_ROOT, 2, ['--capacity', daemonCapacity(memSize)]);
  const [a, b] = daemons.daemons;
  const connect = (address: string): Promise<ControlClient> => ControlClient.connect({ address: parseAddress(address), token: daemons.token, client: 'bench' });
  const runs: FilledRun[] = [];
  try {
    for (const [i, strategy] of strategies.entries()) {
      // The first migration lands in RAM the destination daemon has never used: the OS maps it in, page by page, as the VM is created.
      const label = i === 0 ? `${strategy}, cold` : strategy;
      const name = `fill-${i}-${strategy}`;
      const src = await connect(a!.address);
      const dst = await connect(b!.address);
      try {
        progress(`${strategy}: filling ${formatBytes(memSize)}…`);
        await src.start({ name, kernel: 'fill.s', image, memSize, share: 1 });
        let here = '';
        const watch = src.console(name, true, (bytes) => (here += Buffer.from(bytes).toString('latin1')));
        await until(() => /pass 1 checksum (\d+)/.test(here), `${name} to fill its memory`);
        watch.cancel();
        const before = Number(/pass 1 checksum (\d+)/.exec(here)![1]);
        progress(`${strategy}: migrating ${formatBytes(memSize)}…`);
        const outcome = await src.migrate({ name, to: b!.address, toToken: daemons.token, strategy }, () => {}).result;
        let after: number | null = null;
        if (outcome.kind === 'completed') {
          let there = '';
          const follow = dst.console(name, true, (bytes) => (there += Buffer.from(bytes).toString('latin1')));
          await dst.input(name, new TextEncoder().encode('c'));
          await until(() => /pass 2 checksum (\d+)/.test(there), `${name} to checksum its memory on the destination`);
          follow.cancel();
          after = Number(/pass 2 checksum (\d+)/.exec(there)![1]);
        }
        runs.push({ strategy, label, report: outcome.report, before, after, verified: before === expected && after === expected });
        await src.stop(name).catch(() => {});
        await dst.stop(name).catch(() => {});
      } finally {
        src.close();
        dst.close();
      }
    }
  } finally {
    await daemons.stop();
  }
  return { memSize, loopback, runs };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > STEP_TIMEOUT) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** HELLO until the copy (or the switchover) starts: the destination creating the (empty) VM. */
function setupMs(r: MigrationReport): number | null {
  return r.rounds[0]?.startMs ?? r.phases.find((p) => p.phase !== 'setup')?.atMs ?? null;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v < 10 ? v.toFixed(3) : v.toFixed(1));

/** The table: one column per strategy. */
export function filledRows(o: FilledMigration): string[][] {
  const raw = o.loopback.rate;
  const row = (label: string, f: (r: FilledRun) => string): string[] => [label, ...o.runs.map(f)];
  return [
    ['', ...o.runs.map((r) => r.label)],
    row('outcome', (r) => r.report.outcome),
    row('total (ms)', (r) => ms(r.report.totalMs)),
    row('  setup (ms)', (r) => ms(setupMs(r.report))),
    row('downtime (ms)', (r) => ms(r.report.downtimeMs)),
    row('copy (ms)', (r) => ms(copyMs(r.report))),
    row('bytes sent', (r) => formatBytes(r.report.bytesSent)),
    row('effective rate (memory ÷ total)', (r) => formatRate(effectiveRate(r.report))),
    row('  ÷ raw loopback', (r) => `${(effectiveRate(r.report) / raw).toFixed(2)}×`),
    row('copy rate (memory ÷ copy time)', (r) => formatRate(copyRate(r.report))),
    row('  ÷ raw loopback', (r) => `${(copyRate(r.report) / raw).toFixed(2)}×`),
    row('checksum on arrival', (r) => (r.verified ? 'ok' : 'WRONG')),
  ];
}

interface Outcome extends FilledMigration {
  readonly size: string;
}

function render(o: Outcome, paint: ChalkInstance): string {
  const rows = filledRows(o);
  const out = renderTitledTable(paint, [
    `fill.s, ${formatBytes(o.memSize)} of non-zero guest memory, two typevisor serve daemons over TCP on 127.0.0.1 (wall time)`,
    `raw loopback TCP on this machine: ${formatRate(o.loopback.rate)} (${formatBytes(o.loopback.bytes)} in ${o.loopback.ms.toFixed(0)} ms, one connection, 1 MiB writes)`,
  ], rows, 1);
  for (const r of o.runs) if (!r.verified) out.push(paint.red(`${r.label}: the guest's checksum on arrival is ${r.after ?? 'missing'}, expected ${fillChecksum(o.memSize)} (printed ${r.before} on the source)`));
  out.push(
    paint.dim('times are wall time and vary from run to run; setup = HELLO until the copy starts (the destination creates the VM); copy = the rounds (and post-copy) on the wire'),
    paint.dim('cold: the destination daemon had never used that RAM, so creating the VM maps it in from the OS page by page (in setup); later runs reuse it, as a long-running daemon does'),
  );
  return out.join('\n');
}

export const migrationThroughputSection: BenchSection = {
  name: 'migration-throughput',
  title: 'live migration throughput over real TCP: a guest full of data between two daemons, against raw loopback (wall time)',

  async run(ctx: SectionContext): Promise<SectionRun> {
    // --quick is a smoke test (16 MiB); --small 64 MiB; the full size is the 256 MiB the issue measures.
    const size = ctx.options.quick ? 'quick' : ctx.options.size === 'small' ? 'small' : 'full';
    const memSize = { quick: 16, small: 64, full: 256 }[size] * MiB;
    const r = await migrateFilled({ memSize, strategies: ['stop-and-copy', 'stop-and-copy', 'post-copy'], progress: (m) => ctx.progress(`migration-throughput: ${m}`) });
    const outcome: Outcome = { ...r, size };
    return { data: outcome, text: render(outcome, ctx.paint), failed: r.runs.some((x) => !x.verified || x.report.outcome !== 'completed') };
  },

  compare(previous: unknown, current: unknown): Changes | undefined {
    const a = previous as Outcome | undefined;
    const b = current as Outcome;
    if (!a || !Array.isArray(a.runs) || a.size !== b.size || !a.loopback) return undefined;
    const changes = b.runs.map((r) => {
      const old = a.runs.find((x) => x.label === r.label);
      return { name: r.label, before: old ? effectiveRate(old.report) / a.loopback.rate : null, after: effectiveRate(r.report) / b.loopback.rate };
    });
    const lines = changes.map((c) => `${c.name}: ${c.before === null ? '—' : `${c.before.toFixed(2)}×`} → ${c.after.toFixed(2)}× raw loopback`);
    return { lines, changes };
  },
};
