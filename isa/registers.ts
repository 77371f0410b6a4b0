/**
 * The sixteen general registers and their ABI names.
 *
 * r0 always reads as zero (writes are discarded), which lets one instruction
 * serve as many: `mv` is `addi rd, rs, 0`, `j` is `jal zero, target`.
 */

export const REGISTER_COUNT = 16;

/** ABI names, indexed by register number. */
export const ABI_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'fp',
  'a0', 'a1', 'a2', 'a3',
  't0', 't1', 't2', 't3',
  's0', 's1', 's2', 's3',
];

/** What each register is for in the calling convention (used by the reference doc). */
export const REGISTER_ROLES: readonly string[] = [
  'hard-wired zero',
  'return address (caller-saved)',
  'stack pointer (callee-saved)',
  'frame pointer (callee-saved)',
  'argument 0 / return value', 'argument 1 / second return word', 'argument 2', 'argument 3',
  'temporary (caller-saved); t0 holds the syscall number', 'temporary (caller-saved)', 'temporary (caller-saved)', 'temporary (caller-saved)',
  'saved (callee-saved)', 'saved (callee-saved)', 'saved (callee-saved)', 'saved (callee-saved)',
];

export const enum Reg {
  ZERO = 0, RA = 1, SP = 2, FP = 3,
  A0 = 4, A1 = 5, A2 = 6, A3 = 7,
  T0 = 8, T1 = 9, T2 = 10, T3 = 11,
  S0 = 12, S1 = 13, S2 = 14, S3 = 15,
}

const BY_NAME = new Map<string, number>();
ABI_NAMES.forEach((n, i) => BY_NAME.set(n, i));
for (let i = 0; i < REGISTER_COUNT; i++) BY_NAME.set(`r${i}`, i);

/** Register number for `r7`, `a3`, `sp`…, or undefined. Case-insensitive. */
export function registerNumber(name: string): number | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export function registerName(n: number): string {
  return ABI_NAMES[n & 15]!;
}
