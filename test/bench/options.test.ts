import { describe, expect, test } from 'vitest';
import { BenchError } from '../../bench/bench-error.js';
import { parseBudget, parseOnly, parsePeers, parseRuns, parseTiers } from '../../bench/options.js';

describe('bench options', () => {
  test('--only keeps the suite order, each name once', () => {
    expect(parseOnly('matmul, fib,fib')).toEqual(['fib', 'matmul']);
    expect(() => parseOnly('fib,fibb')).toThrow(/no such name 'fibb' \(choose from fib, sieve, tight, crc32, matmul, qsort, queens, bintree, ackermann, wordfreq, bignum, bytecode\)/);
    expect(() => parseOnly(',')).toThrow(/at least one/);
  });

  test('--peers takes any subset, empty for none', () => {
    expect(parsePeers('python,js')).toEqual(['js', 'python']);
    expect(parsePeers('')).toEqual([]);
    expect(() => parsePeers('luajit')).toThrow(BenchError);
  });

  test('--runs is a whole number from 1', () => {
    expect(parseRuns('7')).toBe(7);
    for (const bad of ['0', '-1', '2.5', 'five', '']) expect(() => parseRuns(bad)).toThrow(/--runs/);
  });

  test('--budget is a positive number of seconds', () => {
    expect(parseBudget('2.5')).toBe(2.5);
    for (const bad of ['0', '-3', 'x', '']) expect(() => parseBudget(bad)).toThrow(/--budget/);
  });

  test('--tier: interp, jit or both', () => {
    expect(parseTiers('interp')).toEqual(['interp']);
    expect(parseTiers('jit')).toEqual(['jit']);
    expect(parseTiers('both')).toEqual(['interp', 'jit']);
    expect(() => parseTiers('fast')).toThrow(/no tier 'fast'/);
  });
});
