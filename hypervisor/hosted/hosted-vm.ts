/**
 * A VM whose waits are spent on the host clock.
 *
 * The core (runVm) ends a guest's wfi either because an interrupt is pending
 * or because skipToTimer() jumped virtual time to the timer deadline — right
 * for the native monitor, where time is instructions. Here skipping is not
 * allowed: virtual time follows the host (host-clock.ts), so the wait ends by
 * the timer only once the host clock has reached the deadline; until then
 * runVm reports WAITING and the vCPU thread sleeps (vcpu.ts).
 */
import type { PhysicalMemory } from '../../vm/memory.js';
import type { ShadowPager } from '../core/shadow.js';
import { VirtualMachine, type VmDevices } from '../core/vm.js';
import type { HostClock } from './host-clock.js';

export class HostedVm extends VirtualMachine {
  constructor(name: string, memory: PhysicalMemory, shadow: ShadowPager, readonly clock: HostClock, devices: VmDevices = {}) {
    super(name, memory, shadow, devices);
  }

  /** The timer ends the wait only when the host clock has reached its deadline. */
  override skipToTimer(): boolean {
    if (!this.canTimerWake()) return false;
    this.clock.sync(this.cpu);
    return this.cpu.timerDeadline <= this.cpu.time;
  }
}
