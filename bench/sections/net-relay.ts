/**
 * What a relayed connection costs: the echo service (guests/workloads/echo.s)
 * on one `typevisor serve` daemon, a client doing small round trips to it;
 * the VM migrates to a second daemon while the connection stays open — the
 * first daemon now relays its bytes (the home agent, hypervisor/control/
 * home-agent.ts) — and the same round trips go on over the relay; then a
 * new connection straight to the destination's own listener does them too.
 * The extra latency of the relay is relayed minus direct-to-destination.
 * Every reply is checked to be the bytes sent (a wrong one fails the
 * section); wall time, never a time threshold.
 */
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import type { ChalkInstance } from 'chalk';
import { writeImage } from '../../isa/image.js';
import { startTourDaemons } from '../../cli/control/tour-daemons.js';
import { parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import type { MonitorKind } from '../../hypervisor/core/host.js';
import { assembleFile } from '../../isa/asm/index.js';
import { RAM_BASE } from '../../vm/memmap.js';
import type { BenchSection, Comparison as Changes, SectionContext, SectionRun } from '../section.js';
import { REPO_ROOT } from '../sources.js';
import { renderTitledTable } from '../bench-report.js';

/** One round trip: 8 bytes, no newline (the service counts lines on its console; these stay off it). */
const PING = Buffer.from('pingpong');

export interface LatencyStats {
  readonly trips: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  /** Absent from runs saved before it was measured. */
  readonly p99Ms?: number;
  readonly meanMs: number;
}

export interface RelayRun {
  readonly monitor: MonitorKind;
  /** Straight to the source daemon's listener, before the move. */
  readonly before: LatencyStats;
  /** The same connection after the move: relayed by the source to the destination. */
  readonly relayed: LatencyStats;
  /** A new connection straight to the destination's own listener. */
  readonly direct: LatencyStats;
  /** Every reply was the bytes sent. */
  readonly verified: boolean;
}

interface Outcome {
  readonly size: string;
  readonly runs: readonly RelayRun[];
}

async function open(address: string): Promise<Socket> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** `trips` round trips of PING on `s` (after a few to warm up); false in `ok` if a reply was not PING. */
async function roundTrips(s: Socket, trips: number, ok: { value: boolean }): Promise<LatencyStats> {
  const times: number[] = [];
  let got = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  const onData = (d: Buffer): void => {
    got = Buffer.concat([got, d]);
    wake?.();
  };
  s.on('data', onData);
  for (let i = -20; i < trips; i++) {
    const t0 = performance.now();
    s.write(PING);
    while (got.length < PING.length) await new Promise<void>((r) => (wake = r));
    if (i >= 0) times.push(performance.now() - t0);
    if (!got.subarray(0, PING.length).equals(PING)) ok.value = false;
    got = got.subarray(PING.length);
  }
  s.off('data', onData);
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(times.length * q))]!;
  return { trips, medianMs: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), meanMs: times.reduce((a, b) => a + b, 0) / times.length };
}

export async function measureRelay(options: { trips: number; monitors: readonly MonitorKind[]; progress?: (m: string) => void }): Promise<RelayRun[]> {
  const progress = options.progress ?? (() => {});
  const r = assembleFile(join(REPO_ROOT, 'guests', 'workloads', 'echo.s'), { defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error('guests/workloads/echo.s does not assemble');
  const image = Buffer.from(writeImage(r.image)).toString('base64');
  const daemons = await startTourDaemons(join(REPO_ROOT, 'dist', 'cli', 'main.js'), REPO_ROOT, 2);
  const [a, b] = daemons.daemons;
  const client = (address: string): Promise<ControlClient> => ControlClient.connect({ address: parseAddress(address), token: daemons.token, client: 'bench' });
  const runs: RelayRun[] = [];
  try {
    for (const monitor of options.monitors) {
      const name = `echo-${monitor}`;
      const src = await client(a!.address);
      const dst = await client(b!.address);
      try {
        const info = await src.start({ name, kernel: 'echo.s', image, memSize: 4 * 1024 * 1024, share: 1, monitor, net: { mode: 'listen', address: '127.0.0.1:0' } });
        const address = /listening on (\S+): /.exec(info.net ?? '')![1]!;
        const ok = { value: true };
        const conn = await open(address);
        progress(`net-relay: ${monitor}: round trips straight to the source…`);
        const before = await roundTrips(conn, options.trips, ok);
        progress(`net-relay: ${monitor}: migrating…`);
        const outcome = await src.migrate({ name, to: b!.address, toToken: daemons.token, strategy: 'pre-copy' }, () => {}).result;
        if (outcome.kind !== 'completed') throw new Error(`the migration of ${name} did not complete: ${outcome.reason}`);
        progress(`net-relay: ${monitor}: round trips over the relay…`);
        const relayed = await roundTrips(conn, options.trips, ok);
        conn.destroy();
        const there = (await dst.list()).find((v) => v.name === name);
        const fresh = /listening on (\S+): /.exec(there?.net ?? '')![1]!;
        // The guest takes the next peer once it has seen the first one close.
        let direct: LatencyStats | undefined;
        for (let tries = 0; direct === undefined; tries++) {
          const c2 = await open(fresh);
          const closed = new Promise<void>((res) => c2.once('close', () => res()));
          const first = await Promise.race([roundTrips(c2, options.trips, ok), closed.then(() => undefined)]);
          c2.destroy();
          if (first) direct = first;
          else if (tries > 50) throw new Error('the destination kept turning the new connection away');
          else await new Promise((res) => setTimeout(res, 50));
        }
        runs.push({ monitor, before, relayed, direct, verified: ok.value });
        await dst.stop(name).catch(() => {});
      } finally {
        src.close();
        dst.close();
      }
    }
  } finally {
    await daemons.stop();
  }
  return runs;
}

const ms = (v: number): string => (v < 10 ? v.toFixed(3) : v.toFixed(1));
const msOr = (v: number | undefined): string => (v === undefined ? '—' : ms(v));

function render(o: Outcome, paint: ChalkInstance): string {
  const header = ['', ...o.runs.map((r) => `${r.monitor} monitor`)];
  const row = (label: string, f: (r: RelayRun) => string): string[] => [label, ...o.runs.map(f)];
  const rows = [
    header,
    row('round trips (each)', (r) => String(r.before.trips)),
    row('before the move, median (ms)', (r) => ms(r.before.medianMs)),
    row('relayed by the source, median (ms)', (r) => ms(r.relayed.medianMs)),
    row('  90th percentile (ms)', (r) => ms(r.relayed.p90Ms)),
    row('  99th percentile (ms)', (r) => msOr(r.relayed.p99Ms)),
    row('direct to the destination, median (ms)', (r) => ms(r.direct.medianMs)),
    row('  90th percentile (ms)', (r) => ms(r.direct.p90Ms)),
    row('  99th percentile (ms)', (r) => msOr(r.direct.p99Ms)),
    row('extra latency of the relay, median (ms)', (r) => ms(r.relayed.medianMs - r.direct.medianMs)),
    row('  at the 90th percentile (ms)', (r) => ms(r.relayed.p90Ms - r.direct.p90Ms)),
    row('  at the 99th percentile (ms)', (r) => (r.relayed.p99Ms === undefined || r.direct.p99Ms === undefined ? '—' : ms(r.relayed.p99Ms - r.direct.p99Ms))),
    row('  relayed ÷ direct (median)', (r) => `${(r.relayed.medianMs / r.direct.medianMs).toFixed(2)}×`),
    row('replies checked', (r) => (r.verified ? 'ok' : 'WRONG')),
  ];
  return renderTitledTable(paint, ['echo.s over a connection kept across a migration: two typevisor serve daemons on 127.0.0.1 (wall time)'], rows, 1, [
    'a round trip: 8 bytes to the guest and back; relayed = the connection open at the move, its bytes relayed by the source daemon (home agent)',
  ]).join('\n');
}

export const netRelaySection: BenchSection = {
  name: 'net-relay',
  title: 'a relayed connection: round-trip latency to a migrated guest through its old daemon, against going to it directly (wall time)',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const size = ctx.options.quick ? 'quick' : 'full';
    // --quick is a smoke test: a few round trips on one monitor.
    const runs = await measureRelay({ trips: size === 'quick' ? 30 : 1000, monitors: size === 'quick' ? ['native'] : ['native', 'hosted'], progress: (m) => ctx.progress(m) });
    const outcome: Outcome = { size, runs };
    return { data: outcome, text: render(outcome, ctx.paint), failed: runs.some((r) => !r.verified) };
  },

  compare(previous: unknown, current: unknown): Changes | undefined {
    const a = previous as Outcome | undefined;
    const b = current as Outcome;
    if (!a || !Array.isArray(a.runs) || a.size !== b.size) return undefined;
    const changes = b.runs.map((r) => {
      const old = a.runs.find((x) => x.monitor === r.monitor);
      return { name: r.monitor, before: old ? old.relayed.medianMs - old.direct.medianMs : null, after: r.relayed.medianMs - r.direct.medianMs };
    });
    return { lines: changes.map((c) => `${c.name}: extra relay latency ${c.before === null ? '—' : `${ms(c.before)} ms`} → ${ms(c.after)} ms`), changes };
  },
};
