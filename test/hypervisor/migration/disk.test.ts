/**
 * The disk as a second space of the engine (disk-region.ts, arriving-disk.ts):
 * the disk writer (guests/workloads/disk-writer.s) migrated between two
 * native monitors over TCP on 127.0.0.1 while it writes its disk, with every
 * strategy. Its disk at the end must be byte for byte the disk of the same
 * guest never migrated, and it must have read back every block as written.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import { SECTOR_SIZE, MemoryDisk, type DiskBackend } from '../../../vm/devices/disk.js';
import { RAM_BASE } from '../../../vm/memmap.js';
import { DirtySectorLog } from '../../../hypervisor/control/dirty-sectors.js';
import { DiskGivingHost } from '../../../hypervisor/control/disk-host.js';
import { ArrivingDisk } from '../../../hypervisor/migration/arriving-disk.js';
import type { SourceDisk } from '../../../hypervisor/migration/disk-region.js';
import { WallClock } from '../../../hypervisor/migration/clock.js';
import { IncomingMigration, type IncomingOutcome } from '../../../hypervisor/migration/incoming.js';
import type { StrategyName } from '../../../hypervisor/migration/options.js';
import { OutgoingMigration } from '../../../hypervisor/migration/outgoing.js';
import { connectTcp, TcpTransport } from '../../../hypervisor/migration/transports/tcp.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import type { Image } from '../../../isa/image.js';
import { MiB, WORKLOADS } from './helpers.js';
import { until } from '../../helpers/until.js';

const MEM = 2 * MiB;
const SECTORS = 64 * 8 + 64; // the writer's 64 blocks of 8 sectors, and some it never writes

function writer(params: Record<string, number>): Image {
  let text = readFileSync(join(WORKLOADS, 'disk-writer.s'), 'utf8');
  for (const [k, v] of Object.entries(params)) text = text.replace(new RegExp(`^${k}( *)= *\\d+`, 'm'), `${k}$1= ${v}`);
  const r = assemble(text, { filename: 'disk-writer.s', defaultTextBase: RAM_BASE, includeDirs: [WORKLOADS] });
  if (!r.ok) throw new Error('disk-writer.s does not assemble');
  return r.image;
}

const IMG = writer({ BLOCKS: 64, SPIN: 20_000, PRINT_EVERY: 8 });

/** A MemoryDisk's bytes as the engine's source reads them, its writes logged. */
function sourceDisk(log: DirtySectorLog, bytes: Uint8Array): SourceDisk {
  return {
    kind: 'transient',
    sectors: log.sectors,
    startLog: () => log.clearAll(),
    takeDirty: (max) => log.takeRuns(max),
    get dirtyCount() {
      return log.dirtyCount;
    },
    read: (s, n) => bytes.slice(s * SECTOR_SIZE, (s + n) * SECTOR_SIZE),
  };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** The writer never migrated: its disk and what it printed. */
async function reference(): Promise<{ disk: Uint8Array; out: string }> {
  const bytes = new Uint8Array(SECTORS * SECTOR_SIZE);
  let out = '';
  const m = new NativeMonitor([{ name: 'ref', memSize: MEM, image: IMG, disk: new MemoryDisk(bytes) }], { output: (_, b) => (out += Buffer.from(b).toString()) });
  await m.run();
  return { disk: bytes, out };
}

async function migrateWriter(strategy: StrategyName): Promise<{ disk: Uint8Array; out: string; outcome: Awaited<ReturnType<OutgoingMigration['run']>>; incoming: IncomingOutcome }> {
  const clock = new WallClock();
  let out = '';
  const srcBytes = new Uint8Array(SECTORS * SECTOR_SIZE);
  const log = new DirtySectorLog(new MemoryDisk(srcBytes));
  const dstBytes = new Uint8Array(SECTORS * SECTOR_SIZE);
  const arriving = new ArrivingDisk(new MemoryDisk(dstBytes), (s, b) => dstBytes.set(b, s * SECTOR_SIZE));
  const src = new NativeMonitor([], { capacity: MEM + 2 * MiB });
  const dst = new NativeMonitor([], { capacity: MEM + 2 * MiB });
  void src.serve();
  void dst.serve();
  src.addVm({ name: 'w', memSize: MEM, image: IMG, disk: log as DiskBackend, output: (b) => (out += Buffer.from(b).toString()) });
  const sockets: Socket[] = [];
  let incoming: Promise<IncomingOutcome> | undefined;
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    const inc = new IncomingMigration({ host: new DiskGivingHost(dst, 'w', arriving), clock, disk: arriving, output: (b) => (out += Buffer.from(b).toString()) });
    incoming = inc.run(new TcpTransport(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    void src.close();
    void dst.close();
    server.close();
    for (const s of sockets) s.destroy();
  });
  await until(() => out.includes('wrote 8'), 'the writer to be writing', 30_000);
  const port = (server.address() as { port: number }).port;
  const m = new OutgoingMigration({ host: src, vm: 'w', strategy, clock, disk: sourceDisk(log, srcBytes) });
  const outcome = await m.run(await connectTcp('127.0.0.1', port));
  const inc = await incoming!;
  await until(() => dst.find('w')?.outcome() !== undefined, 'the writer to finish at the destination', 30_000);
  return { disk: dstBytes, out, outcome, incoming: inc };
}

describe('the disk moves with the memory, by the strategy\'s logic', () => {
  test.each<StrategyName>(['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'])('%s: a guest writing its disk during the move ends with the disk of the same guest never migrated', async (strategy) => {
    const ref = await reference();
    const r = await migrateWriter(strategy);
    expect(r.outcome.kind).toBe('completed');
    expect(r.incoming.kind).toBe('completed');
    expect(r.out).toBe(ref.out);
    expect(Buffer.from(r.disk).equals(Buffer.from(ref.disk))).toBe(true);
    const d = r.outcome.kind === 'completed' ? r.outcome.report.disk : undefined;
    expect(d?.mode).toBe('copy');
    if (strategy === 'pre-copy' || strategy === 'hybrid') expect(d?.rounds[0]).toMatchObject({ round: 0, sectors: SECTORS, paused: false });
    if (strategy === 'stop-and-copy') expect(d?.rounds).toMatchObject([{ round: 0, sectors: SECTORS, paused: true }]);
    if (strategy === 'post-copy') expect(d?.rounds).toEqual([]);
    expect(d!.sectorsSent).toBeGreaterThanOrEqual(SECTORS);
  }, 60_000);
});
