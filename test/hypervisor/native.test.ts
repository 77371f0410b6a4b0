/**
 * The native monitor: guests run deprivileged, yet see exactly what the bare
 * machine shows them; hostile guests are contained; runs are deterministic.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../isa/asm/index.js';
import type { Image } from '../../isa/image.js';
import { NativeMonitor, type NativeVmConfig } from '../../hypervisor/native/native-monitor.js';
import { BareMachine } from '../../vm/bare.js';
import { MemoryDisk } from '../../vm/devices/disk.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { runCli } from '../helpers/cli.js';
import { KERNEL_DIR, writeKernel } from '../helpers/kernel.js';

const dir = new URL('../fixtures/monitor/', import.meta.url);
const MEM = 16 * 1024 * 1024;

function kernel(name: string): Image {
  const file = new URL(`${name}.s`, dir).pathname;
  const r = assemble(readFileSync(file, 'utf8'), { filename: file, defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

async function bare(name: string, disk?: MemoryDisk) {
  let out = '';
  const m = new BareMachine(kernel(name), { memSize: MEM, output: (b) => (out += Buffer.from(b).toString()), ...(disk ? { disk } : {}) });
  const result = await m.run();
  return { out, result, instructions: m.machine.cpu.instret };
}

async function native(configs: { name: string; kernel: string; disk?: MemoryDisk; share?: number }[], maxInstructions?: number) {
  const outs = configs.map(() => '');
  const monitor = new NativeMonitor(
    configs.map((c): NativeVmConfig => ({ name: c.name, image: kernel(c.kernel), memSize: MEM, ...(c.disk ? { disk: c.disk } : {}), ...(c.share ? { share: c.share } : {}) })),
    { output: (i, b) => (outs[i] += Buffer.from(b).toString()), ...(maxInstructions ? { maxInstructions } : {}) },
  );
  const result = await monitor.run();
  return { outs, result, monitor };
}

const disk = () => new MemoryDisk(new Uint8Array(64 * 1024));

describe('a guest sees the bare machine', () => {
  test.each(['victim', 'pt-escape', 'user-priv'])('%s: same console output, status and instruction count as on bare hardware', async (name) => {
    const b = await bare(name);
    const n = await native([{ name: 'vm1', kernel: name }]);
    expect(n.outs[0]).toBe(b.out);
    expect(n.result.vms[0]!.outcome).toEqual(b.result);
    expect(n.result.vms[0]!.instructions).toBe(b.instructions);
  });
});

describe('hostile guests are contained', () => {
  test('page tables pointing past the guest\'s RAM fault in the guest, and the VM whose memory lies there is untouched', async () => {
    const alone = await native([{ name: 'victim', kernel: 'victim' }]);
    const n = await native([{ name: 'evil', kernel: 'pt-escape' }, { name: 'victim', kernel: 'victim' }]);
    expect(n.outs[0]).toBe('paging on; writing past my RAM\ntrap 8\n');
    expect(n.result.vms[0]!.outcome).toEqual({ kind: 'poweroff', status: 8 });
    expect(n.outs[1]).toBe(alone.outs[0]);
    expect(n.result.vms[1]!.outcome).toEqual({ kind: 'poweroff', status: 0 });
    expect(n.result.vms[0]!.stats.reflectedFaults).toBeGreaterThan(0);
  });

  test('DMA to an address outside the VM is a device error the guest sees', async () => {
    const b = await bare('dma-escape', disk());
    const n = await native([{ name: 'evil', kernel: 'dma-escape', disk: disk() }, { name: 'victim', kernel: 'victim' }]);
    expect(b.out).toBe('disk status 3 error 2\n');
    expect(n.outs[0]).toBe(b.out);
    expect(n.result.vms[1]!.outcome).toEqual({ kind: 'poweroff', status: 0 });
  });

  test('a privileged instruction in guest user mode reaches the guest kernel as its own trap', async () => {
    const n = await native([{ name: 'vm1', kernel: 'user-priv' }]);
    expect(n.outs[0]).toBe('entering user mode\ntrap 3\n');
    expect(n.result.vms[0]!.stats.reflected['privileged-instruction']).toBe(1);
  });

  test('a guest that never yields does not stop the others', async () => {
    const n = await native([{ name: 'spin', kernel: 'spinner' }, { name: 'victim', kernel: 'victim' }], 6_000_000);
    expect(n.result.vms[0]!.outcome).toEqual({ kind: 'budget' });
    expect(n.outs[1]).toMatch(/^victim sum \d+\n$/);
    expect(n.result.vms[1]!.outcome).toEqual({ kind: 'poweroff', status: 0 });
  });
});

describe('determinism and shares', () => {
  test('three VMs give the same interleaving every run', async () => {
    const cfg = [{ name: 'a', kernel: 'victim' }, { name: 'b', kernel: 'pt-escape' }, { name: 'c', kernel: 'user-priv' }];
    const one = await native(cfg);
    const two = await native(cfg);
    expect(two.outs).toEqual(one.outs);
    expect(two.result.vms.map((v) => v.instructions)).toEqual(one.result.vms.map((v) => v.instructions));
  });
});

describe('the CLI', () => {
  test('boot --monitor native --vms 2 prefixes each VM\'s lines and exits with the guests\' status', () => {
    const r = runCli(['boot', new URL('victim.s', dir).pathname, '--monitor', 'native', '--vms', '2', '--stats']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\[vm1\] victim sum \d+\n\[vm2\] victim sum \d+\n$/);
    expect(r.stderr).toContain('[vm1] powered off, status 0');
    expect(r.stderr).toContain('shadow faults');
  });

  test('bad monitor options are explained', () => {
    expect(runCli(['boot', new URL('victim.s', dir).pathname, '--vms', '2']).stderr).toContain('--monitor native');
    expect(runCli(['boot', new URL('victim.s', dir).pathname, '--monitor', 'native', '--vms', '2', '--share', '2:x']).stderr).toContain('--share');
  });
});

describe('the guest kernel under the native monitor', () => {
  const KERNEL = new URL('../../guests/kernel/kernel.s', import.meta.url).pathname;
  const image = (() => {
    const r = assemble(readFileSync(KERNEL, 'utf8'), { filename: KERNEL, defaultTextBase: RAM_BASE });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    return r.image;
  })();

  test('prints byte for byte what it prints on the bare machine, in the same number of instructions', async () => {
    let bareOut = '';
    const b = new BareMachine(image, { memSize: MEM, output: (x) => (bareOut += Buffer.from(x).toString()) });
    expect(await b.run()).toEqual({ kind: 'poweroff', status: 0 });
    const outs = ['', '', ''];
    const mon = new NativeMonitor([0, 1, 2].map((i) => ({ name: `vm${i + 1}`, image, memSize: MEM })), { output: (i, x) => (outs[i] += Buffer.from(x).toString()) });
    const r = await mon.run();
    for (let i = 0; i < 3; i++) {
      expect(outs[i]).toBe(bareOut);
      expect(r.vms[i]!.instructions).toBe(b.machine.cpu.instret);
      expect(r.vms[i]!.outcome).toEqual({ kind: 'poweroff', status: 0 });
    }
    expect(bareOut).toContain('kernel: killed pid');
    expect(r.vms[0]!.stats.emulated['sret']).toBeGreaterThan(10);
    expect(r.vms[0]!.stats.injected['timer']).toBeGreaterThan(10);
  });

  test('with hostile programs among its processes — one jumps into kernel code — the same bytes, process table included, and instruction count', async () => {
    const temp = mkdtempSync(join(tmpdir(), 'tv-native-'));
    try {
      const evil = (name: string) => ({ name, file: join(KERNEL_DIR, 'tests', `${name}.s`) });
      const file = writeKernel(temp, 'hostile', [
        { name: 'hello', file: join(KERNEL_DIR, '../programs/hello.s') },
        evil('evil-jump'), evil('evil-kmem'), evil('evil-peek'), evil('evil-text'),
        { name: 'sieve', file: join(KERNEL_DIR, '../programs/sieve.s') },
      ]);
      const r0 = assemble(readFileSync(file, 'utf8'), { filename: file, defaultTextBase: RAM_BASE });
      if (!r0.ok) throw new Error(r0.diagnostics.map((d) => d.message).join('\n'));
      let bareOut = '';
      const b = new BareMachine(r0.image, { memSize: MEM, output: (x) => (bareOut += Buffer.from(x).toString()) });
      expect(await b.run()).toEqual({ kind: 'poweroff', status: 0 });
      let out = '';
      const r = await new NativeMonitor([{ name: 'vm1', image: r0.image, memSize: MEM }], { output: (_i, x) => (out += Buffer.from(x).toString()) }).run();
      expect(bareOut).toContain('kernel: killed pid 2 (evil-jump): fetch-fault at pc 0x80000000, address 0x80000000');
      expect(out).toBe(bareOut);
      expect(r.vms[0]!.instructions).toBe(b.machine.cpu.instret);
      expect(r.vms[0]!.stats.reflected['fetch-fault']).toBe(1);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  });
});

describe('CPU shares', () => {
  test('a VM with the larger share finishes the same work first', async () => {
    const order: string[] = [];
    const run = async (shares: [number, number]) => {
      order.length = 0;
      const mon = new NativeMonitor(
        ['a', 'b'].map((name, i) => ({ name, image: kernel('victim'), memSize: MEM, share: shares[i]! })),
        { output: (i, b) => { if (Buffer.from(b).toString().includes('\n')) order.push(i === 0 ? 'a' : 'b'); } },
      );
      await mon.run();
      return [...order];
    };
    expect(await run([4, 1])).toEqual(['a', 'b']);
    expect(await run([1, 4])).toEqual(['b', 'a']);
  });
});
