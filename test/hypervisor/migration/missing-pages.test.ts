/**
 * What post-copy needs from the core: a page not here yet is never seen. A
 * walk through a missing page-table page or onto a missing data page stalls
 * the vCPU (nothing installed, the instruction not retired); so does a disk
 * command whose DMA buffer is missing — before the device sees it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import { SliceEnd } from '../../../hypervisor/core/vcpu.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { DISK_STATUS, MemoryDisk } from '../../../vm/devices/disk.js';
import { RAM_BASE } from '../../../vm/memmap.js';
import { baseline, image, MiB } from './helpers.js';

const page = (pa: number): number => (pa - RAM_BASE) >>> 12;

describe('a missing page stalls the vCPU', () => {
  test('a disk command whose DMA buffer has not arrived waits; the device never sees it', async () => {
    const file = new URL('../../fixtures/migration/dma.s', import.meta.url).pathname;
    const r = assemble(readFileSync(file, 'utf8'), { filename: file, defaultTextBase: RAM_BASE });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    const disk = new Uint8Array(4096);
    new DataView(disk.buffer).setUint32(0, 305419896, true);
    let out = '';
    const host = new NativeMonitor([{ name: 'g', image: r.image, memSize: 16 * MiB, disk: new MemoryDisk(disk) }], { output: (_i, b) => (out += Buffer.from(b).toString()) });
    const vm = host.vms[0]!;
    const missing = new Uint8Array(vm.memory.pages);
    missing[page(0x80300000)] = 1;
    vm.shadow.missing = missing;
    const stalls: number[] = [];
    host.onMissingPage = (_vm, p) => stalls.push(p);
    expect(host.runSlice(vm, 1_000_000)).toBe(SliceEnd.MISSING);
    expect(stalls).toEqual([page(0x80300000)]);
    expect(host.state('g')).toBe('stalled');
    expect(vm.disk.reads).toBe(0);
    expect(vm.disk.read(DISK_STATUS)).toBe(0); // idle: the command was not issued
    const retired = vm.cpu.instret;
    expect(host.runSlice(vm, 1_000_000)).toBe(SliceEnd.MISSING); // still waiting, nothing ran
    expect(vm.cpu.instret).toBe(retired);
    missing[page(0x80300000)] = 0; // the page arrives
    expect(host.runSlice(vm, 1_000_000)).toBe(SliceEnd.HALTED);
    expect(out).toBe('305419896\n');
  });

  test('a walk through a missing page-table page stalls on that page, level 1 then level 0; then the guest goes on as if nothing happened', async () => {
    const img = image('incrementer', { WS_PAGES: 64, PASSES: 300, SPIN: 2 });
    const ref = await baseline(img, 4 * MiB);
    let out = '';
    const host = new NativeMonitor([], { capacity: 6 * MiB });
    const vm = host.addVm({ name: 'g', memSize: 4 * MiB, image: img, output: (b) => (out += Buffer.from(b).toString()) });
    host.runSlice(vm, 30_000); // paging is on by now
    expect(vm.cpu.csr[6]! & 1).toBe(1); // ptbase: paging on
    // as on a destination: no shadow entries, and the page tables not here yet
    const missing = new Uint8Array(vm.memory.pages);
    const root = page(0x80080000);
    const l0 = root + 1 + (page(0x80200000) >>> 10); // the level-0 table mapping the working set
    missing[root] = 1;
    missing[l0] = 1;
    vm.shadow.missing = missing;
    vm.shadow.reset();
    vm.addressSpaceChanged = true;
    const stalls: number[] = [];
    host.onMissingPage = (_vm, p) => stalls.push(p);
    expect(host.runSlice(vm, 1_000_000)).toBe(SliceEnd.MISSING);
    missing[root] = 0;
    expect(host.runSlice(vm, 1_000_000)).toBe(SliceEnd.MISSING);
    missing[l0] = 0;
    vm.shadow.missing = undefined;
    for (let i = 0; i < 100 && host.state('g') === 'running'; i++) host.runSlice(vm, 1_000_000);
    expect(stalls).toEqual([root, l0]);
    expect(out).toBe(ref.output);
    expect(vm.cpu.time).toBe(ref.guestTicks);
  });
});
