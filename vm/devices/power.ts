/**
 * Power controller: one register. Writing it turns the machine off with the
 * written value as the exit status (what `typevisor boot` returns).
 *
 *   +0x00 POWEROFF  write: power off with this status
 */
import { POWER_BASE } from '../memmap.js';
import type { Device, DeviceHost } from '../device.js';

export const POWER_OFF = 0x00;

/** The power controller keeps no state: its record is empty (and may hold nothing). */
export type PowerState = { readonly [key: string]: never };

export class PowerDevice implements Device<PowerState> {
  readonly name = 'power';
  readonly base = POWER_BASE;
  private host: DeviceHost | undefined;

  attach(host: DeviceHost): void {
    this.host = host;
  }

  read(): number {
    return 0;
  }

  write(offset: number, value: number): void {
    if (offset === POWER_OFF) this.host?.powerOff(value);
  }

  save(): PowerState {
    return {};
  }

  restore(_state: PowerState): void {}
}
