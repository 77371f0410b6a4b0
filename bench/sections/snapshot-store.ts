/**
 * The snapshot store (serve --snapshot-every): what periodic live snapshots
 * cost a running 64 MiB guest, on each monitor.
 *
 * A whole daemon in this process (startService, as `typevisor serve` starts
 * it: the native monitor on this thread, the hosted one a worker per VM),
 * one guest at a time: guests/workloads/cpu.s with its RAM filled with data
 * (FILL = 1, so every snapshot stores ~62 MiB) and a CPU loop touching almost
 * no memory. For each monitor it runs the guest for the same wall time
 *   - with no snapshots (the baseline speed),
 *   - saved every 1 s, and
 *   - saved every 10 s,
 * and reports the guest's speed (instructions per second of wall time) and
 * its ratio to the baseline, the pause each snapshot cost the guest (between
 * its pause and its resume: the state and the pages dirtied during the live
 * copy), the time to write each file, and — the native monitor's VMs share
 * the daemon's thread — the longest the event loop was held (perf_hooks'
 * event-loop delay), which every native VM of the daemon waits out.
 *
 * Wall time on a machine shared with other work: the speeds vary run to run
 * (the ratios, measured minutes apart, by ±10% or more). Nothing here fails
 * on a time.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ChalkInstance } from 'chalk';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import { DEFAULT_SHADOW_PAGES } from '../../hypervisor/core/layout.js';
import { startService } from '../../hypervisor/control/service.js';
import { HostedHost } from '../../hypervisor/hosted/host.js';
import { loadWorkload } from '../../hypervisor/lab/workloads.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { PAGE_SIZE } from '../../vm/memmap.js';
import { renderTable } from '../../cli/table.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';

const MiB = 1024 * 1024;

interface Run {
  readonly monitor: MonitorKind;
  /** The period, ms (0: no snapshots). */
  readonly everyMs: number;
  readonly seconds: number;
  /** Guest instructions per second of wall time. */
  readonly ips: number;
  readonly snapshots: number;
  /** The guest's pause for each snapshot, ms. */
  readonly pausedMs: readonly number[];
  /** Each snapshot from its start to the file synced under its name, ms. */
  readonly totalMs: readonly number[];
  readonly bytes: number;
  /** The longest the daemon's event loop was held, ms. */
  readonly maxLoopDelayMs: number;
}

interface Outcome {
  readonly memSize: number;
  readonly runs: readonly Run[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(monitor: MonitorKind, everyMs: number, seconds: number, memSize: number, dir: string): Promise<Run> {
  const capacity = memSize + DEFAULT_SHADOW_PAGES * PAGE_SIZE + 16 * MiB;
  const store = join(dir, `${monitor}-${everyMs}`);
  mkdirSync(store, { recursive: true });
  const service = await startService({
    listen: { host: '127.0.0.1', port: 0 },
    token: 'bench-token-snapshot-store',
    hosts: { native: new NativeMonitor([], { capacity }), hosted: new HostedHost({ capacity, spareThread: true }) },
    stateDir: join(dir, `state-${monitor}-${everyMs}`),
    ...(everyMs > 0 ? { snapshotEvery: { everyMs, dir: store } } : {}),
  });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  try {
    const image = loadWorkload(join(REPO_ROOT, 'guests', 'workloads'), 'cpu', { ITERATIONS: 2_000_000_000, PRINT_EVERY: 1_000_000_000, FILL: 1 }).image;
    const reg = service.host;
    reg.start({ name: 'g', kernel: 'cpu.s', image, memSize, share: 1, monitor });
    // Past the boot's fill of RAM (a 64 MiB guest writes every page first), and one period in.
    await sleep(1500);
    const paused: number[] = [];
    const total: number[] = [];
    let bytes = 0;
    let seen = service.schedule?.info('g').last?.takenAt;
    const i0 = reg.info('g').instructions;
    const t0 = performance.now();
    delay.enable();
    for (let t = 0; t < seconds * 1000; t += 50) {
      await sleep(50);
      const last = service.schedule?.info('g').last;
      if (last && last.takenAt !== seen) {
        seen = last.takenAt;
        paused.push(last.pausedMs);
        total.push(last.totalMs);
        bytes = last.bytes;
      }
    }
    delay.disable();
    const ips = (reg.info('g').instructions - i0) / ((performance.now() - t0) / 1000);
    return { monitor, everyMs, seconds, ips, snapshots: paused.length, pausedMs: paused, totalMs: total, bytes, maxLoopDelayMs: delay.max / 1e6 };
  } finally {
    await service.close();
    await service.done;
  }
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (x: number | null): string => (x === null ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(0));

function render(o: Outcome, c: ChalkInstance): string {
  const rows: string[][] = [['monitor', 'period', 'guest speed (M instr/s)', '× none', 'snapshots', 'paused median (ms)', 'paused max (ms)', 'written in, median (ms)', 'event loop held, max (ms)']];
  for (const r of o.runs) {
    const base = o.runs.find((x) => x.monitor === r.monitor && x.everyMs === 0);
    rows.push([
      r.monitor,
      r.everyMs === 0 ? 'none' : `${r.everyMs / 1000} s`,
      (r.ips / 1e6).toFixed(1),
      base ? `${(r.ips / base.ips).toFixed(2)}×` : '—',
      String(r.snapshots),
      ms(median(r.pausedMs)),
      ms(r.pausedMs.length ? Math.max(...r.pausedMs) : null),
      ms(median(r.totalMs)),
      ms(r.maxLoopDelayMs),
    ]);
  }
  const lines = renderTable([{ align: 'left' }, { align: 'left' }, ...rows[0]!.slice(2).map(() => ({ align: 'right' as const }))], rows);
  lines[0] = c.bold(lines[0]!);
  const bytes = o.runs.find((r) => r.bytes > 0)?.bytes;
  if (bytes) lines.push(c.dim(`each snapshot: ${(bytes / MiB).toFixed(1)} MiB written (cpu.s, ${o.memSize / MiB} MiB filled with data); each run ${o.runs[0]!.seconds} s`));
  return lines.join('\n');
}

export const snapshotStoreSection: BenchSection = {
  name: 'snapshot-store',
  title: 'the snapshot store: periodic live snapshots of a running 64 MiB guest, its pause and its speed (native, hosted; wall time)',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const memSize = (ctx.options.quick ? 16 : 64) * MiB;
    const seconds = ctx.options.quick ? 4 : 21;
    const periods = ctx.options.quick ? [0, 1000] : [0, 1000, 10_000];
    const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-store-'));
    try {
      const runs: Run[] = [];
      for (const monitor of ['native', 'hosted'] as const) {
        for (const everyMs of periods) {
          ctx.progress(`snapshot-store: ${monitor}, ${everyMs === 0 ? 'no snapshots' : `every ${everyMs / 1000} s`} (${seconds} s)…`);
          runs.push(await measure(monitor, everyMs, seconds, memSize, dir));
        }
      }
      const outcome: Outcome = { memSize, runs };
      return { data: outcome, text: render(outcome, ctx.paint), failed: false };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  compare(previous: unknown, current: unknown): Comparison | undefined {
    const a = previous as Outcome | undefined;
    const b = current as Outcome;
    if (!a || !Array.isArray(a.runs) || a.memSize !== b.memSize) return undefined;
    const changes = b.runs.map((r) => {
      const old = a.runs.find((x) => x.monitor === r.monitor && x.everyMs === r.everyMs);
      return { name: `${r.monitor} every ${r.everyMs} ms`, before: old ? median(old.pausedMs) : null, after: median(r.pausedMs) };
    });
    return { lines: changes.filter((x) => x.after !== null).map((x) => `${x.name}: paused ${ms(x.before)} → ${ms(x.after)} ms`), changes };
  },
};
