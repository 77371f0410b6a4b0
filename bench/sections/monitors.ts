/**
 * What virtualization costs: the same guest kernel and workload on the bare
 * machine and as a VM under each monitor, timed in the same run.
 *
 * Workloads (each the guest kernel running one user program):
 *   cpu       bench/guests/tight.s — almost no traps: the guest's own code runs
 *             on the real CPU, so a monitor should cost next to nothing.
 *   syscalls  bench/guests/syscalls.s — a system call per iteration: every one
 *             is a trap into the guest kernel, whose privileged instructions on
 *             that path each trap to the monitor and are emulated.
 *
 * Sizes: each run should be mostly the workload, not the boot (a fixed cost,
 * a few milliseconds more under a monitor: the shadow tables built as the
 * kernel maps its memory). When the translation tier came to run the cpu
 * loop at ~7 GIPS, the old sizes (20 M iterations, 20,000 calls) took ~23 ms
 * bare, and the boot was most of the difference: in-process, the platforms
 * in turns, medians of 11 after 8 warm: cpu 0.86× at that size against
 * 0.91× at 5×, syscalls 0.61× against 0.67×; at 1/100 of it (the boot
 * alone, nearly) 0.29× and 0.55×. Hence 5× both.
 *
 * Reported: wall time of the run (after every platform's warm-up, 0.5 s of
 * runs each, the timed runs taking turns: measureInterleaved), guest instructions,
 * and speed relative to bare (bare time ÷ monitor time: 1.00 is no overhead,
 * 0.50 is half speed), in wall time and in the process's CPU time — on a
 * machine shared with other work, wall time measured the neighbours (the
 * syscalls row read 0.44× and 0.87× for the same build an hour apart). Instruction counts must match bare exactly (virtual
 * time), or the row is a failure — except under the hosted monitor, whose
 * virtual time is the host clock: its kernel preempts on host time, so it
 * runs a few more scheduler instructions, and the process table's time
 * column differs (the console output is compared without it). Its vCPU
 * thread is started once and reused, so it is measured warm like the others.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { assemble, formatDiagnostic } from '../../isa/asm/index.js';
import type { Image } from '../../isa/image.js';
import type { MonitorResult } from '../../hypervisor/core/monitor-run.js';
import { HostedMonitor } from '../../hypervisor/hosted/hosted-monitor.js';
import { VcpuThread } from '../../hypervisor/hosted/vcpu-thread.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { BareMachine } from '../../vm/bare.js';
import { RAM_BASE } from '../../vm/memmap.js';
import type { Tier } from '../../vm/machine.js';
import { BenchError } from '../bench-error.js';
import { withParams } from '../guests.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { guestSource, REPO_ROOT } from '../sources.js';
import { median } from '../stats.js';
import { WARMUP_SECONDS } from '../timing.js';
import { renderTable } from '../../cli/table.js';

export interface MonitorWorkload {
  readonly name: string;
  readonly program: string;
  readonly params: Readonly<Record<string, number>>;
  readonly small: Readonly<Record<string, number>>;
  readonly what: string;
}

export const MONITOR_WORKLOADS: readonly MonitorWorkload[] = [
  { name: 'cpu', program: 'tight', params: { ITERATIONS: 100_000_000 }, small: { ITERATIONS: 200_000 }, what: 'tight loop, no traps' },
  { name: 'syscalls', program: 'syscalls', params: { CALLS: 100_000 }, small: { CALLS: 500 }, what: 'getpid in a loop' },
];

/** One way of running the kernel: the bare machine, or a monitor. */
export interface Platform {
  readonly name: string;
  /** Boot and run to power-off; returns what the console printed and the guest's instruction count. */
  run(kernel: Image, tier: Tier): Promise<{ output: string; instructions: number; seconds: number }>;
}

const decoder = new TextDecoder();

export const BARE: Platform = {
  name: 'bare',
  async run(kernel, tier) {
    let out = '';
    const bare = new BareMachine(kernel, { tier, output: (b) => (out += decoder.decode(b)) });
    const t0 = performance.now();
    const r = await bare.run();
    const seconds = (performance.now() - t0) / 1000;
    if (r.kind !== 'poweroff' || r.status !== 0) throw new BenchError(`bare: the kernel did not power off cleanly (${JSON.stringify(r)})`);
    return { output: out, instructions: bare.machine.cpu.instret, seconds };
  },
};

/** Time one monitor run of one VM, which must power off with status 0. */
async function timeMonitor(platform: string, run: () => Promise<MonitorResult>): Promise<{ instructions: number; seconds: number }> {
  const t0 = performance.now();
  const r = await run();
  const seconds = (performance.now() - t0) / 1000;
  const vm = r.vms[0]!;
  if (vm.outcome.kind !== 'poweroff' || vm.outcome.status !== 0) throw new BenchError(`${platform}: the VM did not power off cleanly (${JSON.stringify(vm.outcome)})`);
  return { instructions: vm.instructions, seconds };
}

export const NATIVE: Platform = {
  name: 'native',
  async run(kernel, tier) {
    let out = '';
    const mon = new NativeMonitor([{ name: 'vm1', image: kernel, memSize: 16 * 1024 * 1024 }], { tier, output: (_i, b) => (out += decoder.decode(b)) });
    return { ...(await timeMonitor('native', () => mon.run())), output: out };
  },
};

/** One vCPU thread for every hosted run: measured warm, like the others (a fresh thread is a fresh V8 isolate). */
let hostedThread: VcpuThread | undefined;

export const HOSTED: Platform = {
  name: 'hosted',
  async run(kernel, tier) {
    let out = '';
    hostedThread ??= new VcpuThread().unref();
    const mon = new HostedMonitor({ name: 'vm1', image: kernel, memSize: 16 * 1024 * 1024 }, { tier, thread: hostedThread, output: (b) => (out += decoder.decode(b)) });
    return { ...(await timeMonitor('hosted', () => mon.run())), output: out };
  },
};

/** Platforms measured, bare first. */
export const PLATFORMS: Platform[] = [BARE, NATIVE, HOSTED];

/**
 * Console output as compared with bare's. Under the hosted monitor the guest
 * kernel's process table counts user time on the host clock: that column goes.
 */
export function comparableOutput(platform: string, output: string): string {
  return platform === 'hosted' ? output.replace(/^(\s+\d+  \S+\s+(?:exit \d+|killed \([a-z-]+\)))\s+\d+$/gm, '$1') : output;
}

/** The guest kernel with one program linked in, assembled. */
export function kernelWith(workload: MonitorWorkload, small: boolean): Image {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-'));
  try {
    const src = guestSource(workload.program);
    // The program keeps its own directory for its includes; only its sizes change.
    const program = join(dir, `${workload.program}.s`);
    const text = withParams(readFileSync(src, 'utf8'), small ? workload.small : workload.params).replace(/\.include "([^"/][^"]*)"/g, (_m, rel: string) => `.include "${join(dirname(src), rel)}"`);
    writeFileSync(program, text);
    const top = [
      `.include "${join(REPO_ROOT, 'guests/kernel/core.s')}"`,
      '.data',
      '.align 4',
      'programs:',
      `    program "${workload.program}", "${program}", PROG_BOOT, ""`,
      'program_table_end',
    ].join('\n');
    const file = join(dir, 'kernel.s');
    writeFileSync(file, top + '\n');
    const r = assemble(top + '\n', { filename: file, defaultTextBase: RAM_BASE });
    if (!r.ok) throw new BenchError(`the ${workload.name} kernel does not assemble:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`);
    return r.image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Cell {
  readonly platform: string;
  readonly seconds: number;
  readonly instructions: number;
  /** bare time ÷ this time */
  readonly speed: number;
  /** The process's CPU time (user + system, every thread), median of the runs. */
  readonly cpuSeconds: number;
  /** bare CPU time ÷ this CPU time: steadier than `speed` while other work shares the machine. */
  readonly cpuSpeed: number;
}

interface Row {
  readonly workload: string;
  readonly what: string;
  readonly cells: readonly Cell[];
  readonly failure?: string;
}

interface MonitorsOutcome {
  readonly tier: Tier;
  readonly size: string;
  readonly runs: number;
  /** Seconds of warm-up each platform had (0: one run, --quick). */
  readonly warmupSeconds: number;
  readonly rows: readonly Row[];
}

interface Measured {
  readonly output: string;
  readonly instructions: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/**
 * Every platform warmed up first, then the timed runs interleaved — bare,
 * native, hosted, bare, native, … — so that neither the order (the first to
 * run in a process pays to warm the code they share) nor a neighbour's load
 * arriving halfway through lands on one platform alone. A platform that
 * fails is dropped from the later rounds with its error.
 */
async function measureInterleaved(ps: readonly Platform[], kernel: Image, tier: Tier, runs: number, warmup: number, progress: (what: string) => void, workload: string): Promise<(Measured | BenchError)[]> {
  const out: (Measured | BenchError | undefined)[] = ps.map(() => undefined);
  const times: number[][] = ps.map(() => []);
  const cpuTimes: number[][] = ps.map(() => []);
  const last: ({ output: string; instructions: number; seconds: number } | undefined)[] = ps.map(() => undefined);
  const once = async (i: number, timed: boolean): Promise<void> => {
    if (out[i] instanceof BenchError) return;
    try {
      const c0 = process.cpuUsage();
      const r = await ps[i]!.run(kernel, tier);
      const c = process.cpuUsage(c0);
      if (!timed) return; // warm-up: V8 compiles the interpreter and monitor paths
      last[i] = r;
      times[i]!.push(r.seconds);
      cpuTimes[i]!.push((c.user + c.system) / 1e6);
    } catch (e) {
      if (!(e instanceof BenchError)) throw e;
      out[i] = e;
    }
  };
  // Warm-up rounds, the platforms in turns, until each has run for WARMUP_SECONDS (at least
  // one round): one run was not enough for the native monitor's own paths, whose first runs
  // read 1.3–2× its later ones once the guest's translations are shared (vm/jit/region-cache.ts).
  const warmed = ps.map(() => 0);
  for (let round = 1; round === 1 || (warmup > 0 && warmed.some((s, i) => s < warmup && !(out[i] instanceof BenchError))); round++) {
    for (let i = 0; i < ps.length; i++) {
      progress(`monitors: ${workload} on ${ps[i]!.name} (warm-up ${round})`);
      const t0 = performance.now();
      await once(i, false);
      warmed[i]! += (performance.now() - t0) / 1000;
    }
  }
  for (let k = 0; k < runs; k++) {
    progress(`monitors: ${workload}, round ${k + 1} of ${runs}`);
    for (let i = 0; i < ps.length; i++) await once(i, true);
  }
  return ps.map((_, i) => out[i] ?? { ...last[i]!, seconds: median(times[i]!), cpuSeconds: median(cpuTimes[i]!) });
}

export async function runMonitors(ctx: SectionContext, platforms: readonly Platform[] = PLATFORMS): Promise<MonitorsOutcome> {
  const o = ctx.options;
  const small = o.size === 'small';
  const runs = o.quick ? 1 : Math.min(o.runs, 5);
  // Monitors run the default tier; the interpreter section compares tiers.
  const tier: Tier = o.tiers.includes('jit') ? 'jit' : 'interp';
  const warmupSeconds = o.quick ? 0 : WARMUP_SECONDS;
  const rows: Row[] = [];
  for (const w of MONITOR_WORKLOADS) {
    const kernel = kernelWith(w, small);
    const cells: Cell[] = [];
    let failure: string | undefined;
    let bare: Measured | undefined;
    const measured = await measureInterleaved(platforms, kernel, tier, runs, warmupSeconds, (what) => ctx.progress(what), w.name);
    platforms.forEach((p, i) => {
      const r = measured[i]!;
      if (r instanceof BenchError) {
        failure = r.message;
        return;
      }
      bare ??= r;
      if (comparableOutput(p.name, r.output) !== comparableOutput(p.name, bare.output)) failure = `${p.name}: the console output differs from bare`;
      else if (r.instructions !== bare.instructions && p.name !== 'hosted') failure = `${p.name}: ${r.instructions} guest instructions, bare ran ${bare.instructions}`;
      cells.push({ platform: p.name, seconds: r.seconds, instructions: r.instructions, speed: bare.seconds / r.seconds, cpuSeconds: r.cpuSeconds, cpuSpeed: bare.cpuSeconds / r.cpuSeconds });
    });
    rows.push({ workload: w.name, what: w.what, cells, ...(failure ? { failure } : {}) });
  }
  return { tier, size: o.size, runs, warmupSeconds, rows };
}

function render(outcome: MonitorsOutcome, paint: ChalkInstance): string {
  const platforms = outcome.rows[0]?.cells.map((c) => c.platform) ?? [];
  const head = ['workload', 'instr.', ...platforms.flatMap((p) => (p === 'bare' ? ['bare'] : [p, 'speed', 'cpu']))];
  const body = outcome.rows.map((r) => {
    const cells = r.cells.flatMap((c) => {
      const t = c.seconds < 1 ? `${(c.seconds * 1000).toFixed(1)} ms` : `${c.seconds.toFixed(2)} s`;
      // Results saved before the CPU column existed have no cpuSpeed.
      const cpu = typeof c.cpuSpeed === 'number' ? `${c.cpuSpeed.toFixed(2)}×` : '-';
      return c.platform === 'bare' ? [t] : [t, `${c.speed.toFixed(2)}×`, cpu];
    });
    return [r.workload, `${((r.cells[0]?.instructions ?? 0) / 1e6).toFixed(1)} M`, ...cells];
  });
  const columns = head.map((_, i) => ({ align: i === 0 ? ('left' as const) : ('right' as const) }));
  const lines = renderTable(columns, [head, ...body]);
  for (const r of outcome.rows) if (r.failure) lines.push(paint.red(`${r.workload}: ${r.failure}`));
  lines.push(
    paint.dim(`the guest kernel running one program: ${MONITOR_WORKLOADS.map((w) => `${w.name} = ${w.what}`).join('; ')}`),
    paint.dim(`tier ${outcome.tier}; median of ${outcome.runs} run${outcome.runs === 1 ? '' : 's'} after ${outcome.warmupSeconds > 0 ? `${outcome.warmupSeconds} s of warm-up` : 'one warm-up run'} each, the platforms taking turns run by run; speed = bare time ÷ monitor time (1.00× = no overhead)`),
    paint.dim('cpu = the same ratio on the process\'s CPU time (user + system, all threads): steadier than wall time when other work shares the machine'),
  );
  return lines.join('\n');
}

export const monitorsSection: BenchSection = {
  name: 'monitors',
  title: 'virtualization overhead: the guest kernel bare and under each monitor',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const outcome = await runMonitors(ctx);
    return { data: outcome, text: render(outcome, ctx.paint), failed: outcome.rows.some((r) => r.failure !== undefined) };
  },

  compare(previous: unknown, current: unknown, paint: ChalkInstance): Comparison | undefined {
    const a = previous as MonitorsOutcome | undefined;
    const b = current as MonitorsOutcome;
    if (!a || !Array.isArray(a.rows) || a.size !== b.size || a.tier !== b.tier) return undefined;
    const changes = b.rows.flatMap((r) =>
      r.cells.map((c) => {
        const old = a.rows.find((x) => x.workload === r.workload)?.cells.find((x) => x.platform === c.platform);
        return { name: `${r.workload} on ${c.platform}`, before: old?.seconds ?? null, after: c.seconds };
      }),
    );
    const lines = changes.map((c) =>
      c.before === null ? `${c.name}: ${paint.dim('not in the previous run')}` : `${c.name}: ${(c.before * 1000).toFixed(1)} → ${(c.after * 1000).toFixed(1)} ms (${c.after >= c.before ? '+' : '−'}${Math.abs((100 * (c.after - c.before)) / c.before).toFixed(1)}%)`,
    );
    return { lines, changes };
  },
};
