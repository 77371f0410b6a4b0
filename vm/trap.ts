/**
 * Trap causes for the machine. The causes themselves — codes, names, what
 * `epc` and `badaddr` hold — are the ISA's and are declared once in
 * isa/traps.ts; this module re-exports them with the helpers the interpreter,
 * the monitors and the process VM's fault report use.
 */
import { IRQ_NAMES } from '../isa/csr.js';
import { CAUSES, Cause, INTERRUPT_BIT } from '../isa/traps.js';

export { CAUSES, Cause, EXCEPTION_COUNT, INTERRUPT_BIT, type CauseInfo, type TrapName } from '../isa/traps.js';

/** A readable name for a cause value as found in the `cause` CSR. */
export function causeName(cause: number): string {
  if ((cause & INTERRUPT_BIT) !== 0) {
    const line = cause & 0x7fff_ffff;
    return `interrupt:${IRQ_NAMES[line] ?? String(line)}`;
  }
  return CAUSES[cause]?.name ?? `cause-${cause}`;
}

export function isInterrupt(cause: number): boolean {
  return (cause & INTERRUPT_BIT) !== 0;
}

/** Memory-access causes: badaddr is an address the handler may want to map. */
export function isMemoryFault(cause: number): boolean {
  return cause === Cause.FETCH_FAULT || cause === Cause.LOAD_FAULT || cause === Cause.STORE_FAULT;
}
