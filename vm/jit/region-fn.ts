/**
 * The contract of a translated region's function, between the code the
 * translator generates, the tier that finds and calls it, and the
 * interpreter's chain.
 *
 * `fn(x, n, limit, pc, ret, depth)` runs from pc while the instruction count
 * n stays within limit, and returns the new count; where it stopped is in
 * x.m.jitPc. `x` is the machine's side of it (registers, memory, TLB, the
 * page's other regions): the function itself holds nothing of a machine, so
 * one function serves every machine that runs the same code (region-cache.ts).
 * `ret` is the return address a direct call entered it for: a jump there
 * leaves it (the callee's return). `depth` is how many direct calls deep it
 * runs (translator.ts, MAX_CALL_DEPTH). Entered other than by a call, the
 * interpreter passes NOT_CALLED and 0.
 */
export type RegionFn = (x: RegionContext, n: number, limit: number, pc: number, ret: number, depth: number) => number;

/** Goes on from a callee that stopped short of its return (jit.ts, chain()). */
export type Chain = (n: number, limit: number, pc: number, ret: number, depth: number) => number;

/**
 * What a region reads of the machine it runs on. One per translated page and
 * machine, built once at translation: a class, so that every context has one
 * shape and a region's property loads stay monomorphic whoever calls it.
 */
export class RegionContext {
  constructor(
    readonly m: { jitPc: number },
    readonly R: Int32Array,
    readonly m8: Uint8Array,
    readonly m16: Uint16Array,
    readonly m32: Int32Array,
    readonly rTag: Int32Array,
    readonly rOff: Int32Array,
    readonly wTag: Int32Array,
    readonly wOff: Int32Array,
    /** The page's region functions, in region order (direct calls between them). */
    readonly F: readonly RegionFn[],
    readonly J: Chain,
  ) {}
}

/** `ret` for a region not entered by a call: odd, so a jump there would leave translated code anyway. */
export const NOT_CALLED = 1;
