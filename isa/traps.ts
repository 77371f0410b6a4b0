/**
 * Trap causes, as the ISA defines them: the cause code written to `cause`,
 * what `epc` and `badaddr` hold, and the name the opcode table, the monitors,
 * the process VM's fault report and SPEC.md use. vm/trap.ts re-exports it
 * for the machine.
 *
 * Rule for epc (as on RISC-V): an exception saves the pc of the instruction
 * that raised it, so the handler can retry it (page fault) or skip it (syscall:
 * the handler adds 4). An interrupt saves the pc of the instruction that has not
 * run yet. A trapping instruction does not retire: instruction counts, and so
 * virtual time, only advance for instructions that complete.
 */

export const enum Cause {
  MISALIGNED_FETCH = 0,
  FETCH_FAULT = 1,
  ILLEGAL_INSTRUCTION = 2,
  PRIVILEGED_INSTRUCTION = 3,
  BREAKPOINT = 4,
  MISALIGNED_LOAD = 5,
  LOAD_FAULT = 6,
  MISALIGNED_STORE = 7,
  STORE_FAULT = 8,
  SYSCALL = 9,
  DIVIDE_BY_ZERO = 10,
}

/** Interrupt causes have bit 31 set; the low bits name the line (see Irq). */
export const INTERRUPT_BIT = 0x8000_0000;
export const EXCEPTION_COUNT = 11;

export interface CauseInfo {
  readonly code: number;
  readonly name: string;
  readonly epc: string;
  readonly badaddr: string;
  readonly doc: string;
}

const CAUSE_TABLE = [
  { code: Cause.MISALIGNED_FETCH, name: 'misaligned-fetch', epc: 'the misaligned pc', badaddr: 'the misaligned pc', doc: 'pc is not a multiple of 4 (after jalr, sret or a trap vector).' },
  { code: Cause.FETCH_FAULT, name: 'fetch-fault', epc: 'the pc', badaddr: 'the pc', doc: 'The pc maps to no page, a page without X, a supervisor page from user mode, or no memory.' },
  { code: Cause.ILLEGAL_INSTRUCTION, name: 'illegal-instruction', epc: 'the instruction', badaddr: 'the instruction word', doc: 'The word is not an instruction, or names a CSR that does not exist or cannot be written.' },
  { code: Cause.PRIVILEGED_INSTRUCTION, name: 'privileged-instruction', epc: 'the instruction', badaddr: 'the instruction word', doc: 'A privileged instruction in user mode. A monitor decodes badaddr and emulates.' },
  { code: Cause.BREAKPOINT, name: 'breakpoint', epc: 'the break instruction', badaddr: '0', doc: 'The `break` instruction.' },
  { code: Cause.MISALIGNED_LOAD, name: 'misaligned-load', epc: 'the instruction', badaddr: 'the address', doc: 'A halfword or word load from an address that is not a multiple of its size.' },
  { code: Cause.LOAD_FAULT, name: 'load-fault', epc: 'the instruction', badaddr: 'the virtual address', doc: 'No page, no R permission, supervisor page from user mode, no memory or device there.' },
  { code: Cause.MISALIGNED_STORE, name: 'misaligned-store', epc: 'the instruction', badaddr: 'the address', doc: 'A halfword or word store to an address that is not a multiple of its size.' },
  { code: Cause.STORE_FAULT, name: 'store-fault', epc: 'the instruction', badaddr: 'the virtual address', doc: 'No page, no W permission, supervisor page from user mode, no memory or device there.' },
  { code: Cause.SYSCALL, name: 'syscall', epc: 'the syscall instruction', badaddr: '0', doc: 'The `syscall` instruction, from either mode.' },
  { code: Cause.DIVIDE_BY_ZERO, name: 'divide-by-zero', epc: 'the instruction', badaddr: '0', doc: 'div, divu, rem or remu with a zero divisor.' },
] as const satisfies readonly CauseInfo[];

/** The one table of trap causes, in cause-code order. */
export const CAUSES: readonly CauseInfo[] = CAUSE_TABLE;

/** The name of an exception cause, as the opcode table lists the traps an instruction can raise. */
export type TrapName = (typeof CAUSE_TABLE)[number]['name'];
