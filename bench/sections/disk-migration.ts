/**
 * A VM's disk on migration (`migrate --disk-mode copy|shared`): a guest of
 * 64 MiB with a 64 MiB disk file (random bytes: every piece has to be sent)
 * that keeps writing its disk (guests/workloads/disk-writer.s) is migrated
 * between two `typevisor serve` daemons on 127.0.0.1, once per strategy and
 * disk mode. Reported per run: the whole migration's time, the guest's
 * downtime and the disk's share of it (its last sectors sent with the guest
 * stopped), memory and disk bytes, the disk's rounds, and in post-copy the
 * sectors fetched on demand. Every run's guest must then finish on the destination with
 * every block it wrote checked (else the section fails); wall time, never a
 * time threshold.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChalkInstance } from 'chalk';
import { writeImage } from '../../isa/image.js';
import { assembleFile } from '../../isa/asm/index.js';
import { daemonCapacity, startTourDaemons } from '../../cli/control/tour-daemons.js';
import { renderTitledTable } from '../bench-report.js';
import { parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import type { DiskMode } from '../../hypervisor/control/protocol.js';
import { STRATEGY_NAMES, type StrategyName } from '../../hypervisor/control/engine.js';
import { formatBytes } from '../../hypervisor/migration/migration-report.js';
import { RAM_BASE } from '../../vm/memmap.js';
import type { BenchSection, Comparison as Changes, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';

export interface DiskMigrationRun {
  readonly strategy: StrategyName;
  readonly mode: DiskMode;
  readonly totalMs: number;
  /** The guest's whole pause. */
  readonly downtimeMs: number | null;
  readonly memBytesSent: number;
  readonly diskBytesSent: number;
  /** Sectors per round before the switchover; paused: sent with the guest stopped. */
  readonly diskRounds: readonly { readonly sectors: number; readonly paused: boolean }[];
  /** Post-copy: sectors a guest read waited for (fetched on demand). */
  readonly fetched: number;
  /** The disk's share of the downtime: sending its last sectors with the guest stopped. */
  readonly diskDowntimeMs: number;
  /** The guest finished on the destination, every block it wrote read back as written. */
  readonly verified: boolean;
}

interface Outcome {
  readonly size: string;
  readonly memBytes: number;
  readonly diskBytes: number;
  readonly runs: readonly DiskMigrationRun[];
}

const MiB = 1024 * 1024;

/** The writer: 512 blocks of 8 sectors (2 MiB at the disk's start), at a rate that keeps it writing through the move. */
const WRITER = { BLOCKS: 512, SPIN: 200_000 };

function writerImage(dir: string, params: { readonly BLOCKS: number; readonly SPIN: number }): string {
  const workloads = join(REPO_ROOT, 'guests', 'workloads');
  let text = readFileSync(join(workloads, 'disk-writer.s'), 'utf8');
  for (const [k, v] of Object.entries({ ...params, SECTORS: 8, PRINT_EVERY: 1 })) text = text.replace(new RegExp(`^${k}( *)= *\\d+`, 'm'), `${k}$1= ${v}`);
  const path = join(dir, 'writer.s');
  writeFileSync(path, text.replace(/^\.include "([^"]+)"/m, (_, inc: string) => `.include "${join(workloads, inc)}"`));
  const r = assembleFile(path, { defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error('disk-writer.s does not assemble');
  return Buffer.from(writeImage(r.image)).toString('base64');
}

export async function measureDiskMigration(o: { memBytes: number; diskBytes: number; strategies: readonly StrategyName[]; modes: readonly DiskMode[]; progress?: (m: string) => void; writer?: { readonly BLOCKS: number; readonly SPIN: number } }): Promise<DiskMigrationRun[]> {
  const progress = o.progress ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-diskmig-'));
  // (A file disk needs no state directory: neither daemon takes one.)
  const daemons = await startTourDaemons(join(REPO_ROOT, 'dist', 'cli', 'main.js'), REPO_ROOT, 2, ['--capacity', daemonCapacity(o.memBytes)]);
  const [a, b] = daemons.daemons;
  const client = (address: string): Promise<ControlClient> => ControlClient.connect({ address: parseAddress(address), token: daemons.token, client: 'bench' });
  const runs: DiskMigrationRun[] = [];
  const image = writerImage(dir, o.writer ?? WRITER);
  const original = join(dir, 'original.disk');
  writeFileSync(original, randomBytes(o.diskBytes));
  const src = await client(a!.address);
  const dst = await client(b!.address);
  try {
    for (const mode of o.modes) {
      for (const strategy of o.strategies) {
        const name = `dw-${strategy}-${mode}`;
        const disk = join(dir, `${name}.disk`);
        copyFileSync(original, disk);
        progress(`disk-migration: ${strategy}, --disk-mode ${mode}…`);
        await src.start({ name, kernel: 'disk-writer.s', image, memSize: o.memBytes, share: 1, monitor: 'native', disk: { kind: 'file', path: disk } });
        for (let i = 0; (await src.stats(name)).consoleBytes === 0; i++) {
          if (i > 400) throw new Error(`${name} did not start writing`);
          await new Promise((r) => setTimeout(r, 10));
        }
        const t0 = performance.now();
        const outcome = await src.migrate({ name, to: b!.address, toToken: daemons.token, strategy, diskMode: mode }, () => {}).result;
        const wall = performance.now() - t0;
        if (outcome.kind !== 'completed') throw new Error(`the migration of ${name} did not complete: ${outcome.reason}`);
        const r = outcome.report;
        let info = await dst.stats(name);
        for (let i = 0; info.state !== 'off' && i < 3000; i++) {
          await new Promise((res) => setTimeout(res, 20));
          info = await dst.stats(name);
        }
        runs.push({
          strategy,
          mode,
          totalMs: wall,
          downtimeMs: r.downtimeMs,
          memBytesSent: r.bytesSent - (r.disk?.bytesSent ?? 0),
          diskBytesSent: r.disk?.bytesSent ?? 0,
          diskRounds: (r.disk?.rounds ?? []).map((x) => ({ sectors: x.sectors, paused: x.paused })),
          fetched: r.disk?.fetched ?? 0,
          diskDowntimeMs: r.disk?.pausedMs ?? 0,
          verified: info.state === 'off' && info.status === 0,
        });
        await dst.stop(name).catch(() => {});
        rmSync(disk, { force: true });
      }
    }
  } finally {
    src.close();
    dst.close();
    await daemons.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}

const ms = (v: number | null): string => (v === null ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(0));

function render(o: Outcome, paint: ChalkInstance): string {
  const rows = [
    ['strategy', '--disk-mode', 'total (ms)', 'downtime (ms)', '  of it disk', 'memory bytes', 'disk bytes', 'disk rounds (sectors)', 'fetched on demand', 'guest check'],
    ...o.runs.map((r) => [
      r.strategy,
      r.mode,
      ms(r.totalMs),
      ms(r.downtimeMs),
      r.mode === 'copy' ? ms(r.diskDowntimeMs) : '—',
      formatBytes(r.memBytesSent),
      formatBytes(r.diskBytesSent),
      r.diskRounds.length ? r.diskRounds.map((x) => `${x.sectors}${x.paused ? '*' : ''}`).join(' ') : '—',
      r.mode === 'copy' && r.strategy !== 'pre-copy' && r.strategy !== 'stop-and-copy' ? String(r.fetched) : '—',
      r.verified ? 'ok' : 'WRONG',
    ]),
  ];
  return renderTitledTable(paint, [`a ${formatBytes(o.memBytes)} guest with a ${formatBytes(o.diskBytes)} disk file, writing it, migrated between two typevisor serve daemons on 127.0.0.1 (wall time)`], rows, 2, [
    'total: the migrate request; downtime: the guest\'s last instruction here to its first there; of it disk: sending the last sectors with the guest stopped (* in the rounds)',
    'the disk\'s sectors go with the memory, by the strategy\'s logic: pre-copy rounds while the guest runs, all of it paused (stop-and-copy), or after the switchover (post-copy: fetched when the guest reads one, pushed otherwise)',
  ]).join('\n');
}

export const diskMigrationSection: BenchSection = {
  name: 'disk-migration',
  title: 'a VM\'s disk on migration: every strategy, --disk-mode copy and shared (wall time)',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const size = ctx.options.quick ? 'quick' : 'full';
    // --quick is a smoke test: an 8 MiB guest and disk.
    const bytes = size === 'quick' ? 8 * MiB : 64 * MiB;
    const runs = await measureDiskMigration({ memBytes: bytes, diskBytes: bytes, strategies: STRATEGY_NAMES, modes: ['copy', 'shared'], progress: (m) => ctx.progress(m) });
    const outcome: Outcome = { size, memBytes: bytes, diskBytes: bytes, runs };
    return { data: outcome, text: render(outcome, ctx.paint), failed: runs.some((r) => !r.verified) };
  },

  compare(previous: unknown, current: unknown): Changes | undefined {
    const a = previous as Outcome | undefined;
    const b = current as Outcome;
    if (!a || !Array.isArray(a.runs) || a.size !== b.size) return undefined;
    const changes = b.runs.map((r) => {
      const old = a.runs.find((x) => x.strategy === r.strategy && x.mode === r.mode);
      return { name: `${r.strategy} ${r.mode}`, before: old ? old.downtimeMs : null, after: r.downtimeMs };
    });
    return { lines: changes.map((c) => `${c.name}: guest downtime ${ms(c.before)} ms → ${ms(c.after)} ms`), changes };
  },
};
