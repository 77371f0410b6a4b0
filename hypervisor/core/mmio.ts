/**
 * Emulating a guest's device-register access. Guest device pages are never in
 * a shadow table, so every load or store to one faults to the monitor; here
 * the instruction is decoded and carried out against the VM's own device, as
 * the bare machine's bus would have done it.
 */
import { Op } from '../../isa/opcodes.js';
import { Mode } from '../../vm/cpu.js';
import { DISK_ADDR, DISK_CMD, DISK_COUNT, DISK_MAX_COUNT, SECTOR_SIZE } from '../../vm/devices/disk.js';
import type { Machine } from '../../vm/machine.js';
import { PTE_X } from '../../vm/walk.js';
import type { VirtualMachine } from './vm.js';

/**
 * Carry out the load or store at pc (whose target is guest-physical `gpa`)
 * on the VM's device. The VM's registers must be synced out. Returns false if
 * there is no device there or the instruction is not a load or store: the
 * caller reflects the fault, as the bare machine would fault.
 */
export function emulateMmio(vm: VirtualMachine, machine: Machine, gpa: number, pc: number): boolean {
  // The real CPU has just fetched this instruction through the shadow table.
  const hpa = machine.mmu.peek(pc, Mode.USER, PTE_X);
  if (hpa < 0) return false;
  const w = machine.memory.readWord(hpa);
  const dev = vm.bus.at(gpa);
  if (!dev) return false;
  const off = (gpa - dev.base) & 0xfff;
  const regs = vm.cpu.regs;
  const rd = (w >>> 8) & 15;
  switch (w & 0xff) {
    case Op.LB: case Op.LBU: case Op.LH: case Op.LHU: case Op.LW: {
      const op = w & 0xff;
      const width = op === Op.LW ? 4 : op === Op.LH || op === Op.LHU ? 2 : 1;
      let v = dev.read(off, width) | 0;
      if (op === Op.LB) v = (v << 24) >> 24;
      else if (op === Op.LBU) v &= 0xff;
      else if (op === Op.LH) v = (v << 16) >> 16;
      else if (op === Op.LHU) v &= 0xffff;
      if (rd !== 0) regs[rd] = v;
      break;
    }
    case Op.SB: case Op.SH: case Op.SW: {
      const op = w & 0xff;
      const width = op === Op.SW ? 4 : op === Op.SH ? 2 : 1;
      const mask = width === 4 ? -1 : width === 2 ? 0xffff : 0xff;
      dev.write(off, regs[rd]! & mask, width);
      break;
    }
    default:
      return false;
  }
  vm.cpu.pc = (pc + 4) >>> 0;
  vm.cpu.instret++;
  return true;
}

/**
 * The guest memory a store to a device register would make the device reach
 * by DMA (a disk command: its buffer), or undefined. Post-copy checks it
 * before emulating the store, so a device never reads or fills a page that
 * has not arrived.
 */
export function dmaRange(vm: VirtualMachine, gpa: number): { readonly pa: number; readonly len: number } | undefined {
  const dev = vm.bus.at(gpa);
  if (dev !== vm.disk || ((gpa - dev.base) & 0xfff) !== DISK_CMD) return undefined;
  const count = vm.disk.read(DISK_COUNT) >>> 0;
  if (count < 1 || count > DISK_MAX_COUNT) return undefined;
  return { pa: vm.disk.read(DISK_ADDR) >>> 0, len: count * SECTOR_SIZE };
}
