/**
 * The native monitor as a long-lived host: VMs added and removed over a RAM
 * partition, paused and resumed between two instructions, served until closed.
 */
import { describe, expect, test } from 'vitest';
import { MonitorConfigError, NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { RamPartition } from '../../../hypervisor/native/partition.js';
import { baseline, image, MiB } from './helpers.js';

const IMG = () => image('incrementer', { WS_PAGES: 64, PASSES: 40, SPIN: 4, FILL: 0 });

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error('timed out'));
      else setTimeout(tick, 2);
    };
    tick();
  });
}

describe('RamPartition', () => {
  test('first fit, and freed neighbours merge back into one extent', () => {
    const p = new RamPartition(100);
    expect([p.take(30), p.take(30), p.take(30)]).toEqual([0, 30, 60]);
    expect(p.take(20)).toBe(-1);
    p.give(30, 30);
    p.give(0, 30);
    expect(p.take(50)).toBe(0); // 0..60 merged
    p.give(0, 50);
    p.give(60, 30);
    expect(p.free).toBe(100);
    expect(p.take(100)).toBe(0);
  });
});

describe('NativeMonitor as a host', () => {
  test('VMs come and go while it serves; a reused extent starts as fresh RAM', async () => {
    const ref = await baseline(IMG(), 4 * MiB);
    const ended: string[] = [];
    const outs: Record<string, string> = { a: '', b: '', c: '' };
    const h = new NativeMonitor([], { capacity: 2 * (4 * MiB + 2 * MiB), onVmEnd: (name, o) => ended.push(`${name} ${o.kind}`) });
    const serving = h.serve();
    for (const name of ['a', 'b']) h.addVm({ name, memSize: 4 * MiB, image: IMG(), output: (b) => (outs[name] += Buffer.from(b).toString()) });
    expect(() => h.addVm({ name: 'c', memSize: 4 * MiB, image: IMG() })).toThrow(MonitorConfigError);
    expect(() => h.addVm({ name: 'a', memSize: 4 * MiB, image: IMG() })).toThrow(/already runs here/);
    await until(() => ended.length === 2);
    expect(ended.sort()).toEqual(['a poweroff', 'b poweroff']);
    h.removeVm('a');
    h.addVm({ name: 'c', memSize: 4 * MiB, image: IMG(), output: (b) => (outs['c'] += Buffer.from(b).toString()) });
    await until(() => ended.length === 3);
    expect(outs['a']).toBe(ref.output);
    expect(outs['b']).toBe(ref.output);
    expect(outs['c']).toBe(ref.output); // not confused by what 'a' left in the same RAM
    h.close();
    await serving;
  });

  test('pause stops a VM between two instructions; resume goes on; the result is the same', async () => {
    const LONG = image('incrementer', { WS_PAGES: 64, PASSES: 3000, SPIN: 4, FILL: 0 });
    const ref = await baseline(LONG, 4 * MiB);
    let out = '';
    const h = new NativeMonitor([], { capacity: 9 * MiB });
    const serving = h.serve();
    const vm = h.addVm({ name: 'g', memSize: 4 * MiB, image: LONG, output: (b) => (out += Buffer.from(b).toString()) });
    await until(() => vm.cpu.instret > 10_000);
    h.pause('g');
    expect(h.state('g')).toBe('paused');
    const at = vm.cpu.instret;
    // Paused, shown by events: a second VM on the same host makes progress meanwhile, this one none.
    const witness = h.addVm({ name: 'w', memSize: MiB, image: IMG() });
    await until(() => witness.cpu.instret > 200_000);
    expect(vm.cpu.instret).toBe(at);
    h.removeVm('w');
    h.resume('g');
    await until(() => h.state('g') === 'poweroff');
    expect(out).toBe(ref.output);
    expect(vm.cpu.time).toBe(ref.guestTicks);
    h.close();
    await serving;
  });

  test('a VM added without an image is empty and paused', () => {
    const h = new NativeMonitor([], { capacity: 6 * MiB });
    const vm = h.addVm({ name: 'empty', memSize: 4 * MiB });
    expect(h.state('empty')).toBe('paused');
    expect(vm.memory.u8.every((b) => b === 0)).toBe(true);
    expect(() => h.state('nope')).toThrow(/no VM named nope/);
  });
});
