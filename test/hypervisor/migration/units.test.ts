/** Rates, durations, links and counts as written on a command line. */
import { describe, expect, test } from 'vitest';
import { parseCountWithSuffix, parseDuration, parseLink, parseRate, UnitError } from '../../../hypervisor/migration/units.js';

describe('units', () => {
  test('rates are decimal bytes per second; bits are an eighth', () => {
    expect(parseRate('1GB/s')).toBe(1e9);
    expect(parseRate('100M')).toBe(100e6);
    expect(parseRate('10Gbit')).toBe(1.25e9);
    expect(parseRate('512KiB/s')).toBe(512 * 1024);
    expect(parseRate('2500')).toBe(2500);
    expect(() => parseRate('fast')).toThrow(UnitError);
    expect(() => parseRate('0MB/s')).toThrow(/not a positive rate/);
  });

  test('durations are milliseconds', () => {
    expect(parseDuration('0.5ms')).toBe(0.5);
    expect(parseDuration('200us')).toBeCloseTo(0.2);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('30')).toBe(30);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  test('a link is BANDWIDTH[,LATENCY]', () => {
    expect(parseLink('1GB/s,50us')).toEqual({ bandwidth: 1e9, latencyMs: 0.05 });
    expect(parseLink('100MB/s')).toEqual({ bandwidth: 100e6, latencyMs: 0.1 });
    expect(() => parseLink('1GB/s,1ms,2')).toThrow(/BANDWIDTH\[,LATENCY\]/);
  });

  test('counts take k, M, G and underscores', () => {
    expect(parseCountWithSuffix('500k')).toBe(500_000);
    expect(parseCountWithSuffix('2M')).toBe(2_000_000);
    expect(parseCountWithSuffix('1_000')).toBe(1000);
    expect(() => parseCountWithSuffix('-1')).toThrow(UnitError);
  });
});
