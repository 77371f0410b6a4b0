/**
 * Control and status registers. Every CSR instruction is privileged: a user-mode
 * attempt traps, which is what lets a monitor run a guest kernel deprivileged and
 * emulate each access against that guest's virtual CPU (Popek–Goldberg).
 */

export const enum Csr {
  STATUS = 0,
  TVEC = 1,
  EPC = 2,
  CAUSE = 3,
  BADADDR = 4,
  SCRATCH = 5,
  PTBASE = 6,
  TIMECMP = 7,
  IE = 8,
  IP = 9,
  TIME = 10,
  TIMEH = 11,
}

export const CSR_COUNT = 12;

export interface CsrInfo {
  readonly num: number;
  readonly name: string;
  readonly writable: boolean;
  readonly doc: string;
}

export const CSRS: readonly CsrInfo[] = [
  { num: Csr.STATUS, name: 'status', writable: true, doc: 'bit 0 IE (interrupts enabled), bit 1 PIE (IE before the last trap), bit 2 PM (mode before the last trap: 1 = supervisor). Other bits read as zero.' },
  { num: Csr.TVEC, name: 'tvec', writable: true, doc: 'Trap vector: the address execution continues at when a trap or interrupt is taken. Low two bits are ignored.' },
  { num: Csr.EPC, name: 'epc', writable: true, doc: 'Saved pc: where the trapping instruction was (exceptions) or where execution resumes (interrupts). `sret` jumps here.' },
  { num: Csr.CAUSE, name: 'cause', writable: true, doc: 'Trap cause code. Bit 31 set means an interrupt; the low bits are the interrupt line.' },
  { num: Csr.BADADDR, name: 'badaddr', writable: true, doc: 'Faulting virtual address for memory traps; the instruction word for illegal/privileged-instruction traps; zero otherwise.' },
  { num: Csr.SCRATCH, name: 'scratch', writable: true, doc: 'Free for the kernel: typically holds a pointer to per-CPU kernel state so the trap handler can find a stack.' },
  { num: Csr.PTBASE, name: 'ptbase', writable: true, doc: 'Page-table base: physical address of the root page table (4 KiB aligned) in bits 31..12; bit 0 enables paging. Writing it flushes the whole TLB.' },
  { num: Csr.TIMECMP, name: 'timecmp', writable: true, doc: 'Timer compare: the timer interrupt is pending while time >= timecmp. Writing it clears the pending timer interrupt.' },
  { num: Csr.IE, name: 'ie', writable: true, doc: 'Interrupt enable mask, one bit per line: 0 timer, 1 console receive, 2 disk, 3 network.' },
  { num: Csr.IP, name: 'ip', writable: false, doc: 'Interrupt pending bits (read-only; each device clears its own bit when the driver acknowledges it).' },
  { num: Csr.TIME, name: 'time', writable: false, doc: 'Virtual time, low word: instructions retired plus idle time skipped in `wfi`.' },
  { num: Csr.TIMEH, name: 'timeh', writable: false, doc: 'Virtual time, high word.' },
];

const BY_NAME = new Map(CSRS.map((c) => [c.name, c.num]));

export function csrNumber(name: string): number | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Name of a CSR, or its number in decimal when the machine has no such CSR. */
export function csrName(num: number): string {
  return num >= 0 && num < CSR_COUNT ? CSRS[num]!.name : String(num);
}

/** status register bits */
export const STATUS_IE = 1;
export const STATUS_PIE = 2;
export const STATUS_PM = 4;
export const STATUS_MASK = 7;

/** ptbase: bit 0 turns paging on. */
export const PTBASE_ENABLE = 1;

/** Interrupt lines (bit numbers in ie/ip). */
export const enum Irq {
  TIMER = 0,
  CONSOLE = 1,
  DISK = 2,
  NET = 3,
}
export const IRQ_NAMES: readonly string[] = ['timer', 'console', 'disk', 'net'];
