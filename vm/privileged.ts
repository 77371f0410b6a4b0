/**
 * What the privileged half of the ISA does, as functions of a CpuState.
 *
 * The machine calls these when its CPU runs a privileged instruction in
 * supervisor mode; a trap-and-emulate monitor calls the very same functions on
 * a guest's virtual CPU when that instruction traps. One definition, so a guest
 * cannot tell the difference — which is the point of virtualization.
 *
 * What differs between the two is behind PrivilegedEnv: where interrupt
 * pending bits come from, what a page-table-base write or a TLB flush does
 * (the MMU's TLB, or a monitor's shadow page tables), what wfi and halt mean.
 */
import { Csr, CSR_COUNT, CSRS, PTBASE_ENABLE, STATUS_IE, STATUS_MASK, STATUS_PIE, STATUS_PM } from '../isa/csr.js';
import { Reg } from '../isa/registers.js';
import { Mode, type CpuState } from './cpu.js';

export interface PrivilegedEnv {
  readonly cpu: CpuState;
  /** Interrupt-pending bits as `ip` reads them (devices and the timer). */
  ip(): number;
  /** ptbase was written: the new address space is `value` (paging on if bit 0). */
  ptbaseWritten(value: number): void;
  /** tlbflush: every entry (va undefined) or the page holding va. */
  flushTlb(va: number | undefined): void;
  /** wfi found nothing pending and enabled: wait for an interrupt. */
  waitForInterrupt(): void;
  /** halt: stop with this status. */
  halt(status: number): void;
}

/** Read a CSR, or undefined if there is no such CSR (an illegal instruction). */
export function readCsr(env: PrivilegedEnv, num: number): number | undefined {
  if (num < 0 || num >= CSR_COUNT) return undefined;
  const cpu = env.cpu;
  switch (num) {
    case Csr.IP: return env.ip();
    case Csr.TIME: return cpu.time % 2 ** 32 | 0;
    case Csr.TIMEH: return Math.floor(cpu.time / 2 ** 32) | 0;
    default: return cpu.csr[num]!;
  }
}

/** Write a CSR; false if it does not exist or is read-only (an illegal instruction). */
export function writeCsr(env: PrivilegedEnv, num: number, value: number): boolean {
  if (num < 0 || num >= CSR_COUNT || !CSRS[num]!.writable) return false;
  const cpu = env.cpu;
  const csr = cpu.csr;
  switch (num) {
    case Csr.STATUS:
      csr[Csr.STATUS] = value & STATUS_MASK;
      return true;
    case Csr.PTBASE:
      csr[Csr.PTBASE] = value & (~0xfff | PTBASE_ENABLE);
      env.ptbaseWritten(csr[Csr.PTBASE]!);
      return true;
    case Csr.TIMECMP: {
      // The deadline is the time whose low word is `value`, within 2^31 of
      // now: `csrr t, time; addi t, t, Q; csrw timecmp, t` works across wraps.
      csr[Csr.TIMECMP] = value;
      const now = cpu.time;
      cpu.timerDeadline = now + ((value - (now % 2 ** 32)) | 0);
      return true;
    }
    case Csr.IE:
      csr[Csr.IE] = value & 0xf;
      return true;
    default:
      csr[num] = value;
      return true;
  }
}

/**
 * Trap entry: save mode and IE so sret can restore them, enter supervisor
 * mode at tvec with epc/cause/badaddr describing the trap.
 */
export function enterTrap(cpu: CpuState, cause: number, badaddr: number, pc: number): void {
  const csr = cpu.csr;
  const st = csr[Csr.STATUS]!;
  csr[Csr.STATUS] = ((st & STATUS_IE) !== 0 ? STATUS_PIE : 0) | (cpu.mode === Mode.SUPERVISOR ? STATUS_PM : 0);
  csr[Csr.EPC] = pc;
  csr[Csr.CAUSE] = cause;
  csr[Csr.BADADDR] = badaddr;
  cpu.mode = Mode.SUPERVISOR;
  cpu.pc = (csr[Csr.TVEC]! & ~3) >>> 0;
}

/** Return from trap: mode and IE come back from status; pc from epc. */
export function returnFromTrap(cpu: CpuState): void {
  const csr = cpu.csr;
  const st = csr[Csr.STATUS]!;
  cpu.mode = (st & STATUS_PM) !== 0 ? Mode.SUPERVISOR : Mode.USER;
  csr[Csr.STATUS] = ((st & STATUS_PIE) !== 0 ? STATUS_IE : 0) | STATUS_PIE;
  cpu.pc = csr[Csr.EPC]! >>> 0;
}

/** The lowest pending, enabled interrupt line if interrupts are on, else -1. */
export function deliverableIrq(cpu: CpuState, ip: number): number {
  if ((cpu.csr[Csr.STATUS]! & STATUS_IE) === 0) return -1;
  const p = ip & cpu.csr[Csr.IE]!;
  return p === 0 ? -1 : 31 - Math.clz32(p & -p);
}

/** Timer pending bit for `ip`. */
export function timerPending(cpu: CpuState): number {
  return cpu.time >= cpu.timerDeadline ? 1 : 0;
}

const OP_CSRR = 0x2e, OP_CSRW = 0x2f, OP_CSRRW = 0x30, OP_CSRS = 0x31, OP_CSRC = 0x32;
const OP_SRET = 0x33, OP_TLBFLUSH = 0x34, OP_WFI = 0x35, OP_HALT = 0x36;

/** Is this word one of the privileged instructions (whatever its operands)? */
export function isPrivilegedOpcode(word: number): boolean {
  const op = word & 0xff;
  return op >= OP_CSRR && op <= OP_HALT;
}

/**
 * Execute one privileged instruction in supervisor mode. On entry cpu.pc is
 * the instruction's own address; on success it is the next pc (sret: epc) and
 * the instruction has retired. Returns false for an illegal encoding, leaving
 * everything unchanged so the caller can raise illegal-instruction.
 */
export function executePrivileged(env: PrivilegedEnv, w: number): boolean {
  const cpu = env.cpu;
  const regs = cpu.regs;
  const rd = (w >>> 8) & 15;
  const rs1 = (w >>> 12) & 15;
  const csr = w >>> 16;
  const next = (cpu.pc + 4) >>> 0;
  switch (w & 0xff) {
    case OP_CSRR: {
      const v = rs1 === 0 ? readCsr(env, csr) : undefined;
      if (v === undefined) return false;
      cpu.pc = next;
      if (rd !== 0) regs[rd] = v;
      break;
    }
    case OP_CSRW:
      if (rd !== 0 || csr >= CSR_COUNT || !CSRS[csr]!.writable) return false;
      cpu.pc = next;
      writeCsr(env, csr, regs[rs1]!);
      break;
    case OP_CSRRW: {
      const old = readCsr(env, csr);
      if (old === undefined || !CSRS[csr]!.writable) return false;
      cpu.pc = next;
      writeCsr(env, csr, regs[rs1]!);
      if (rd !== 0) regs[rd] = old;
      break;
    }
    case OP_CSRS: case OP_CSRC: {
      const old = readCsr(env, csr);
      if (rd !== 0 || old === undefined || !CSRS[csr]!.writable) return false;
      cpu.pc = next;
      writeCsr(env, csr, (w & 0xff) === OP_CSRS ? old | regs[rs1]! : old & ~regs[rs1]!);
      break;
    }
    case OP_SRET:
      if (w !== OP_SRET) return false;
      returnFromTrap(cpu);
      break;
    case OP_TLBFLUSH:
      if ((w & 0xffff0f00) !== 0) return false;
      cpu.pc = next;
      env.flushTlb(rs1 === 0 ? undefined : regs[rs1]! >>> 0);
      break;
    case OP_WFI:
      if (w !== OP_WFI) return false;
      cpu.pc = next;
      if ((env.ip() & cpu.csr[Csr.IE]!) === 0) env.waitForInterrupt();
      break;
    case OP_HALT:
      if (w !== OP_HALT) return false;
      cpu.pc = next;
      env.halt(regs[Reg.A0]!);
      break;
    default:
      return false;
  }
  cpu.instret++;
  return true;
}
