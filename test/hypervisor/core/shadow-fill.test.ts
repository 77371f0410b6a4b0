/**
 * A page the shadow tables only hid is filled where the access stands
 * (FastPath.fault through Machine.assist): the instruction completes instead
 * of trapping and being retried, so the translation tier sees the guest kernel
 * enter its code at the same places as on the bare machine — and translates
 * the same code, no more. Before, each hidden fault left the interpreter at
 * the faulting instruction, a new entry point: the boot of the bench's cpu
 * kernel translated 2,183 instructions in 8 translations against bare's 1,464
 * in 7, and compiling the difference was most of the monitor's cost there.
 */
import { describe, expect, test } from 'vitest';
import { kernelWith, MONITOR_WORKLOADS } from '../../../bench/sections/monitors.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { BareMachine } from '../../../vm/bare.js';
import type { JitStats } from '../../../vm/jit/jit.js';

const MEM = 16 * 1024 * 1024;
const decoder = new TextDecoder();

/** What the translation tier made of the run: the same code translated means the same counts. */
const translated = (s: JitStats) => ({ translations: s.translations, instructionsTranslated: s.instructionsTranslated, invalidations: s.invalidations });

describe('hidden faults are filled in place', () => {
  test.each(MONITOR_WORKLOADS.map((w) => w.name))('the %s kernel: same output, count and translations as bare, with hidden faults taken', async (name) => {
    const kernel = kernelWith(MONITOR_WORKLOADS.find((w) => w.name === name)!, true);
    let bareOut = '';
    const bare = new BareMachine(kernel, { memSize: MEM, tier: 'jit', output: (b) => (bareOut += decoder.decode(b)) });
    expect(await bare.run()).toEqual({ kind: 'poweroff', status: 0 });

    let nativeOut = '';
    const mon = new NativeMonitor([{ name: 'vm1', image: kernel, memSize: MEM }], { tier: 'jit', output: (_i, b) => (nativeOut += decoder.decode(b)) });
    const r = await mon.run();
    const vm = r.vms[0]!;
    expect(vm.outcome).toEqual({ kind: 'poweroff', status: 0 });
    expect(nativeOut).toBe(bareOut);
    expect(vm.instructions).toBe(bare.machine.cpu.instret);
    // The fills happened (the kernel's boot maps its pages lazily), and none was a retry.
    expect(vm.stats.hiddenFaults).toBeGreaterThan(0);
    expect(translated(mon.machine.jit!.stats)).toEqual(translated(bare.machine.jit!.stats));
  }, 60_000);

  test('watched by the slow path (every trap an event), the same counts of hidden faults and traps', async () => {
    const kernel = kernelWith(MONITOR_WORKLOADS[0]!, true);
    const run = async (watch: boolean) => {
      const mon = new NativeMonitor([{ name: 'vm1', image: kernel, memSize: MEM }], { tier: 'jit', output: () => {}, ...(watch ? { onEvent: () => {} } : {}) });
      const vm = (await mon.run()).vms[0]!;
      return { instructions: vm.instructions, hidden: vm.stats.hiddenFaults, reflected: vm.stats.reflectedFaults, traps: { ...vm.stats.traps } };
    };
    const fast = await run(false);
    expect(fast.hidden).toBeGreaterThan(0);
    expect(await run(true)).toEqual(fast);
  }, 60_000);
});
