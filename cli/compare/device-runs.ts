/**
 * migrate-compare on the workloads with a device — the disk writer and the
 * echo service — between two real `typevisor serve` daemons on 127.0.0.1:
 * a disk's sectors and a guest's open connections are moved by the control
 * plane (migrate --disk-mode, the home agent's relay), not by the engine, so
 * only real daemons are true to them. Wall time; the numbers vary from run
 * to run.
 *
 *   disk-writer  each strategy's run gets its own copy of the same disk file
 *                (random bytes, or zeros, where the guest does not write); the
 *                guest is migrated after --at instructions, while it writes,
 *                with --disk-mode copy or shared, and runs to its end on the
 *                destination. Checked against the same guest never migrated,
 *                on a copy of its own: the console output, and the disk byte
 *                for byte.
 *   echo         a client (echo-client.ts) sends a line every few ms to the
 *                guest's service through a real socket, from before the move
 *                to after it (the source relays the connection then), and
 *                closes; the guest (CONNECTIONS = 1) powers off. Checked: every
 *                byte echoed once, in order, and the console counted exactly
 *                the lines sent.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '../../isa/image.js';
import { parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { migrateRequestOptions, type DiskMode, type MigrateParams } from '../../hypervisor/control/protocol.js';
import type { Comparison, ComparisonSpec, DeviceSetup, EchoSeen, StrategyRun } from '../../hypervisor/lab/compare.js';
import type { DeviceWorkloadName } from '../../hypervisor/lab/workloads.js';
import type { MigrationOutcome } from '../../hypervisor/migration/events.js';
import { measureLoopback } from '../../hypervisor/migration/loopback.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { daemonCapacity, startTourDaemons } from '../control/tour-daemons.js';
import { firstDifference, until } from '../migrate-real.js';
import { echoConsole, EchoClient } from './echo-client.js';

export interface DeviceComparisonSpec extends ComparisonSpec {
  readonly workload: DeviceWorkloadName;
  /** disk-writer: the disk file each run starts from. */
  readonly disk?: { readonly mode: DiskMode; readonly size: number; readonly fill: 'random' | 'zeros' };
}

/** The echo client's line interval (ms), and the lines it has echoed before the move and sends after it. */
const ECHO_INTERVAL_MS = 2;
const ECHO_LINES_BEFORE = 100;
const ECHO_LINES_AFTER = 100;
/** Wait this long at most for the last echoes (ms). */
const DRAIN_MS = 30_000;

type Client = ControlClient;

export async function compareDevicesOverTcp(spec: DeviceComparisonSpec, cliPath: string, cwd: string): Promise<Comparison> {
  if (spec.workload === 'disk-writer' && !spec.disk) throw new Error('migrate-compare: the disk writer needs a disk');
  if (spec.disk) {
    const needs = (spec.params['BLOCKS'] ?? 0) * (spec.params['SECTORS'] ?? 0) * SECTOR_SIZE;
    if (spec.disk.size % SECTOR_SIZE !== 0) throw new Error(`--disk-size must be a whole number of ${SECTOR_SIZE}-byte sectors`);
    if (needs > spec.disk.size) throw new Error(`--disk-size ${spec.disk.size} bytes is smaller than what the disk writer writes (BLOCKS × SECTORS × ${SECTOR_SIZE} = ${needs} bytes)`);
  }
  spec.progress?.('raw loopback TCP…');
  const loopback = await measureLoopback();
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-compare-'));
  // File disks only: the daemons never need a state directory (a copied file arrives beside its path).
  const daemons = await startTourDaemons(cliPath, cwd, 2, ['--capacity', daemonCapacity(spec.memSize)]).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const [a, b] = daemons.daemons;
  const connect = (address: string): Promise<Client> => ControlClient.connect({ address: parseAddress(address), token: daemons.token, client: 'migrate-compare' });
  const image = Buffer.from(writeImage(spec.image)).toString('base64');
  const kernel = `${spec.workload}.s`;
  const runs: StrategyRun[] = [];
  const src = await connect(a!.address);
  const dst = await connect(b!.address);
  try {
    // The disk every run starts from, and the guest never migrated on a copy of its own.
    let template: string | undefined;
    let reference: { console: string; disk: Buffer } | undefined;
    if (spec.disk) {
      template = join(dir, 'template.disk');
      writeFileSync(template, spec.disk.fill === 'random' ? randomBytes(spec.disk.size) : Buffer.alloc(spec.disk.size));
      if (spec.verify !== false) {
        spec.progress?.('the disk writer never migrated…');
        const path = join(dir, 'reference.disk');
        copyFileSync(template, path);
        await src.start({ name: 'compare-reference', kernel, image, memSize: spec.memSize, share: 1, disk: { kind: 'file', path } });
        await until(async () => (await src.stats('compare-reference')).state === 'off', 'the reference run to power off');
        const console = await history(src, 'compare-reference');
        await src.stop('compare-reference');
        reference = { console, disk: readFileSync(path) };
        rmSync(path, { force: true });
      }
    }
    for (const strategy of spec.strategies) {
      spec.progress?.(`${strategy} (over TCP)…`);
      const name = `compare-${strategy}`;
      const migrate = (extra: Partial<MigrateParams>): Promise<MigrationOutcome> =>
        src.migrate({ name, to: b!.address, toToken: daemons.token, strategy, ...migrateRequestOptions(spec.options ?? {}), ...extra }, () => {}).result;
      try {
        if (spec.disk) {
          const path = join(dir, `${strategy}.disk`);
          copyFileSync(template!, path);
          runs.push(await diskRun(spec, { src, dst, name, kernel, image, path, reference, migrate: () => migrate({ diskMode: spec.disk!.mode }) }));
          rmSync(path, { force: true });
        } else {
          runs.push(await echoRun(spec, { src, dst, name, kernel, image, migrate: () => migrate({}) }));
        }
      } finally {
        for (const c of [src, dst]) await c.stop(name).catch(() => undefined);
      }
    }
  } finally {
    src.close();
    dst.close();
    await daemons.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const devices: DeviceSetup = spec.disk ? { disk: spec.disk } : { echo: { intervalMs: ECHO_INTERVAL_MS } };
  return { mode: 'real', workload: spec.workload, params: spec.params, memSize: spec.memSize, link: spec.link, at: spec.at, runs, loopback, devices };
}

interface RunParts {
  readonly src: Client;
  readonly dst: Client;
  readonly name: string;
  readonly kernel: string;
  readonly image: string;
  readonly migrate: () => Promise<MigrationOutcome>;
}

/** The disk writer: started on its copy of the disk, moved while it writes, run to its end wherever it is. */
async function diskRun(
  spec: DeviceComparisonSpec,
  p: RunParts & { readonly path: string; readonly reference: { console: string; disk: Buffer } | undefined },
): Promise<StrategyRun> {
  const { src, dst, name } = p;
  await src.start({ name, kernel: p.kernel, image: p.image, memSize: spec.memSize, share: 1, disk: { kind: 'file', path: p.path } });
  let here = '';
  const watch = src.console(name, true, (bytes) => (here += Buffer.from(bytes).toString('latin1')));
  await until(async () => {
    const s = await src.stats(name);
    return s.instructions >= spec.at || s.state !== 'running';
  }, `${name} to retire ${spec.at} instructions`);
  const before = await src.stats(name);
  if (before.state !== 'running') throw new Error(`migrate-compare: the disk writer was ${before.state} after ${before.instructions} instructions, before --at ${spec.at}: give it more to write (--param BLOCKS=…,SPIN=…) or a smaller --at`);
  const outcome = await p.migrate();
  const strategy = outcome.report.strategy;
  if (outcome.kind !== 'completed') {
    watch.cancel();
    return { strategy, report: outcome.report, verified: null, verdict: `${outcome.kind}: ${outcome.reason}` };
  }
  if (!p.reference) {
    watch.cancel();
    return { strategy, report: outcome.report, verified: null, verdict: 'not checked' };
  }
  await until(async () => (await dst.stats(name)).state === 'off', `${name} to power off on the destination`);
  await watch.result.catch(() => undefined);
  const there = await history(dst, name);
  const out = there.startsWith(here) ? there : here + there;
  const disk = readFileSync(p.path);
  const at = firstByteDiffering(disk, p.reference.disk);
  const verified = out === p.reference.console && at === -1;
  const verdict = verified
    ? 'same output and disk as never migrated'
    : out !== p.reference.console
      ? `console output differs from the unmigrated run: ${firstDifference(out, p.reference.console)}`
      : `the disk differs from the unmigrated run's from byte ${at} (sector ${Math.floor(at / SECTOR_SIZE)})`;
  return { strategy, report: outcome.report, verified, verdict };
}

/** The echo service: a client sending across the move; then it closes and the guest powers off. */
async function echoRun(spec: DeviceComparisonSpec, p: RunParts): Promise<StrategyRun> {
  const { src, dst, name } = p;
  const started = await src.start({ name, kernel: p.kernel, image: p.image, memSize: spec.memSize, share: 1, net: { mode: 'listen', address: '127.0.0.1:0' } });
  const address = /listening on (\S+?):? /.exec(started.net ?? '')?.[1];
  if (!address) throw new Error(`migrate-compare: the echo service's address is not in ${JSON.stringify(started.net)}`);
  let here = '';
  const watch = src.console(name, true, (bytes) => (here += Buffer.from(bytes).toString('latin1')));
  await until(async () => here.startsWith('echo: ready\n') || (await src.stats(name)).state !== 'running', `${name} to be ready`);
  const client = await EchoClient.open(address);
  let seen: EchoSeen | undefined;
  try {
    client.start(ECHO_INTERVAL_MS);
    await until(async () => client.lines.echoed >= ECHO_LINES_BEFORE, `${ECHO_LINES_BEFORE} lines echoed before the move`);
    const outcome = await p.migrate();
    const after = client.lines.sent;
    await until(async () => client.lines.sent >= after + ECHO_LINES_AFTER, `${ECHO_LINES_AFTER} lines sent after the move`);
    seen = await client.finish(DRAIN_MS);
    const strategy = outcome.report.strategy;
    if (outcome.kind !== 'completed') {
      watch.cancel();
      return { strategy, report: outcome.report, verified: seen.inOrder ? null : false, verdict: `${outcome.kind}: ${outcome.reason}`, echo: seen };
    }
    // CONNECTIONS = 1: the guest powers off once it has seen the client hang up.
    await until(async () => (await dst.stats(name)).state === 'off', `${name} to power off on the destination`);
    await watch.result.catch(() => undefined);
    const there = await history(dst, name);
    const out = there.startsWith(here) ? there : here + there;
    const want = `echo: ready\n${echoConsole(client.sentBytes())}`;
    const verified = seen.inOrder && out === want;
    const verdict = !seen.inOrder
      ? `the client got back ${seen.bytesEchoed} bytes for ${seen.bytesSent} sent, not the same bytes in order`
      : out !== want
        ? `the guest's console does not count the lines sent: ${firstDifference(out, want)}`
        : 'every byte echoed once, in order; the console counted every line';
    return { strategy, report: outcome.report, verified, verdict, echo: seen };
  } finally {
    if (!seen) await client.finish(0);
  }
}

/** Everything a VM has printed (it is off, or it stays so). */
async function history(c: Client, name: string): Promise<string> {
  let out = '';
  const call = c.console(name, true, (bytes) => (out += Buffer.from(bytes).toString('latin1')));
  await call.result;
  return out;
}

function firstByteDiffering(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
