/**
 * The one small interface every memory-mapped device implements, and the bus
 * that routes physical MMIO accesses to them.
 *
 * A device's whole state is one typed record of plain data (`save()`/`restore()`,
 * the record defined next to the device), so a snapshot or a live migration can
 * move it; host resources a device uses (a file, a socket) live behind a backend
 * that is re-bound on restore. The bus only routes accesses and does not look
 * at states: it sees every device as `Device` (state type unknown); whoever
 * saves and restores holds the typed devices (hypervisor/core/vm.ts).
 */
import { MMIO_BASE, MMIO_PAGES, PAGE_SHIFT } from './memmap.js';

/** What a device may ask of the machine it is plugged into. */
export interface DeviceHost {
  /**
   * DMA: copy bytes out of / into the memory the device sees, by physical
   * address. Undefined / false when any byte falls outside it — a device error
   * the driver sees, never a host crash. (A monitor gives each VM's devices
   * its guest-physical memory here, so DMA cannot leave the VM.)
   */
  dmaRead(pa: number, len: number): Uint8Array | undefined;
  dmaWrite(pa: number, bytes: Uint8Array): boolean;
  raiseIrq(line: number): void;
  lowerIrq(line: number): void;
  /** Virtual time (instructions retired plus idle time). */
  now(): number;
  powerOff(status: number): void;
}

/** A device whose whole state is an `S`. */
export interface Device<S = unknown> {
  readonly name: string;
  /** Physical base address of the device's 4 KiB register page. */
  readonly base: number;
  attach(host: DeviceHost): void;
  /** Register read; offsets without a register read as 0. */
  read(offset: number, width: 1 | 2 | 4): number;
  /** Register write; writes to offsets without a register are ignored. */
  write(offset: number, value: number, width: 1 | 2 | 4): void;
  /** The device's whole state, a record of its own. */
  save(): S;
  /** Become exactly the device that saved `state` (host backends stay as they are). */
  restore(state: S): void;
}

export class BusError extends Error {
  override readonly name = 'BusError';
}

/** Physical MMIO window → device, one device per 4 KiB page. */
export class Bus {
  private readonly slots: (Device | undefined)[] = new Array<Device | undefined>(MMIO_PAGES).fill(undefined);
  readonly devices: Device[] = [];

  add(device: Device, host: DeviceHost): void {
    const slot = (device.base - MMIO_BASE) >>> PAGE_SHIFT;
    if (device.base < MMIO_BASE || slot >= MMIO_PAGES || (device.base & 0xfff) !== 0) {
      throw new BusError(`${device.name}: base 0x${device.base.toString(16)} is not a page in the MMIO window`);
    }
    const taken = this.slots[slot];
    if (taken) throw new BusError(`${device.name}: MMIO page 0x${device.base.toString(16)} already belongs to ${taken.name}`);
    this.slots[slot] = device;
    this.devices.push(device);
    device.attach(host);
  }

  /** The device at a physical address, if any. */
  at(pa: number): Device | undefined {
    const slot = ((pa >>> 0) - MMIO_BASE) >>> PAGE_SHIFT;
    return slot < MMIO_PAGES ? this.slots[slot] : undefined;
  }

  byName(name: string): Device | undefined {
    return this.devices.find((d) => d.name === name);
  }
}
