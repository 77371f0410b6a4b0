/**
 * The contract of a translated region's function, between the code the
 * translator generates, the tier that finds and calls it, and the
 * interpreter's chain.
 *
 * `fn(n, limit, pc, ret, depth)` runs from pc while the instruction count n
 * stays within limit, and returns the new count; where it stopped is in
 * m.jitPc. `ret` is the return address a direct call entered it for: a jump
 * there leaves it (the callee's return). `depth` is how many direct calls
 * deep it runs (translator.ts, MAX_CALL_DEPTH). Entered other than by a call,
 * the interpreter passes NOT_CALLED and 0.
 */
export type RegionFn = (n: number, limit: number, pc: number, ret: number, depth: number) => number;

/** `ret` for a region not entered by a call: odd, so a jump there would leave translated code anyway. */
export const NOT_CALLED = 1;
