/**
 * A real migration: two hosts serving their VMs, the guest running in wall
 * time, its pages over a TCP connection on 127.0.0.1. The guest still
 * computes exactly what it computes unmigrated.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { WallClock } from '../../../hypervisor/migration/clock.js';
import { IncomingMigration, type IncomingOutcome } from '../../../hypervisor/migration/incoming.js';
import type { StrategyName } from '../../../hypervisor/migration/options.js';
import { OutgoingMigration } from '../../../hypervisor/migration/outgoing.js';
import { connectTcp, TcpTransport } from '../../../hypervisor/migration/transports/tcp.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { baseline, image, MiB } from './helpers.js';
import { until } from '../../helpers/until.js';

const IMG = () => image('writes', { WS_PAGES: 200, WRITES: 1_500_000, SPIN: 4, RANDOM: 1, PRINT_EVERY: 100_000 });
const MEM = 4 * MiB;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function hosts() {
  const clock = new WallClock();
  let srcOut = '';
  let dstOut = '';
  const src = new NativeMonitor([], { capacity: MEM + 2 * MiB });
  const dst = new NativeMonitor([], { capacity: MEM + 2 * MiB });
  const serving = [src.serve(), dst.serve()];
  const vm = src.addVm({ name: 'g', memSize: MEM, image: IMG(), output: (b) => (srcOut += Buffer.from(b).toString()) });
  const incomings: Promise<IncomingOutcome>[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    const inc = new IncomingMigration({ host: dst, clock, output: (b) => (dstOut += Buffer.from(b).toString()) });
    incomings.push(inc.run(new TcpTransport(sock)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  cleanup.push(() => {
    src.close();
    dst.close();
    server.close();
    for (const s of sockets) s.destroy();
  });
  return { clock, src, dst, vm, port, incomings, sockets, serving, output: () => srcOut + dstOut };
}

const hash = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('over TCP on 127.0.0.1, in wall time', () => {
  test.each(['pre-copy', 'post-copy', 'stop-and-copy', 'hybrid'] as StrategyName[])('%s: the guest finishes on the destination, exactly as if never migrated', async (strategy) => {
    const ref = await baseline(IMG(), MEM);
    const h = await hosts();
    await until(() => h.vm.cpu.instret > 200_000, 'the guest to get going');
    const out = new OutgoingMigration({ host: h.src, vm: 'g', strategy, clock: h.clock, options: { downtimeLimitMs: 5 } });
    const outcome = await out.run(await connectTcp('127.0.0.1', h.port));
    expect(outcome.kind, outcome.kind !== 'completed' ? outcome.reason : '').toBe('completed');
    expect((await h.incomings[0]!).kind).toBe('completed');
    expect(h.src.find('g')).toBeUndefined();
    expect(outcome.report.clock).toBe('wall');
    expect(outcome.report.link).toMatch(/^tcp 127\.0\.0\.1:/);
    await until(() => h.dst.find('g') !== undefined && h.dst.state('g') === 'poweroff', 'the guest to power off on the destination');
    expect(h.output()).toBe(ref.output);
    expect(hash(h.dst.find('g')!.ram)).toBe(ref.memoryHash);
  });

  test('the connection dropped before the switchover: the guest goes on at the source, unchanged', async () => {
    const ref = await baseline(IMG(), MEM);
    const h = await hosts();
    await until(() => h.vm.cpu.instret > 200_000, 'the guest to get going');
    const out = new OutgoingMigration({ host: h.src, vm: 'g', strategy: 'pre-copy', clock: h.clock, options: { bandwidth: 20e6 } });
    const t = await connectTcp('127.0.0.1', h.port);
    setTimeout(() => t.destroy(), 40);
    const outcome = await out.run(t);
    expect(outcome.kind).toBe('aborted');
    expect((await h.incomings[0]!).kind).toBe('aborted');
    expect(h.dst.find('g')).toBeUndefined();
    await until(() => h.src.state('g') === 'poweroff', 'the guest to power off on the source');
    expect(h.output()).toBe(ref.output);
    expect(hash(h.vm.memory.u8)).toBe(ref.memoryHash);
  });
});
