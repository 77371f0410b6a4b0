import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { geomean, median, relativeChange } from '../../bench/stats.js';

describe('median', () => {
  test('the middle value, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5, 0.4, 0.41, 0.39, 0.42])).toBe(0.41);
  });

  test('the mean of the two middle values for an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test('NaN for no values; the input is left as it was', () => {
    expect(median([])).toBeNaN();
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });

  test('never below the minimum nor above the maximum', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }), (xs) => {
      const m = median(xs);
      return m >= Math.min(...xs) && m <= Math.max(...xs);
    }));
  });
});

describe('geomean', () => {
  test('the right average of ratios: 2× and 0.5× average to 1×', () => {
    expect(geomean([2, 0.5])).toBeCloseTo(1, 12);
    expect(geomean([1, 10, 100])).toBeCloseTo(10, 10);
    expect(geomean([3])).toBeCloseTo(3, 12);
  });

  test('NaN for no values or a value that is not positive', () => {
    expect(geomean([])).toBeNaN();
    expect(geomean([1, 0])).toBeNaN();
    expect(geomean([1, -2])).toBeNaN();
  });

  test('scales with its inputs and lies between their extremes', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 20 }), fc.double({ min: 0.1, max: 10, noNaN: true }), (xs, k) => {
      const g = geomean(xs);
      expect(geomean(xs.map((x) => x * k))).toBeCloseTo(g * k, 6);
      expect(g).toBeGreaterThanOrEqual(Math.min(...xs) * (1 - 1e-9));
      expect(g).toBeLessThanOrEqual(Math.max(...xs) * (1 + 1e-9));
    }));
  });
});

test('relativeChange: negative when the new value is smaller', () => {
  expect(relativeChange(0.412, 0.38)).toBeCloseTo(-0.0777, 4);
  expect(relativeChange(100, 150)).toBe(0.5);
});
