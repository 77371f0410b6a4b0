/**
 * A 32-bit word as eight hex digits, the one way addresses, words and
 * checksums are written everywhere: `hex8` with a 0x prefix, `bare8` without.
 * Both read the value as unsigned.
 */

export const hex8 = (n: number): string => `0x${bare8(n)}`;

export const bare8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
