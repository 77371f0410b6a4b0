/**
 * The hosted monitor as a VM host (HostedHost, HostedGuest): VMs on vCPU
 * threads of their own, reached only through the host boundary (core/host.ts)
 * — paused between two instructions, their dirty log handed over by the vCPU
 * thread while they run, their state saved and restored, pages arriving
 * before or after the switchover, and moved to and from the native monitor.
 *
 * The vCPU threads run from dist/ (build first). Nothing here measures time:
 * every wait is for a condition, bounded by a timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { assembleFile, formatDiagnostic } from '../../../isa/asm/index.js';
import type { Image } from '../../../isa/image.js';
import { BootError } from '../../../vm/bare.js';
import { PAGE_SIZE, RAM_BASE } from '../../../vm/memmap.js';
import { isZeroPage, MonitorConfigError, type Guest } from '../../../hypervisor/core/host.js';
import { vmFootprint } from '../../../hypervisor/core/layout.js';
import type { VmOutcome } from '../../../hypervisor/core/monitor-run.js';
import { GuestGoneError } from '../../../hypervisor/hosted/guest.js';
import { HostClock, TICKS_PER_MS } from '../../../hypervisor/hosted/host-clock.js';
import { HostedHost, type HostedHostOptions } from '../../../hypervisor/hosted/host.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { PROGRAMS_DIR } from '../../guests/expectations.js';
import { writeKernel } from '../../helpers/kernel.js';
import { baseline, image, MiB } from '../migration/helpers.js';
import { until } from '../../helpers/until.js';

const WORKER = new URL('../../../dist/hypervisor/hosted/vcpu-worker.js', import.meta.url);
const MEM = 4 * MiB;
const SHADOW_PAGES = 128;
const FOOTPRINT = vmFootprint(MEM, SHADOW_PAGES);
/** Long enough (tens of millions of instructions) that a test always catches it running. */
const LONG = (): Image => image('incrementer', { WS_PAGES: 64, PASSES: 6000, SPIN: 4, FILL: 1 });

const temp = mkdtempSync(join(tmpdir(), 'tv-hosted-host-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const hosts: HostedHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

function host(more: Partial<HostedHostOptions> = {}): HostedHost {
  const h = new HostedHost({ capacity: 4 * FOOTPRINT, shadowPages: SHADOW_PAGES, workerUrl: WORKER, ...more });
  hosts.push(h);
  return h;
}

const ended = (g: Guest): boolean => g.outcome() !== undefined;

/** Console output collected as text. */
function sink(): { text: string; out: (b: Uint8Array) => void } {
  const s = { text: '', out: (b: Uint8Array) => void (s.text += Buffer.from(b).toString('latin1')) };
  return s;
}

function kernel(label: string, programs: readonly string[]): Image {
  const path = writeKernel(temp, label, programs.map((name) => ({ name, file: join(PROGRAMS_DIR, `${name}.s`) })));
  const r = assembleFile(path, { defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  return r.image;
}

/** Every page of `from` (as it is now) into `to`, which must be paused or missing them. */
function copyPages(from: Uint8Array, to: Guest): void {
  for (let n = 0; n < to.pages; n++) to.writePage(n, isZeroPage(from, n) ? undefined : from.subarray(n * PAGE_SIZE, (n + 1) * PAGE_SIZE));
}

describe('HostedHost', () => {
  test('a VM added runs its kernel and prints; its end reaches onVmEnd; its counts are current', async () => {
    const ends: string[] = [];
    const h = host({ onVmEnd: (name, o) => ends.push(`${name} ${o.kind}`) });
    expect(h.kind).toBe('hosted');
    const out = sink();
    const g = h.add({ name: 'k', memSize: MEM, image: kernel('hello', ['hello']), output: out.out });
    expect(g.monitor).toBe('hosted');
    expect(h.find('k')).toBe(g);
    await until(() => ended(g), 'the kernel to power off');
    expect(g.outcome()).toEqual({ kind: 'poweroff', status: 0 });
    expect(g.state()).toBe('poweroff');
    expect(ends).toEqual(['k poweroff']);
    expect(out.text).toContain('Hello, world!\n');
    expect(out.text).toContain('kernel: all processes have exited');
    expect(g.instructions).toBeGreaterThan(1000);
    expect(g.time).toBeGreaterThanOrEqual(g.instructions);
    expect(g.stats().mmio).toBeGreaterThan(0);
    // An ended VM still answers: its state is there to read.
    const s = await g.save('paused');
    expect(s.vcpu.halted).toBe(true);
    expect(s.cpu.instret).toBe(g.instructions);
  }, 60_000);

  test('capacity, names and images are refused as on the native monitor; remove gives the room back', async () => {
    const h = host({ capacity: 2 * FOOTPRINT });
    const img = LONG();
    h.add({ name: 'a', memSize: MEM, image: img, paused: true });
    expect(() => h.add({ name: 'a', memSize: MEM, image: img })).toThrow(MonitorConfigError);
    expect(() => h.add({ name: 'x', memSize: 3000, image: img })).toThrow(MonitorConfigError);
    h.add({ name: 'b', memSize: MEM });
    expect(() => h.add({ name: 'c', memSize: MEM, image: img })).toThrow(/no room/);
    h.remove('b');
    const below = { ...img, sections: img.sections.map((sec) => ({ ...sec, addr: sec.addr - RAM_BASE })) };
    expect(() => h.add({ name: 'c', memSize: MEM, image: below })).toThrow(BootError); // linked below RAM
    expect(h.guests.map((g) => g.name)).toEqual(['a']);
    const c = h.add({ name: 'c', memSize: MEM, image: img, paused: true });
    expect(c.state()).toBe('paused');
    expect(() => h.remove('nobody')).toThrow(MonitorConfigError);
  }, 60_000);

  test('remove ends the run and terminates the thread; the guest answers no more', async () => {
    const h = host();
    const g = h.add({ name: 'r', memSize: MEM, image: LONG() });
    await until(() => g.instructions > 100_000, 'the guest to run');
    const pausing = g.pause();
    h.remove('r');
    await pausing; // removed before it answered: stopped all the same
    await g.threadEnded;
    expect(h.find('r')).toBeUndefined();
    expect(h.guests).toEqual([]);
    await expect(g.save('paused')).rejects.toBeInstanceOf(GuestGoneError);
    await expect(g.takeDirty()).rejects.toBeInstanceOf(GuestGoneError);
  }, 60_000);

  test('close removes every VM and ends serve()', async () => {
    const h = host();
    const serving = h.serve();
    const a = h.add({ name: 'a', memSize: MEM, image: LONG() });
    const b = h.add({ name: 'b', memSize: MEM });
    await h.close();
    await serving;
    await Promise.all([a.threadEnded, b.threadEnded]);
    expect(h.guests).toEqual([]);
    expect(() => h.add({ name: 'c', memSize: MEM })).toThrow(MonitorConfigError);
  }, 60_000);
});

describe('HostedGuest: pause, resume, state', () => {
  test('pause stops it between two instructions: its count stops, save() is exact; resume goes on to the same end', async () => {
    const img = LONG();
    const ref = await baseline(img, MEM);
    const out = sink();
    const g = host().add({ name: 'p', memSize: MEM, image: img, output: out.out });
    await until(() => g.instructions > 1_000_000, 'a million instructions');
    await g.pause();
    expect(ended(g)).toBe(false);
    expect(g.paused).toBe(true);
    expect(g.state()).toBe('paused');
    const at = g.instructions;
    const s1 = await g.save('paused');
    expect(s1.cpu.instret).toBe(at);
    // Paused, shown by events: three more turns of the vCPU's loop (each save is one) retire nothing.
    for (let i = 0; i < 3; i++) expect((await g.save('paused')).cpu.instret).toBe(at);
    expect(g.instructions).toBe(at);
    await g.pause(); // idempotent
    expect((await g.save('paused')).cpu).toEqual(s1.cpu);
    const printed = out.text;
    expect(ref.output.startsWith(printed)).toBe(true); // everything printed before the pause has arrived, and no more
    g.resume();
    expect(g.paused).toBe(false);
    await until(() => ended(g), 'the guest to end');
    expect(g.outcome()).toEqual({ kind: 'poweroff', status: 0 });
    expect(out.text).toBe(ref.output);
    expect(g.instructions).toBeGreaterThan(at);
  }, 60_000);

  test('a guest waiting for console input with its console open is waiting, not stuck; input wakes it', async () => {
    const out = sink();
    const g = host().add({ name: 'w', memSize: MEM, image: kernel('echo', ['echo']), output: out.out });
    await until(() => g.state() === 'waiting', 'the guest to wait for input');
    expect(g.outcome()).toBeUndefined();
    await g.pause(); // a sleeping vCPU answers at once
    expect(g.state()).toBe('paused');
    g.resume();
    g.input(new TextEncoder().encode('hello there\n'));
    g.input(null);
    await until(() => ended(g), 'the guest to end');
    expect(g.outcome()).toEqual({ kind: 'poweroff', status: 0 });
    expect(out.text).toContain('HELLO THERE');
  }, 60_000);
});

describe('HostedGuest: the dirty log while it runs', () => {
  test('pre-copy from the main thread while the guest writes: the copy equals its RAM byte for byte', async () => {
    const img = image('incrementer', { WS_PAGES: 256, PASSES: 4000, SPIN: 0, FILL: 1 });
    const ref = await baseline(img, MEM);
    const out = sink();
    const g = host().add({ name: 'd', memSize: MEM, image: img, output: out.out });
    await until(() => g.instructions > 200_000, 'the guest to run');
    await g.startDirtyLog();
    const copy = g.ram.slice(); // read while it runs: torn pages are in the log
    let resent = 0;
    for (let round = 0; round < 6; round++) {
      const dirty = await g.takeDirty();
      expect(dirty.every((p, i) => i === 0 || dirty[i - 1]! < p)).toBe(true);
      for (const p of dirty) copy.set(g.ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), p * PAGE_SIZE);
      resent += dirty.length;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(ended(g)).toBe(false); // it was writing all along
    expect(resent).toBeGreaterThan(0);
    await g.pause();
    for (const p of await g.takeDirty()) copy.set(g.ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), p * PAGE_SIZE);
    expect(Buffer.compare(copy, g.ram)).toBe(0);
    expect(g.countDirty()).toBe(0);
    // The copy is a guest: on a second VM it runs on to the same end.
    const state = await g.save('paused');
    const out2 = sink();
    const twin = host().add({ name: 'twin', memSize: MEM, output: out2.out });
    copyPages(copy, twin);
    await twin.restore(state);
    twin.resume();
    g.resume();
    await until(() => ended(g) && ended(twin), 'both to end');
    expect(out.text).toBe(ref.output);
    expect(out.text.endsWith(out2.text)).toBe(true);
    expect(twin.outcome()).toEqual({ kind: 'poweroff', status: 0 });
  }, 60_000);
});

describe('HostedGuest: arriving VMs', () => {
  async function source(img: Image) {
    const out = sink();
    const src = host().add({ name: 'src', memSize: MEM, image: img, output: out.out });
    await until(() => src.instructions > 2_000_000, 'the source to run');
    await src.pause();
    return { src, out, state: await src.save('paused'), pages: src.ram.slice(), before: out.text };
  }

  test('created empty: paused, every page missing; pages and state copied in, it runs on as the reference does', async () => {
    const img = LONG();
    const ref = await baseline(img, MEM);
    const { src, out, state, pages, before } = await source(img);
    const out2 = sink();
    const dst = host().add({ name: 'dst', memSize: MEM, output: out2.out });
    expect(dst.paused).toBe(true);
    expect(dst.state()).toBe('paused');
    expect(dst.missingCount).toBe(dst.pages);
    expect(dst.missing?.every((b) => b === 1)).toBe(true);
    copyPages(pages, dst);
    expect(dst.missingCount).toBe(0);
    expect(dst.missing).toBeUndefined();
    expect(dst.writePage(0, undefined)).toBe(false); // a resend
    dst.writePage(0, pages.subarray(0, PAGE_SIZE));
    await dst.restore(state);
    expect(dst.instructions).toBe(state.cpu.instret);
    expect(dst.time).toBe(state.cpu.instret + state.cpu.idle);
    dst.resume();
    src.resume(); // the reference goes on too
    await until(() => ended(dst) && ended(src), 'both to end');
    expect(before + out2.text).toBe(ref.output);
    expect(out.text).toBe(ref.output);
    expect(dst.outcome()).toEqual({ kind: 'poweroff', status: 0 });
    expect(Buffer.compare(dst.ram, src.ram)).toBe(0);
  }, 60_000);

  test('post-copy: restored with every page missing, it stalls, asks, and completes with the same output', async () => {
    const img = LONG();
    const ref = await baseline(img, MEM);
    const { state, pages, before } = await source(img);
    const out2 = sink();
    const dst = host().add({ name: 'dst', memSize: MEM, output: out2.out });
    const asked: number[] = [];
    let sawStalled = false;
    dst.onMissingPage = (n) => {
      asked.push(n);
      if (dst.state() === 'stalled') sawStalled = true;
      // Answer later, from the event loop, as a network would.
      setImmediate(() => expect(dst.writePage(n, isZeroPage(pages, n) ? undefined : pages.subarray(n * PAGE_SIZE, (n + 1) * PAGE_SIZE))).toBe(true));
    };
    await dst.restore(state);
    expect(dst.missingCount).toBe(dst.pages);
    dst.resume();
    await until(() => ended(dst), 'the destination to end');
    expect(before + out2.text).toBe(ref.output);
    expect(dst.outcome()).toEqual({ kind: 'poweroff', status: 0 });
    expect(asked.length).toBeGreaterThan(64); // at least the working set came on demand
    expect(new Set(asked).size).toBe(asked.length); // each page asked for once
    expect(dst.missingCount).toBe(dst.pages - asked.length);
    expect(sawStalled).toBe(true);
  }, 60_000);

  test('a page marked missing again is asked for again once the guest needs it', async () => {
    const img = LONG();
    const ref = await baseline(img, MEM);
    const { state, pages, before } = await source(img);
    const out2 = sink();
    const dst = host().add({ name: 'dst', memSize: MEM, output: out2.out });
    copyPages(pages, dst);
    await dst.restore(state);
    dst.resume();
    await until(() => dst.instructions > state.cpu.instret + 1_000_000, 'it to run');
    await dst.pause();
    const snap = dst.ram.slice();
    const wsFirst = (0x8020_0000 - RAM_BASE) / PAGE_SIZE;
    for (let p = wsFirst; p < wsFirst + 64; p++) dst.markMissing(p);
    expect(dst.missingCount).toBe(64);
    const asked: number[] = [];
    dst.onMissingPage = (n) => {
      asked.push(n);
      setImmediate(() => dst.writePage(n, snap.subarray(n * PAGE_SIZE, (n + 1) * PAGE_SIZE)));
    };
    dst.resume();
    await until(() => ended(dst), 'it to end');
    expect(before + out2.text).toBe(ref.output);
    expect(asked.sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => wsFirst + i));
  }, 60_000);
});

describe('between monitors', () => {
  test('native → hosted → native: the same console output as never moved', async () => {
    const img = LONG();
    const ref = await baseline(img, MEM);
    let text = '';
    const out = (b: Uint8Array): void => void (text += Buffer.from(b).toString('latin1'));
    const ends: VmOutcome[] = [];
    const native = new NativeMonitor([], { capacity: 2 * vmFootprint(MEM), onVmEnd: (_n, o) => ends.push(o) });
    const serving = native.serve();
    try {
      const n1 = native.add({ name: 'n1', memSize: MEM, image: img, output: out });
      await until(() => n1.instructions > 2_000_000, 'the native guest to run');
      await n1.pause();
      const s1 = await n1.save('paused');
      const hosted = host().add({ name: 'h', memSize: MEM, output: out });
      copyPages(n1.ram, hosted);
      await hosted.restore(s1);
      native.remove('n1');
      hosted.resume();
      await until(() => hosted.instructions > s1.cpu.instret + 2_000_000, 'the hosted guest to run');
      await hosted.pause();
      expect(ended(hosted)).toBe(false);
      const s2 = await hosted.save('paused');
      const n2 = native.add({ name: 'n2', memSize: MEM, output: out });
      copyPages(hosted.ram, n2);
      await n2.restore(s2);
      n2.resume();
      await until(() => ends.length > 0, 'the native guest to end');
      expect(ends).toEqual([{ kind: 'poweroff', status: 0 }]);
      expect(text).toBe(ref.output);
    } finally {
      await native.close();
      await serving;
    }
  }, 60_000);
});

describe('HostClock.rebase', () => {
  test('virtual time goes on from a restored time, not from the clock\'s own start', () => {
    let now = 1000;
    const clock = new HostClock(() => now);
    now = 1010;
    expect(clock.ticks()).toBe(10 * TICKS_PER_MS);
    clock.rebase(3 * TICKS_PER_MS); // restored at 3 ms of its own time, 10 ms after this clock started
    expect(clock.ticks()).toBe(3 * TICKS_PER_MS);
    now = 1012;
    expect(clock.ticks()).toBe(5 * TICKS_PER_MS);
    const cpu = { instret: 3 * TICKS_PER_MS, idle: 0, get time() { return this.instret + this.idle; } };
    clock.sync(cpu as never);
    expect(cpu.time).toBe(5 * TICKS_PER_MS); // two host milliseconds later: two milliseconds on, not twelve
  });
});
