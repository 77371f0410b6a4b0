/**
 * A virtual machine: a virtual CPU, guest-physical memory and devices of its
 * own, and the shadow page tables that let it run on the real CPU.
 *
 * The guest kernel believes it owns a machine exactly like the bare one: RAM
 * from 0x8000_0000, the same devices at the same addresses, the same boot
 * protocol (supervisor mode, paging off, a0 = RAM size). Everything it can
 * observe is in this object as plain data; the real CPU only holds its
 * registers while the VM is loaded (see vcpu.ts).
 *
 * The VM is the PrivilegedEnv for its virtual CPU — what the guest kernel's
 * privileged instructions do, once emulated — and the DeviceHost for its
 * devices, which therefore reach only this VM's memory and raise only this
 * VM's interrupt lines.
 */
import type { Image } from '../../isa/image.js';
import { Csr, Irq } from '../../isa/csr.js';
import { Reg } from '../../isa/registers.js';
import { BootError, loadImageIntoRam } from '../../vm/bare.js';
import { CpuState, Mode, NO_DEADLINE } from '../../vm/cpu.js';
import { Bus, type Device, type DeviceHost } from '../../vm/device.js';
import { ConsoleDevice, type ConsoleSink } from '../../vm/devices/console.js';
import { DiskDevice, type DiskBackend } from '../../vm/devices/disk.js';
import { NetDevice, type NetBackend } from '../../vm/devices/net.js';
import { PowerDevice } from '../../vm/devices/power.js';
import type { PhysicalMemory } from '../../vm/memory.js';
import type { Lifecycle } from './lifecycle.js';
import { deliverableIrq, timerPending, type PrivilegedEnv } from '../../vm/privileged.js';
import type { ShadowPager } from './shadow.js';
import type { MonitorKind, VmState } from './state.js';
import { VmStats } from './stats.js';

export interface VmDevices {
  readonly console?: ConsoleSink;
  readonly disk?: DiskBackend;
  /** The host end of the network device (the hosted monitor's socket); none: no cable. */
  readonly net?: NetBackend;
}

/** What happened, for --trace-traps: one event per trap the monitor handled. */
export interface VmEvent {
  readonly vm: string;
  readonly time: number;
  readonly what: string;
  readonly pc: number;
  readonly detail: string;
  readonly action: 'emulated' | 'reflected' | 'hidden fault' | 'mmio' | 'injected' | 'halted' | 'waiting';
}

export class VirtualMachine implements DeviceHost, PrivilegedEnv {
  /** The virtual CPU. While loaded on a real CPU its regs and pc are stale (see vcpu.ts). */
  readonly cpu = new CpuState();
  /** Interrupt lines raised by this VM's devices. */
  ipDevices = 0;
  /** In wfi with nothing pending. */
  waiting = false;
  halted = false;
  exitStatus = 0;
  /** Why the monitor had to stop this VM (an internal failure), if it did. */
  failure: string | undefined;

  readonly bus = new Bus();
  readonly console: ConsoleDevice;
  readonly disk: DiskDevice;
  readonly power = new PowerDevice();
  readonly net: NetDevice;
  readonly stats = new VmStats();

  /** Set when the virtual address space changed (or the real MMU may hold another's entries): the real ptbase must follow, the real TLB be flushed. */
  addressSpaceChanged = true;
  /** Set when only the virtual mode changed (a trap entered, an sret): the real ptbase must follow; the TLB keeps both modes (world-switch.ts). */
  modeChanged = false;

  /** Traps and interrupts delivered into the guest so far (a debugger tells trap entries apart by it). */
  trapsEntered = 0;
  /**
   * A debugger steps the guest: runVm returns as soon as a trap or interrupt
   * has been delivered, so the guest stops on the first instruction of its
   * handler (as it would on the bare machine), not one instruction into it.
   */
  stopOnTrap = false;

  onEvent: ((e: VmEvent) => void) | undefined;
  /** Called when a device raises a line (a waiting VM may have work again). */
  onWake: (() => void) | undefined;

  constructor(
    readonly name: string,
    /** Guest-physical RAM: a window of the host's RAM. */
    readonly memory: PhysicalMemory,
    readonly shadow: ShadowPager,
    devices: VmDevices = {},
  ) {
    this.console = new ConsoleDevice(devices.console);
    this.disk = new DiskDevice(devices.disk);
    this.net = new NetDevice(devices.net);
    for (const d of [this.console, this.disk, this.power, this.net] as Device[]) this.bus.add(d, this);
  }

  /** Load a kernel image and reset the virtual CPU as the bare machine's firmware would. */
  boot(image: Image): void {
    try {
      loadImageIntoRam(this.memory, image);
    } catch (e) {
      if (e instanceof BootError) throw new BootError(`${this.name}: ${e.message}`);
      throw e;
    }
    this.cpu.reset(image.entry, Mode.SUPERVISOR);
    this.cpu.regs[Reg.A0] = this.memory.size;
    this.ipDevices = 0;
    this.waiting = false;
    this.halted = false;
    this.addressSpaceChanged = true;
  }

  /** Virtual time: instructions the guest retired, plus idle time it skipped. */
  get time(): number {
    return this.cpu.time;
  }

  /** An enabled interrupt is pending: what ends a wfi. */
  wakeable(): boolean {
    return (this.ip() & this.cpu.csr[Csr.IE]!) !== 0;
  }

  deliverableIrq(): number {
    return deliverableIrq(this.cpu, this.ip());
  }

  /** The virtual timer is set and its line enabled: it will end a wait. */
  canTimerWake(): boolean {
    return this.cpu.timerDeadline !== NO_DEADLINE && (this.cpu.csr[Csr.IE]! & (1 << Irq.TIMER)) !== 0;
  }

  /** Skip the waiting VM's virtual time to its timer deadline. False if the timer cannot end the wait. */
  skipToTimer(): boolean {
    const cpu = this.cpu;
    if (cpu.timerDeadline === NO_DEADLINE || (cpu.csr[Csr.IE]! & (1 << Irq.TIMER)) === 0) return false;
    if (cpu.timerDeadline > cpu.time) cpu.idle += cpu.timerDeadline - cpu.time;
    return true;
  }

  event(what: string, pc: number, detail: string, action: VmEvent['action']): void {
    this.onEvent?.({ vm: this.name, time: this.cpu.time, what, pc: pc >>> 0, detail, action });
  }

  // ---- PrivilegedEnv: the guest kernel's privileged instructions, emulated ----

  ip(): number {
    return this.ipDevices | timerPending(this.cpu);
  }

  ptbaseWritten(): void {
    this.shadow.flushEpoch();
    this.addressSpaceChanged = true;
  }

  flushTlb(va: number | undefined): void {
    if (va === undefined) this.shadow.flushAll();
    else this.shadow.flushPage(va);
    this.addressSpaceChanged = true; // the real TLB must forget too
  }

  waitForInterrupt(): void {
    this.waiting = true;
  }

  halt(status: number): void {
    this.halted = true;
    this.exitStatus = status | 0;
  }

  // ---- DeviceHost: this VM's devices see this VM only ------------------------

  dmaRead(pa: number, len: number): Uint8Array | undefined {
    return this.memory.dmaRead(pa, len);
  }

  dmaWrite(pa: number, bytes: Uint8Array): boolean {
    return this.memory.dmaWrite(pa, bytes);
  }

  raiseIrq(line: number): void {
    this.ipDevices |= 1 << line;
    this.onWake?.();
  }

  lowerIrq(line: number): void {
    this.ipDevices &= ~(1 << line);
  }

  now(): number {
    return this.cpu.time;
  }

  powerOff(status: number): void {
    this.halt(status);
  }

  // ---- state -----------------------------------------------------------------

  /**
   * The VM's whole state (see state.ts). The VM does not know which monitor
   * runs it or where it is in its lifecycle: the caller says.
   */
  save(monitor: MonitorKind, lifecycle: Lifecycle): VmState {
    return {
      name: this.name,
      monitor,
      lifecycle,
      cpu: this.cpu.save(),
      vcpu: { ipDevices: this.ipDevices >>> 0, waiting: this.waiting, halted: this.halted, exitStatus: this.exitStatus | 0 },
      devices: { console: this.console.save(), disk: this.disk.save(), net: this.net.save(), power: this.power.save() },
    };
  }

  /** Become the VM that saved `s` (its name, monitor and lifecycle are the caller's business). */
  restore(s: VmState): void {
    this.cpu.restore(s.cpu);
    this.ipDevices = s.vcpu.ipDevices;
    this.waiting = s.vcpu.waiting;
    this.halted = s.vcpu.halted;
    this.exitStatus = s.vcpu.exitStatus;
    // Devices last: restoring one re-raises or lowers its interrupt line.
    this.console.restore(s.devices.console);
    this.disk.restore(s.devices.disk);
    this.net.restore(s.devices.net);
    this.power.restore(s.devices.power);
    this.shadow.reset();
    this.addressSpaceChanged = true;
  }
}
