/**
 * Snapshots: how long saving and restoring a 64 MiB guest takes, how big the
 * file is, and how soon a restored guest runs again — eager (every page read
 * before it resumes) against lazy (it resumes at once; pages are read from
 * the file as it touches them, the rest in the background).
 *
 * Two guests on the native monitor (one VmHost, as a daemon has it):
 *   filled  guests/workloads/fill.s: every page from 2 MiB up holds data;
 *           after the restore it is sent a byte and checksums all of its
 *           memory (so a lazy restore pages everything in)
 *   idle    guests/workloads/idle.s with FILL = 0: a timer loop in a mostly
 *           zero 64 MiB (zero pages are a flag in the file)
 * Time to first instruction: from the start of the restore (the file opened)
 * until the guest has retired an instruction past the one it was saved at.
 * For the idle guest that moment is set by its own wait for the timer: a
 * 64 MiB idle guest that is only paused and resumed on the native monitor,
 * never saved, takes as long (~0.5 s here) to retire its next instruction, so
 * its eager and lazy columns are alike.
 * Wall time, varying run to run; nothing here fails on a time. A checksum
 * after the restore that differs from the one before fails the section.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Guest } from '../../hypervisor/core/host.js';
import { DEFAULT_SHADOW_PAGES } from '../../hypervisor/core/layout.js';
import { loadWorkload, type WorkloadName } from '../../hypervisor/lab/workloads.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { captureGuest } from '../../hypervisor/snapshot/capture.js';
import { encodeSnapshot } from '../../hypervisor/snapshot/snapshot-format.js';
import { openSnapshotFile, writeFileAtomic } from '../../hypervisor/snapshot/snapshot-file.js';
import { fillEager, startLazy } from '../../hypervisor/snapshot/restore.js';
import { PAGE_SIZE } from '../../vm/memmap.js';
import { renderTable } from '../../cli/table.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';

const MiB = 1024 * 1024;

interface Restore {
  /** From opening the file to the guest resumed. */
  readonly resumeMs: number;
  /** From opening the file to an instruction retired past the saved one. */
  readonly firstInstructionMs: number;
  /** filled: from opening the file to the checksum after the restore printed. */
  readonly workMs: number | null;
  /** lazy: from opening the file to every page loaded. */
  readonly loadedMs: number | null;
}

interface GuestRun {
  readonly guest: 'filled' | 'idle';
  readonly memSize: number;
  readonly fileBytes: number;
  readonly pagesStored: number;
  readonly pages: number;
  readonly snapshotMs: number;
  readonly pausedMs: number;
  readonly eager: Restore;
  readonly lazy: Restore;
  readonly verified: boolean;
}

interface Outcome {
  readonly memSize: number;
  readonly runs: readonly GuestRun[];
}

const until = async (what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> => {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`snapshot bench: timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
};

async function measure(kind: 'filled' | 'idle', memSize: number, dir: string, progress: (m: string) => void): Promise<GuestRun> {
  const workload: WorkloadName = kind === 'filled' ? 'fill' : 'idle';
  const image = loadWorkload(join(REPO_ROOT, 'guests', 'workloads'), workload, kind === 'idle' ? { FILL: 0, TICKS: 1_000_000 } : {}).image;
  const host = new NativeMonitor([], { capacity: 2 * (memSize + DEFAULT_SHADOW_PAGES * PAGE_SIZE) });
  const serving = host.serve();
  try {
    let out = '';
    const source = host.add({ name: 'source', image, memSize, output: (b) => (out += Buffer.from(b).toString()) });
    progress(`snapshot: ${kind} guest booting…`);
    await until(`${kind} to start`, () => (kind === 'filled' ? /checksum \d+/.test(out) : /tick/.test(out)));
    const before = /checksum (\d+)/.exec(out)?.[1];

    progress(`snapshot: saving the ${kind} guest…`);
    const file = join(dir, `${kind}.snap`);
    const t0 = performance.now();
    const capture = await captureGuest(source, { live: false });
    const encoded = encodeSnapshot({ info: { takenOn: 'native', kernel: `${workload}.s`, memSize }, state: capture.state, memory: capture.memory });
    const fileBytes = writeFileAtomic(file, encoded.pieces);
    const snapshotMs = performance.now() - t0;
    host.remove('source');

    let verified = true;
    const restore = async (lazy: boolean): Promise<Restore> => {
      progress(`snapshot: restoring the ${kind} guest ${lazy ? 'lazily' : 'eagerly'}…`);
      let text = '';
      const start = performance.now();
      const f = openSnapshotFile(file, { pages: !lazy });
      const g: Guest = host.add({ name: 'restored', memSize, output: (b) => (text += Buffer.from(b).toString()) });
      let loaded: Promise<unknown> = Promise.resolve();
      if (lazy) loaded = (await startLazy(g, f, () => (verified = false))).done;
      else {
        await fillEager(g, f);
        f.close();
      }
      const savedAt = f.contents.state.cpu.instret;
      g.resume();
      const resumeMs = performance.now() - start;
      if (kind === 'filled') g.input(new TextEncoder().encode('x'));
      await until('the first instruction', () => g.instructions > savedAt);
      const firstInstructionMs = performance.now() - start;
      let workMs: number | null = null;
      if (kind === 'filled') {
        await until('the checksum', () => /checksum \d+/.test(text));
        workMs = performance.now() - start;
        if (/checksum (\d+)/.exec(text)?.[1] !== before) verified = false;
      }
      await loaded;
      const loadedMs = lazy ? performance.now() - start : null;
      host.remove('restored');
      return { resumeMs, firstInstructionMs, workMs, loadedMs };
    };
    const eager = await restore(false);
    const lazy = await restore(true);
    return { guest: kind, memSize, fileBytes, pagesStored: encoded.pagesPresent, pages: memSize / PAGE_SIZE, snapshotMs, pausedMs: capture.pausedMs, eager, lazy, verified };
  } finally {
    await host.close();
    await serving;
  }
}

const ms = (x: number | null): string => (x === null ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const size = (b: number): string => (b >= MiB ? `${(b / MiB).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

function render(o: Outcome, c: ChalkInstance): string {
  const rows = [
    ['', ...o.runs.map((r) => `${r.guest} ${o.memSize / MiB} MiB`)],
    ['file size', ...o.runs.map((r) => size(r.fileBytes))],
    ['pages stored', ...o.runs.map((r) => `${r.pagesStored} of ${r.pages}`)],
    ['snapshot (ms)', ...o.runs.map((r) => ms(r.snapshotMs))],
    ['  guest paused (ms)', ...o.runs.map((r) => ms(r.pausedMs))],
    ['eager restore: resumed (ms)', ...o.runs.map((r) => ms(r.eager.resumeMs))],
    ['  first instruction (ms)', ...o.runs.map((r) => ms(r.eager.firstInstructionMs))],
    ['  checksum of all memory (ms)', ...o.runs.map((r) => ms(r.eager.workMs))],
    ['lazy restore: resumed (ms)', ...o.runs.map((r) => ms(r.lazy.resumeMs))],
    ['  first instruction (ms)', ...o.runs.map((r) => ms(r.lazy.firstInstructionMs))],
    ['  checksum of all memory (ms)', ...o.runs.map((r) => ms(r.lazy.workMs))],
    ['  every page loaded (ms)', ...o.runs.map((r) => ms(r.lazy.loadedMs))],
    ['first instruction, eager ÷ lazy', ...o.runs.map((r) => `${(r.eager.firstInstructionMs / r.lazy.firstInstructionMs).toFixed(1)}×`)],
  ];
  const lines = renderTable([{ align: 'left' }, ...o.runs.map(() => ({ align: 'right' as const }))], rows);
  lines[0] = c.bold(lines[0]!);
  const bad = o.runs.filter((r) => !r.verified).map((r) => r.guest);
  if (bad.length > 0) lines.push(c.red(`the restored guest's memory differed from the saved one: ${bad.join(', ')}`));
  return lines.join('\n');
}

export const snapshotSection: BenchSection = {
  name: 'snapshot',
  title: 'snapshots: save and restore a 64 MiB guest (filled, idle), file sizes, time to first instruction eager vs lazy (wall time)',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const memSize = (ctx.options.quick ? 16 : 64) * MiB;
    const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-snap-'));
    try {
      const runs = [await measure('filled', memSize, dir, ctx.progress), await measure('idle', memSize, dir, ctx.progress)];
      const outcome: Outcome = { memSize, runs };
      return { data: outcome, text: render(outcome, ctx.paint), failed: runs.some((r) => !r.verified) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  compare(previous: unknown, current: unknown): Comparison | undefined {
    const a = previous as Outcome | undefined;
    const b = current as Outcome;
    if (!a || !Array.isArray(a.runs) || a.memSize !== b.memSize) return undefined;
    const changes = b.runs.map((r) => {
      const old = a.runs.find((x) => x.guest === r.guest);
      return { name: r.guest, before: old ? old.snapshotMs : null, after: r.snapshotMs };
    });
    return { lines: changes.map((x) => `${x.name} snapshot: ${ms(x.before)} → ${ms(x.after)} ms`), changes };
  },
};
