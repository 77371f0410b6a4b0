/**
 * Architectural CPU state as plain data: registers, pc, mode, CSRs, counters.
 * Everything a snapshot needs is here or in memory and the devices; the
 * interpreter copies hot fields into locals while it runs and back on exit.
 */
import { CSR_COUNT, Csr } from '../isa/csr.js';

export const enum Mode {
  USER = 0,
  SUPERVISOR = 1,
}

/** Never: a deadline that cannot be reached. */
export const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

export interface CpuSnapshot {
  readonly regs: readonly number[];
  readonly pc: number;
  readonly mode: Mode;
  readonly csr: readonly number[];
  readonly instret: number;
  readonly idle: number;
  readonly timerDeadline: number;
}

export class CpuState {
  /** `regs`: where the register file lives (the interpreter core's memory, vm/core/wasm-core.ts); by default its own. */
  constructor(readonly regs: Int32Array = new Int32Array(16)) {
    if (regs.length !== 16) throw new Error('a register file holds 16 registers');
  }
  pc = 0;
  mode: Mode = Mode.SUPERVISOR;
  /** CSR storage indexed by Csr; TIME/TIMEH/IP/TIMECMP are computed by the machine. */
  readonly csr = new Int32Array(CSR_COUNT);
  /** Instructions retired (completed without trapping). */
  instret = 0;
  /** Virtual time skipped while waiting in `wfi`. time = instret + idle. */
  idle = 0;
  /** Virtual time at which the timer interrupt becomes pending (see timecmp). */
  timerDeadline = NO_DEADLINE;

  get time(): number {
    return this.instret + this.idle;
  }

  reset(pc: number, mode: Mode): void {
    this.regs.fill(0);
    this.csr.fill(0);
    this.pc = pc >>> 0;
    this.mode = mode;
    this.instret = 0;
    this.idle = 0;
    this.timerDeadline = NO_DEADLINE;
  }

  save(): CpuSnapshot {
    return {
      regs: Array.from(this.regs),
      pc: this.pc >>> 0,
      mode: this.mode,
      csr: Array.from(this.csr),
      instret: this.instret,
      idle: this.idle,
      timerDeadline: this.timerDeadline,
    };
  }

  restore(s: CpuSnapshot): void {
    this.regs.set(s.regs);
    this.pc = s.pc >>> 0;
    this.mode = s.mode;
    this.csr.set(s.csr);
    this.instret = s.instret;
    this.idle = s.idle;
    this.timerDeadline = s.timerDeadline;
  }

}

export { Csr };
