/**
 * The ALU operations that are not one JavaScript operator. Pure functions on
 * int32 values, shared by the interpreter tiers.
 */

/** High word of the signed 64-bit product a × b. */
export function mulh(a: number, b: number): number {
  // Split into a signed high half and an unsigned low half so every partial
  // product stays exact in a double (< 2^53).
  const ah = a >> 16, al = a & 0xffff;
  const bh = b >> 16, bl = b & 0xffff;
  const t = al * bl;
  const s = ah * bl + al * bh + Math.floor(t / 65536);
  return (ah * bh + Math.floor(s / 65536)) | 0;
}

/** High word of the unsigned 64-bit product a × b. */
export function mulhu(a: number, b: number): number {
  const ah = a >>> 16, al = a & 0xffff;
  const bh = b >>> 16, bl = b & 0xffff;
  const t = al * bl;
  const s = ah * bl + al * bh + Math.floor(t / 65536);
  return (ah * bh + Math.floor(s / 65536)) | 0;
}
