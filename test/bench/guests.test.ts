/**
 * The guest programs: each prints its benchmark's checksum, run in-process in
 * the process VM at the suite's reduced size, with the timer tick live. The
 * full sizes are checked against the guests' own `NAME = value` lines, so the
 * suite table and the programs cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { BenchError } from '../../bench/bench-error.js';
import { assembleGuest, withParams } from '../../bench/guests.js';
import { runGuest } from '../../bench/runners/typevisor.js';
import { guestSource } from '../../bench/sources.js';
import { BENCHMARKS } from '../../bench/suite.js';

describe.each(BENCHMARKS.map((b) => [b.name, b] as const))('guest %s', (name, bench) => {
  const source = readFileSync(guestSource(name), 'utf8');

  test(`prints ${bench.small.expected} at the reduced size, its only output line`, () => {
    const run = runGuest(assembleGuest(name, bench.small.params), name, 'interp');
    expect(run.output).toBe(bench.small.expected);
    expect(run.instructions).toBeGreaterThan(1000);
  });

  test('states the definition and the full-size checksum in its header comment', () => {
    const header = source.split('\n').filter((l) => l.startsWith(';')).join('\n');
    expect(header).toContain(`→ ${bench.expected}`);
    expect(header).toMatch(/Definition/);
  });

  test("declares the suite's full sizes as NAME = value lines", () => {
    for (const [param, value] of Object.entries(bench.params)) {
      const line = new RegExp(`^${param}\\s*=\\s*(\\d+)`, 'm').exec(source);
      expect(line, `${param} = … in ${name}.s`).not.toBeNull();
      expect(Number(line![1])).toBe(value);
    }
  });

  test('retires the same instructions with the timer ticking often, and takes the ticks', () => {
    const image = assembleGuest(name, bench.small.params);
    const quiet = runGuest(image, name, 'interp', 2 ** 30);
    const busy = runGuest(image, name, 'jit', 997);
    expect(busy.output).toBe(quiet.output);
    expect(busy.instructions).toBe(quiet.instructions);
    expect(quiet.ticks).toBe(0);
    expect(busy.ticks).toBe(Math.floor((busy.instructions - 1) / 997));
  });
});

describe('withParams', () => {
  const src = 'N = 32\nREPS = 3          ; passes\nNN = 5\n_start:\n    li a0, N\n';

  test('replaces each named value and keeps the rest of the line and the file', () => {
    expect(withParams(src, { N: 20, REPS: 2 })).toBe('N = 20\nREPS = 2          ; passes\nNN = 5\n_start:\n    li a0, N\n');
  });

  test('a name without its line is an error, not a silently full-size run', () => {
    expect(() => withParams(src, { SIZE: 4 })).toThrow(BenchError);
    expect(() => withParams(`${src}N = 7\n`, { N: 4 })).toThrow(/found 2/);
  });

  test('a guest that does not assemble is reported with its diagnostics', () => {
    expect(() => assembleGuest('fib', { N: 'x' as unknown as number })).toThrow(/does not assemble/);
  });
});
