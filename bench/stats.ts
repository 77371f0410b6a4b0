/** The few statistics the suite reports. Pure functions. */

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The geometric mean: the right average for ratios (the mean of 2× and 0.5×
 * is 1×). NaN for none, or if any value is not positive.
 */
export function geomean(xs: readonly number[]): number {
  if (xs.length === 0 || xs.some((x) => !(x > 0))) return Number.NaN;
  return Math.exp(xs.reduce((sum, x) => sum + Math.log(x), 0) / xs.length);
}

/** The change from `before` to `after` as a fraction (−0.078 is 7.8% less). */
export function relativeChange(before: number, after: number): number {
  return (after - before) / before;
}
