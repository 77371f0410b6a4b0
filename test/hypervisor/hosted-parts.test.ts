/**
 * The hosted monitor's parts, in-process: the vCPU loop with a stand-in for
 * the main thread (so a test decides when each disk request is answered),
 * virtual time on a host clock it controls, the doorbell, the network
 * events' order, the disk file with its durability rule, and the socket.
 * The monitor itself runs its vCPU thread from dist/ (build first).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { assembleFile, formatDiagnostic } from '../../isa/asm/index.js';
import { Csr } from '../../isa/csr.js';
import type { Image } from '../../isa/image.js';
import { ShadowPager } from '../../hypervisor/core/shadow.js';
import { Doorbell, type FromVcpu, type ToVcpu, type VcpuConfig } from '../../hypervisor/hosted/channel.js';
import { HostDisk, HostDiskError } from '../../hypervisor/hosted/disk-backend.js';
import { DiskProxy } from '../../hypervisor/hosted/disk-proxy.js';
import { HostClock, TICKS_PER_MS } from '../../hypervisor/hosted/host-clock.js';
import { HostedVm } from '../../hypervisor/hosted/hosted-vm.js';
import { HostNet, isLoopback, NetAddressError, parseNetAddress, type NetPeer } from '../../hypervisor/hosted/net-backend.js';
import { NetFeeder } from '../../vm/devices/net-feeder.js';
import { HostedMonitor } from '../../hypervisor/hosted/hosted-monitor.js';
import { HostedVcpu, type VcpuLink } from '../../hypervisor/hosted/vcpu.js';
import { VcpuThread } from '../../hypervisor/hosted/vcpu-thread.js';
import { MemoryDisk, SECTOR_SIZE } from '../../vm/devices/disk.js';
import { NET_RX, NET_STATUS, NET_STATUS_CLOSED, NET_STATUS_CONNECTED, NetDevice } from '../../vm/devices/net.js';
import { fileBytes, makeTvfs, readTvfs } from '../../vm/devices/tvfs.js';
import { PhysicalMemory } from '../../vm/memory.js';
import { PAGE_SIZE, RAM_BASE } from '../../vm/memmap.js';
import { FrameAllocator } from '../../vm/pagetable.js';
import { FS_FIXTURES_DIR, PROGRAMS_DIR } from '../guests/expectations.js';
import { writeKernel } from '../helpers/kernel.js';

const temp = mkdtempSync(join(tmpdir(), 'tv-hosted-parts-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function kernel(label: string, programs: readonly { name: string; args?: readonly string[] }[]): Image {
  const path = writeKernel(temp, label, programs.map((p) => ({ name: p.name, file: join(PROGRAMS_DIR, `${p.name}.s`), ...(p.args ? { args: p.args } : {}) })));
  const r = assembleFile(path, { defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  return r.image;
}

const MEM = 4 * 1024 * 1024;
const SHADOW_PAGES = 256;

function config(image: Image, more: Partial<VcpuConfig> = {}): VcpuConfig {
  return {
    name: 'vm1', image, memSize: MEM, shadowPages: SHADOW_PAGES,
    ram: new SharedArrayBuffer(SHADOW_PAGES * PAGE_SIZE + MEM), bell: new SharedArrayBuffer(4),
    tier: undefined, slice: 20_000, maxInstructions: 50_000_000, trace: false, consoleOpen: false, diskSectors: 0, net: false,
    ...more,
  };
}

/**
 * The main thread, played by the test: it answers disk requests from a
 * MemoryDisk only when the vCPU goes to sleep, so every completion is late.
 */
function mainThread(disk?: MemoryDisk, onOutput?: (inbox: ToVcpu[]) => void) {
  const inbox: ToVcpu[] = [];
  const consoleBytes: number[] = [];
  const waiting: FromVcpu[] = [];
  let bell = 0;
  let answered = 0;
  const link: VcpuLink = {
    receive: () => inbox.shift(),
    send: (m) => {
      if (m.kind === 'output') {
        if (m.console) consoleBytes.push(...m.console);
        onOutput?.(inbox);
      } else if (m.kind === 'disk-read' || m.kind === 'disk-write') waiting.push(m);
    },
    bell: {
      read: () => bell,
      wait: () => {
        for (const m of waiting.splice(0)) {
          if (m.kind === 'disk-read') disk!.read(m.sector, m.count, (_e, data) => inbox.push({ kind: 'disk-done', id: m.id, error: null, data: data! }));
          else if (m.kind === 'disk-write') disk!.write(m.sector, m.data, () => inbox.push({ kind: 'disk-done', id: m.id, error: null }));
          answered++;
        }
        bell++;
        return 'ok';
      },
    },
  };
  return { link, inbox, console: () => Buffer.from(consoleBytes).toString('utf8'), answered: () => answered };
}

describe('the vCPU loop (HostedVcpu), with the test as its main thread', () => {
  test('disk requests are answered later, while the guest sleeps; it reads and writes what it asked for', () => {
    const text = (name: string): Uint8Array => readFileSync(join(FS_FIXTURES_DIR, 'text', name));
    const bytes = makeTvfs([{ name: 'poem.txt', data: text('poem.txt') }, { name: 'hello.txt', data: text('hello.txt') }], 64 * 1024);
    const disk = new MemoryDisk(bytes);
    const main = mainThread(disk);
    const vcpu = new HostedVcpu(config(kernel('copy', [{ name: 'copy', args: ['poem.txt', 'copy.txt'] }, { name: 'cat', args: ['hello.txt'] }]), { diskSectors: disk.sectors }), main.link);
    const exit = vcpu.run();
    expect(exit.outcome).toEqual({ kind: 'poweroff', status: 0 });
    // Both, in either order: copy's writes are log transactions (several requests each), cat may finish first.
    expect(main.console()).toContain('copied 90 bytes from poem.txt to copy.txt\n');
    expect(main.console()).toContain('hello from a file\n');
    expect(main.answered()).toBeGreaterThan(5);
    expect(exit.vcpu.waits).toBeGreaterThanOrEqual(main.answered());
    const copy = readTvfs(disk.bytes).files.find((f) => f.name === 'copy.txt')!;
    expect(Buffer.from(fileBytes(disk.bytes, copy)).toString()).toBe(text('poem.txt').toString());
  });

  test('a guest waiting for what can never come is stuck, not left spinning', () => {
    // netecho reads the network; no cable, console closed, no disk: nothing can wake it.
    const main = mainThread();
    const exit = new HostedVcpu(config(kernel('netecho', [{ name: 'netecho' }])), main.link).run();
    expect(exit.outcome).toMatchObject({ kind: 'stuck' });
  });

  test('a stop message ends the run between two slices', () => {
    let asked = false;
    const main = mainThread(undefined, (inbox) => {
      if (!asked) inbox.push({ kind: 'stop', reason: 'SIGTERM' });
      asked = true;
    });
    const exit = new HostedVcpu(config(kernel('sieve', [{ name: 'sieve' }])), main.link).run();
    expect(exit.outcome).toEqual({ kind: 'stopped', reason: 'SIGTERM' });
    expect(main.console()).toMatch(/^typevisor kernel: /);
    expect(main.console()).not.toContain('primes below');
  });

  test('virtual time follows the host clock: a second of host time is 10^8 ticks, whatever ran', () => {
    let now = 0;
    const clock = new HostClock(() => now);
    const main = mainThread(undefined, () => void (now += 1000));
    const exit = new HostedVcpu(config(kernel('hello', [{ name: 'hello' }])), main.link, clock).run();
    expect(exit.outcome).toEqual({ kind: 'poweroff', status: 0 });
    expect(exit.virtualTime).toBeGreaterThanOrEqual(1000 * TICKS_PER_MS);
    expect(exit.instructions).toBeLessThan(exit.virtualTime);
  });
});

describe('HostedMonitor and its vCPU thread', () => {
  const worker = new URL('../../dist/hypervisor/hosted/vcpu-worker.js', import.meta.url);

  test('a thread that outlives a run takes the next one; each run reports its own VM', async () => {
    const thread = new VcpuThread(worker);
    const image = kernel('hello-twice', [{ name: 'hello' }]);
    try {
      for (let i = 0; i < 2; i++) {
        let out = '';
        const r = await new HostedMonitor({ name: `run${i}`, image, memSize: MEM }, { thread, output: (b) => (out += Buffer.from(b).toString()) }).run();
        expect(r.vms[0]).toMatchObject({ name: `run${i}`, outcome: { kind: 'poweroff', status: 0 } });
        expect(out).toContain('Hello, world!\n');
      }
    } finally {
      await thread.close();
    }
  });

  test('stop() before the guest has finished: the result says so, and the VM did not power off', async () => {
    const mon = new HostedMonitor({ name: 'vm1', image: kernel('sieve-stop', [{ name: 'sieve' }]), memSize: MEM }, { workerUrl: worker });
    mon.stop('test');
    const r = await mon.run();
    expect(r.stopped).toBe('test');
    expect(r.vms[0]!.outcome).toEqual({ kind: 'failed', reason: 'the host asked it to stop (test)' });
    expect(r.vms[0]!.instructions).toBe(0);
  });
});

describe('time', () => {
  test('HostClock: 100,000 ticks a millisecond; sync only ever moves time forward', () => {
    let now = 5;
    const clock = new HostClock(() => now);
    now = 7.5;
    expect(clock.ticks()).toBe(250_000);
    expect(clock.msUntil(350_000)).toBe(1);
    const cpu = { instret: 300_000, idle: 0, get time() { return this.instret + this.idle; } };
    clock.sync(cpu as never);
    expect(cpu.idle).toBe(0); // ahead of the host: left alone
    now = 10;
    clock.sync(cpu as never);
    expect(cpu.time).toBe(500_000);
  });

  test('HostedVm: a wait ends by the timer only once the host clock reaches its deadline', () => {
    let now = 0;
    const clock = new HostClock(() => now);
    const host = new PhysicalMemory(2 * 1024 * 1024);
    const window = host.window(1024 * 1024, 1024 * 1024);
    const vm = new HostedVm('t', window, new ShadowPager(host, new FrameAllocator(host, RAM_BASE, RAM_BASE + 1024 * 1024), window, RAM_BASE + 1024 * 1024), clock);
    vm.cpu.timerDeadline = 5 * TICKS_PER_MS;
    expect(vm.skipToTimer()).toBe(false); // the timer's line is off in ie
    vm.cpu.csr[Csr.IE] = 1;
    now = 4;
    expect(vm.skipToTimer()).toBe(false);
    expect(vm.cpu.time).toBe(4 * TICKS_PER_MS);
    now = 5;
    expect(vm.skipToTimer()).toBe(true);
    expect(vm.wakeable()).toBe(true);
  });

  test('Doorbell: a wait on a count that has moved returns at once; on the current one it sleeps', () => {
    const bell = new Doorbell();
    const seen = bell.read();
    bell.ring();
    expect(bell.read()).toBe(seen + 1);
    expect(bell.wait(seen, 10_000)).toBe('not-equal');
    expect(bell.wait(bell.read(), 1)).toBe('timed-out');
  });
});

describe('the network, host side', () => {
  test('NetFeeder: bytes beyond the device queue wait; a new peer waits until the old one is read and seen closed', () => {
    const net = new NetDevice({ transmit: () => undefined });
    const feeder = new NetFeeder(net);
    feeder.push({ kind: 'connected' });
    feeder.push({ kind: 'data', bytes: new Uint8Array(5000).fill(1) });
    feeder.push({ kind: 'closed' });
    feeder.push({ kind: 'connected' });
    feeder.push({ kind: 'data', bytes: Uint8Array.of(2) });
    expect(net.pendingInput).toBe(4096);
    for (let i = 0; i < 4096; i++) net.read(NET_RX);
    feeder.pump();
    expect(net.pendingInput).toBe(5000 - 4096);
    const either = NET_STATUS_CLOSED | NET_STATUS_CONNECTED;
    expect(net.read(NET_STATUS) & either).toBe(NET_STATUS_CLOSED); // the close came in behind the last byte
    feeder.pump();
    expect(net.read(NET_STATUS) & either).toBe(NET_STATUS_CLOSED); // the next peer waits: the old bytes are unread
    while (net.read(NET_RX) === 1);
    feeder.pump();
    expect(net.read(NET_STATUS) & either).toBe(NET_STATUS_CONNECTED); // all read, the close seen: the next peer
    expect(net.read(NET_RX)).toBe(2);
    expect(feeder.pending).toBe(false);
  });

  test('addresses: HOST:PORT, [V6]:PORT, a bare PORT on loopback; what counts as loopback', () => {
    expect(parseNetAddress('127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseNetAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseNetAddress('7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    for (const bad of ['', 'host', '1.2.3.4:', ':80', '127.0.0.1:70000']) expect(() => parseNetAddress(bad), bad).toThrow(NetAddressError);
    expect(['127.0.0.1', '127.9.9.9', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', 'example.com', '::'].some(isLoopback)).toBe(false);
  });

  test('HostNet listening: events in order, bytes both ways, one peer at a time, a non-loopback address refused', async () => {
    await expect(HostNet.listen({ host: '0.0.0.0', port: 0 }, () => undefined)).rejects.toThrow('not a loopback address');
    const log: string[] = [];
    const net = await HostNet.listen({ host: '127.0.0.1', port: 0 }, (l) => void log.push(l));
    const events: string[] = [];
    let closed!: () => void;
    const gone = new Promise<void>((r) => (closed = r));
    const peer: NetPeer = {
      connected: () => void events.push('connected'),
      data: (b) => {
        events.push(`data ${Buffer.from(b).toString()}`);
        net.send(Uint8Array.from(b, (c) => c + 1));
      },
      closed: (final) => {
        events.push(`closed ${final}`);
        closed();
      },
    };
    net.attach(peer);
    const client = new Socket();
    const reply = new Promise<string>((r) => client.once('data', (b: Buffer) => r(b.toString())));
    await new Promise<void>((r) => client.connect(net.address.port, '127.0.0.1', r));
    client.write('HAL');
    expect(await reply).toBe('IBM');
    const second = new Socket();
    await new Promise<void>((r) => {
      second.on('close', () => r());
      second.on('error', () => undefined);
      second.connect(net.address.port, '127.0.0.1');
    });
    client.end();
    await gone;
    await net.close();
    expect(events).toEqual(['connected', 'data HAL', 'closed false']);
    expect(net.counters()).toMatchObject({ mode: 'listen', connections: 1, refused: 1, bytesIn: 3, bytesOut: 3 });
    expect(log).toEqual([expect.stringMatching(/^net: refused a connection from 127\.0\.0\.1:\d+: the guest has one already$/)]);
  });

  test('HostNet connecting: events from before the monitor attached are kept; a refused connection is final', async () => {
    const server = createServer((s) => s.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const net = HostNet.connect({ host: '127.0.0.1', port }, () => undefined);
    // It connects and receives before anyone listens (an event to wait for, not a time).
    for (const end = Date.now() + 10_000; net.counters().bytesIn < 2 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 5));
    expect(net.counters()).toMatchObject({ connections: 1, bytesIn: 2 });
    const events: string[] = [];
    const done = new Promise<void>((r) => net.attach({ connected: () => void events.push('connected'), data: (b) => void events.push(Buffer.from(b).toString()), closed: (f) => (events.push(`closed ${f}`), r()) }));
    await done;
    expect(events).toEqual(['connected', 'hi', 'closed true']);
    await new Promise<void>((r) => server.close(() => r()));

    const log: string[] = [];
    const refused = HostNet.connect({ host: '127.0.0.1', port }, (l) => void log.push(l));
    await new Promise<void>((r) => refused.attach({ connected: () => undefined, data: () => undefined, closed: () => r() }));
    expect(log[0]).toMatch(/^net: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED$/);
  });
});

describe('the disk, host side', () => {
  test('DiskProxy: each request goes out with its own id; completions finish the right one', () => {
    const sent: FromVcpu[] = [];
    const proxy = new DiskProxy(8, (m) => void sent.push(m));
    const results: string[] = [];
    proxy.read(1, 2, (e, d) => void results.push(`read ${e?.message ?? d!.length}`));
    proxy.write(3, new Uint8Array(SECTOR_SIZE), (e) => void results.push(`write ${e?.message ?? 'ok'}`));
    expect(sent.map((m) => m.kind)).toEqual(['disk-read', 'disk-write']);
    expect(proxy.inFlight).toBe(2);
    const [r, w] = sent as [Extract<FromVcpu, { kind: 'disk-read' }>, Extract<FromVcpu, { kind: 'disk-write' }>];
    proxy.complete(w.id, 'EIO', undefined);
    proxy.complete(999, null, undefined);
    proxy.complete(r.id, null, new Uint8Array(1024));
    expect(results).toEqual(['write EIO', 'read 1024']);
    expect(proxy.inFlight).toBe(0);
  });

  test('HostDisk: created sparse, reads zeros where nothing was written, a write is on the file when it resolves, close waits for it', async () => {
    const path = join(temp, 'host.img');
    await expect(HostDisk.open(path)).rejects.toThrow(HostDiskError);
    const disk = await HostDisk.open(path, 64 * 1024);
    expect([disk.sectors, disk.created]).toEqual([128, true]);
    expect(await disk.read(5, 2)).toEqual(new Uint8Array(2 * SECTOR_SIZE));
    const data = new Uint8Array(SECTOR_SIZE).fill(0xab);
    await disk.write(7, data);
    expect(readFileSync(path).subarray(7 * SECTOR_SIZE, 8 * SECTOR_SIZE)).toEqual(Buffer.from(data));
    const last = disk.write(8, data); // in flight when close is called
    await disk.close();
    await last;
    expect(readFileSync(path).subarray(8 * SECTOR_SIZE, 9 * SECTOR_SIZE)).toEqual(Buffer.from(data));
    expect(disk.counters()).toMatchObject({ reads: 1, writes: 2, syncs: 2, bytesWritten: 2 * SECTOR_SIZE });
    await expect(disk.read(0, 1)).rejects.toThrow('is closed');
    expect(statSync(path).size).toBe(64 * 1024);
  });
});
