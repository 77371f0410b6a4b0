/**
 * The migration engine moving hosted VMs: the same OutgoingMigration and
 * IncomingMigration as between native hosts, over TCP on 127.0.0.1 in wall
 * time, with a hosted host at one end or both. They reach the VM only through
 * the host boundary, so whatever the strategy, the guest must finish on the
 * destination exactly as if never migrated: the same output, the same memory.
 *
 * The vCPU threads run from dist/ (build first). No timing thresholds.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { VmHost } from '../../../hypervisor/core/host.js';
import { vmFootprint } from '../../../hypervisor/core/layout.js';
import { HostedHost } from '../../../hypervisor/hosted/host.js';
import { WallClock } from '../../../hypervisor/migration/clock.js';
import { IncomingMigration, type IncomingOutcome } from '../../../hypervisor/migration/incoming.js';
import type { StrategyName } from '../../../hypervisor/migration/options.js';
import { OutgoingMigration } from '../../../hypervisor/migration/outgoing.js';
import { connectTcp, TcpTransport } from '../../../hypervisor/migration/transports/tcp.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { baseline, image, MiB } from '../migration/helpers.js';
import { until } from '../../helpers/until.js';

const WORKER = new URL('../../../dist/hypervisor/hosted/vcpu-worker.js', import.meta.url);
const IMG = () => image('writes', { WS_PAGES: 200, WRITES: 1_500_000, SPIN: 4, RANDOM: 1, PRINT_EVERY: 100_000 });
const MEM = 4 * MiB;

type Kind = 'native' | 'hosted';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

function makeHost(kind: Kind): VmHost {
  const capacity = vmFootprint(MEM);
  return kind === 'native' ? new NativeMonitor([], { capacity }) : new HostedHost({ capacity, workerUrl: WORKER });
}

async function pair(from: Kind, to: Kind) {
  const clock = new WallClock();
  let srcOut = '';
  let dstOut = '';
  const src = makeHost(from);
  const dst = makeHost(to);
  const serving = [src.serve(), dst.serve()];
  const guest = src.add({ name: 'g', memSize: MEM, image: IMG(), output: (b) => (srcOut += Buffer.from(b).toString()) });
  const incomings: Promise<IncomingOutcome>[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    const inc = new IncomingMigration({ host: dst, clock, output: (b) => (dstOut += Buffer.from(b).toString()) });
    incomings.push(inc.run(new TcpTransport(sock)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  cleanup.push(async () => {
    server.close();
    for (const s of sockets) s.destroy();
    await Promise.all([src.close(), dst.close(), ...serving]);
  });
  return { clock, src, dst, guest, port, incomings, output: () => srcOut + dstOut, onDestination: () => dstOut };
}

const hash = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const CASES: readonly [Kind, Kind, StrategyName][] = [
  ['hosted', 'hosted', 'pre-copy'],
  ['hosted', 'hosted', 'post-copy'],
  ['hosted', 'hosted', 'hybrid'],
  ['hosted', 'native', 'stop-and-copy'],
  ['native', 'hosted', 'post-copy'],
  ['native', 'hosted', 'pre-copy'],
];

describe('the migration engine moves hosted VMs over TCP, in wall time', () => {
  test.each(CASES)('%s → %s, %s: the guest finishes on the destination exactly as if never migrated', async (from, to, strategy) => {
    const ref = await baseline(IMG(), MEM);
    const h = await pair(from, to);
    await until(() => h.guest.instructions > 200_000, 'the guest to get going', 30_000);
    expect(h.guest.outcome()).toBeUndefined(); // it moves while it runs
    const out = new OutgoingMigration({ host: h.src, vm: 'g', strategy, clock: h.clock, options: { downtimeLimitMs: 5 } });
    const outcome = await out.run(await connectTcp('127.0.0.1', h.port));
    expect(outcome.kind, outcome.kind !== 'completed' ? outcome.reason : '').toBe('completed');
    expect((await h.incomings[0]!).kind).toBe('completed');
    expect(h.src.find('g')).toBeUndefined();
    await until(() => h.dst.find('g')?.state() === 'poweroff', 'the guest to power off on the destination', 30_000);
    expect(h.output()).toBe(ref.output);
    expect(h.onDestination()).not.toBe(''); // and it went on there
    expect(hash(h.dst.find('g')!.ram)).toBe(ref.memoryHash);
  }, 60_000);
});
