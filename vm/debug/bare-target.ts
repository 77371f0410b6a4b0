/**
 * The bare machine as a debug target: a kernel booted as `typevisor boot`
 * boots it (supervisor mode, paging off, a0 = RAM size), driven one tick at a
 * time. Console input is over from the start (the debugger's own input
 * carries commands), so a run is the same every time.
 */
import type { Image } from '../../isa/image.js';
import { Reg } from '../../isa/registers.js';
import { loadImageIntoRam } from '../bare.js';
import { Mode } from '../cpu.js';
import { ConsoleDevice } from '../devices/console.js';
import { DiskDevice, type DiskBackend } from '../devices/disk.js';
import { NetDevice } from '../devices/net.js';
import { PowerDevice } from '../devices/power.js';
import { Exit } from '../exit.js';
import { Machine, type MachineSnapshot } from '../machine.js';
import { TLB_SIZE } from '../mmu.js';
import { RAM_BASE } from '../memmap.js';
import type { DebugTarget, TickEnd } from './target.js';
import { tlbEntries } from './tlb.js';

export interface BareTargetOptions {
  readonly memSize: number;
  readonly disk?: DiskBackend;
  readonly output: (bytes: Uint8Array) => void;
}

interface BareState {
  readonly machine: MachineSnapshot;
  readonly halted: boolean;
  readonly exitStatus: number;
  readonly waiting: boolean;
}

export class BareTarget implements DebugTarget {
  readonly kind = 'bare' as const;
  readonly machine: Machine;
  readonly irreversible: string | undefined;
  private trapped = false;
  /** In wfi with nothing to wake it yet. */
  private waiting = false;
  private muted = false;

  constructor(image: Image, options: BareTargetOptions) {
    // The interpreter alone: the debugger rewrites RAM (set, checkpoints) behind the machine's back.
    const m = (this.machine = new Machine({ memSize: options.memSize, tier: 'interp' }));
    const console = new ConsoleDevice((b) => {
      if (!this.muted) options.output(Uint8Array.of(b));
    });
    m.addDevice(console);
    m.addDevice(new DiskDevice(options.disk));
    m.addDevice(new PowerDevice());
    m.addDevice(new NetDevice());
    loadImageIntoRam(m.memory, image);
    m.reset(image.entry, Mode.SUPERVISOR);
    m.cpu.regs[Reg.A0] = m.memory.size;
    console.endInput();
    // Stop right after a trap is entered: the interpreter returns at its next check.
    m.onTrap = () => {
      this.trapped = true;
      m.pendingExit = Exit.BUDGET;
    };
    this.irreversible = options.disk === undefined ? undefined : 'a disk file is attached, and its contents cannot be rewound';
  }

  get cpu() {
    return this.machine.cpu;
  }

  get memory() {
    return this.machine.memory;
  }

  tick(): TickEnd {
    const m = this.machine;
    if (m.halted) return { kind: 'halted', status: m.exitStatus };
    if (this.waiting) {
      if (m.wakeable() || m.skipToTimer()) this.waiting = false;
      else return { kind: 'stuck', reason: 'the guest waits for an interrupt, but no timer is set and console input has ended' };
    }
    this.trapped = false;
    const e = m.run(1);
    if (e === Exit.HALT) return { kind: 'halted', status: m.exitStatus };
    if (e === Exit.WFI && !m.wakeable()) this.waiting = true;
    return { kind: 'ticked', trapped: this.trapped };
  }

  saveState(): BareState {
    const m = this.machine;
    return { machine: m.save(), halted: m.halted, exitStatus: m.exitStatus, waiting: this.waiting };
  }

  restoreState(state: unknown): void {
    const s = state as BareState;
    const m = this.machine;
    m.restore(s.machine);
    m.halted = s.halted;
    m.exitStatus = s.exitStatus;
    this.waiting = s.waiting;
  }

  invalidate(): void {
    this.machine.mmu.flush();
  }

  muteOutput(mute: boolean): void {
    this.muted = mute;
  }

  vmInfo(): undefined {
    return undefined;
  }

  tlbLines(): readonly string[] {
    const mmu = this.machine.mmu;
    return tlbEntries(mmu, TLB_SIZE, (off) => RAM_BASE + off);
  }
}
