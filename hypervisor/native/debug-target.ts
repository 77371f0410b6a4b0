/**
 * A VM under the native monitor as a debug target (vm/debug/target.ts):
 * `typevisor boot KERNEL --monitor native --debug`. The debugger sees what the
 * guest believes — the virtual CPU's mode and CSRs, guest-physical RAM, the
 * guest's own page tables — while the guest really runs deprivileged over
 * shadow tables. A tick is one monitor slice of one guest instruction, cut
 * short right after a trap or interrupt is delivered into the guest
 * (VirtualMachine.stopOnTrap); hidden faults and emulation stay invisible.
 * Virtual time is the guest's instruction count, so replays are exact.
 */
import { TLB_SIZE } from '../../vm/mmu.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { tlbEntries } from '../../vm/debug/tlb.js';
import type { DebugTarget, TickEnd } from '../../vm/debug/target.js';
import type { VmState } from '../core/state.js';
import { SliceEnd } from '../core/vcpu.js';
import type { VirtualMachine } from '../core/vm.js';
import type { NativeMonitor } from './native-monitor.js';

export interface NativeDebugOptions {
  /** Why reverse execution cannot work here, if it cannot (a disk file that is not rewound). */
  readonly irreversible?: string;
  /** Sessions on a daemon: history starts when the debugger attached. */
  readonly note?: string;
}

export class NativeDebugTarget implements DebugTarget {
  readonly kind = 'native' as const;
  readonly irreversible: string | undefined;
  private muted = false;
  private sink: ((bytes: Uint8Array) => void) | undefined;

  constructor(
    readonly monitor: NativeMonitor,
    readonly vm: VirtualMachine,
    options: NativeDebugOptions = {},
  ) {
    this.vm.stopOnTrap = true;
    this.irreversible = options.irreversible;
  }

  /** The debugger let go: the VM runs whole slices again. */
  release(): void {
    this.vm.stopOnTrap = false;
    if (this.muted) this.muteOutput(false);
  }

  get cpu() {
    return this.vm.cpu;
  }

  get memory() {
    return this.vm.memory;
  }

  tick(): TickEnd {
    const vm = this.vm;
    if (vm.halted) return { kind: 'halted', status: vm.exitStatus };
    const entered = vm.trapsEntered;
    const end = this.monitor.runSlice(vm, 1);
    if (end === SliceEnd.HALTED) return { kind: 'halted', status: vm.exitStatus };
    if (end === SliceEnd.FAILED) return { kind: 'failed', reason: vm.failure ?? 'failed' };
    if (end === SliceEnd.WAITING) return { kind: 'stuck', reason: 'the guest waits for an interrupt, but no timer is set and console input has ended' };
    return { kind: 'ticked', trapped: vm.trapsEntered !== entered };
  }

  saveState(): VmState {
    return this.vm.save('native', 'paused');
  }

  restoreState(state: unknown): void {
    this.vm.restore(state as VmState);
    this.vm.failure = undefined;
  }

  invalidate(): void {
    this.vm.shadow.reset();
    this.vm.addressSpaceChanged = true;
  }

  muteOutput(mute: boolean): void {
    if (mute === this.muted) return;
    // Replayed output was shown the first time: the console is unplugged while it is re-made.
    if (mute) {
      this.sink = this.monitor.outputOf(this.vm.name);
      this.monitor.setOutput(this.vm.name, undefined);
    } else this.monitor.setOutput(this.vm.name, this.sink);
    this.muted = mute;
  }

  vmInfo(): string[] {
    const s = this.vm.stats;
    const list = (c: Readonly<Record<string, number>>): string => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    return [
      `${this.vm.name} under the native monitor: the guest runs in real user mode over shadow page tables`,
      `  guest mode (virtual)   ${this.vm.cpu.mode === 0 ? 'user' : 'supervisor'}`,
      `  emulated               ${list(s.emulated)}`,
      `  reflected              ${list(s.reflected)}`,
      `  injected interrupts    ${list(s.injected)}`,
      `  hidden faults          ${s.hiddenFaults} (shadow entries filled; the guest never saw them)`,
      `  reflected page faults  ${s.reflectedFaults}`,
      `  device accesses        ${s.mmio}`,
    ];
  }

  tlbLines(): readonly string[] {
    const window = this.vm.memory.u8.byteOffset - this.monitor.machine.memory.u8.byteOffset;
    return ['the real TLB, guest virtual → guest physical (it caches the shadow tables):', ...tlbEntries(this.monitor.machine.mmu, TLB_SIZE, (off) => RAM_BASE + off - window)];
  }
}
