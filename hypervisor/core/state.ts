/**
 * A VM's whole state as one typed record: what a snapshot keeps and what a
 * live migration carries at the switchover, besides guest memory.
 *
 * Everything the guest can observe outside its RAM is here: the virtual CPU
 * (registers, pc, mode, CSRs, its counters and the timer deadline), the vCPU's
 * run state (raised interrupt lines, waiting in wfi, halted and why), and one
 * record per device, each defined next to its device in vm/devices/. Host-side
 * things are not: the console feeder's queued input and a device's backend
 * (a file, a socket) belong to the host and are re-bound where the VM lands;
 * statistics the monitor keeps (VmStats) start again.
 *
 * Bytes on disk or on the wire: state-format.ts (encodeVmState / decodeVmState).
 */
import type { CpuSnapshot } from '../../vm/cpu.js';
import type { ConsoleState } from '../../vm/devices/console.js';
import type { DiskState } from '../../vm/devices/disk.js';
import type { NetState } from '../../vm/devices/net.js';
import type { PowerState } from '../../vm/devices/power.js';
import type { Lifecycle } from './lifecycle.js';

/** Which monitor ran the VM when its state was taken. */
export const MONITORS = ['native', 'hosted'] as const;
export type MonitorKind = (typeof MONITORS)[number];

/** The vCPU's run state: what the monitor knows about the virtual CPU beyond its registers. */
export interface VcpuState {
  /** Interrupt lines raised by devices, a bit per line (the timer's bit is computed from the CPU). */
  readonly ipDevices: number;
  /** In wfi with nothing pending. */
  readonly waiting: boolean;
  readonly halted: boolean;
  /** The status it halted (powered off) with; 0 while it runs. */
  readonly exitStatus: number;
}

export interface DeviceStates {
  readonly console: ConsoleState;
  readonly disk: DiskState;
  readonly net: NetState;
  readonly power: PowerState;
}

export interface VmState {
  readonly name: string;
  readonly monitor: MonitorKind;
  readonly lifecycle: Lifecycle;
  /** Registers, pc, mode, CSRs, instret, idle and the timer deadline. */
  readonly cpu: CpuSnapshot;
  readonly vcpu: VcpuState;
  readonly devices: DeviceStates;
}
