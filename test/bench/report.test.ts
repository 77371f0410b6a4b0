/** The report's text: number formats, the table, the comparison with an earlier run. */
import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import type { BenchRow, InterpreterOutcome } from '../../bench/outcome.js';
import { compareInterpreter, formatChange, formatCount, formatRatio, formatSeconds, renderChanges, renderHost, renderInterpreter } from '../../bench/bench-report.js';
import { renderTable, visibleWidth } from '../../cli/table.js';

const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 3 });

describe('formats', () => {
  test('durations in the unit that keeps three significant digits', () => {
    expect(formatSeconds(0.412)).toBe('412 ms');
    expect(formatSeconds(0.0193)).toBe('19.3 ms');
    expect(formatSeconds(1.234)).toBe('1.23 s');
    expect(formatSeconds(12.34)).toBe('12.3 s');
    expect(formatSeconds(0.00085)).toBe('850 µs');
    expect(formatSeconds(Number.NaN)).toBe('—');
  });

  test('ratios', () => {
    expect(formatRatio(1.2345)).toBe('1.23×');
    expect(formatRatio(21.74)).toBe('21.7×');
    expect(formatRatio(0.952)).toBe('0.95×');
    expect(formatRatio(0.0123)).toBe('0.012×');
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('—');
  });

  test('counts with SI suffixes', () => {
    expect(formatCount(74_016_245)).toBe('74.0 M');
    expect(formatCount(300_000_105)).toBe('300 M');
    expect(formatCount(12_345)).toBe('12.3 k');
    expect(formatCount(1_500_000_000)).toBe('1.50 G');
    expect(formatCount(950)).toBe('950');
  });

  test('changes carry a sign, with a real minus', () => {
    expect(formatChange(-0.0777)).toBe('−7.8%');
    expect(formatChange(0.084)).toBe('+8.4%');
    expect(formatChange(0.00001)).toBe('±0.0%');
    expect(formatChange(-0.00001)).toBe('±0.0%');
  });
});

describe('renderTable', () => {
  test('pads columns to the widest cell, numbers to the right, no trailing spaces', () => {
    const lines = renderTable([{ align: 'left' }, { align: 'right' }], [['name', 'time'], ['fib', '412 ms'], ['matmul', '1.2 s']]);
    expect(lines).toEqual(['name      time', 'fib     412 ms', 'matmul   1.2 s']);
  });

  test('colour codes take no width', () => {
    const lines = renderTable([{ align: 'right' }, { align: 'left' }], [[colour.green('1.0×'), 'x'], ['10.0×', 'y']]);
    expect(lines.map(visibleWidth)).toEqual([8, 8]);
    expect(lines[0]).toContain(colour.green('1.0×'));
  });
});

const ok = (seconds: number, ratioOf: number): { kind: 'ok'; seconds: number; times: number[]; ratio: number } => ({ kind: 'ok', seconds, times: [seconds], ratio: ratioOf / seconds });

function row(name: BenchRow['name'], seconds: number, instructions: number): BenchRow {
  return {
    name,
    params: {},
    expected: 'x',
    typevisor: { kind: 'ok', seconds, times: [seconds, seconds], instructions, mips: instructions / seconds / 1e6, ticks: 70 },
    peers: { js: ok(seconds / 20, seconds), lua: { kind: 'skipped', reason: 'lua5.4 not installed (apt-get install lua5.4)' } },
  };
}

function outcome(rows: BenchRow[], extra: Partial<InterpreterOutcome> = {}): InterpreterOutcome {
  return {
    tier: 'interp',
    size: 'full',
    tick: 1 << 20,
    plan: { runs: 5, warmupSeconds: 0.5, budgetSeconds: 10, minRuns: 3 },
    peers: [
      { id: 'js', label: 'JS warm', available: true, version: 'node v20.20.2' },
      { id: 'lua', label: 'Lua 5.4', available: false, reason: 'lua5.4 not installed (apt-get install lua5.4)' },
    ],
    rows,
    geomean: { js: 20 },
    ...extra,
  };
}

describe('renderInterpreter', () => {
  const text = renderInterpreter(outcome([row('fib', 0.412, 74_016_245), row('tight', 1.3, 300_000_105)]), plain);
  const lines = text.split('\n');

  test('one row per benchmark: time, instructions, MIPS, then each peer time and ratio', () => {
    const fib = lines.find((l) => l.startsWith('fib'))!;
    expect(fib.split(/\s{2,}/)).toEqual(['fib', '412 ms', '74.0 M', '180', '20.6 ms', '20.0×']);
    expect(lines.find((l) => l.startsWith('tight'))!.split(/\s{2,}/)).toEqual(['tight', '1.30 s', '300 M', '231', '65.0 ms', '20.0×']);
  });

  test('columns line up: every table line puts the ratio column at the same place', () => {
    const table = lines.slice(0, lines.indexOf(''));
    const ends = table.filter((l) => l.includes('×')).map((l) => l.lastIndexOf('×'));
    expect(new Set(ends).size).toBe(1);
  });

  test('a geometric-mean row, skipped peers named with how to install them', () => {
    expect(lines.find((l) => l.startsWith('geo. mean'))).toMatch(/20\.0×$/);
    expect(text).toContain('skipped: lua5.4 not installed (apt-get install lua5.4)');
    expect(lines[0]).not.toContain('Lua 5.4'); // no column for it
  });

  test('a wrong checksum shows as a failure with its reason', () => {
    const bad: BenchRow = { ...row('sieve', 1, 1e6), peers: { js: { kind: 'failed', reason: 'printed "1", expected "148933"' } } };
    const t = renderInterpreter(outcome([bad]), plain);
    expect(t).toMatch(/^sieve .* failed/m);
    expect(t).toContain('sieve: JS warm failed: printed "1", expected "148933"');
  });

  test('the host line names CPU, cores and node', () => {
    expect(renderHost({ cpu: 'Intel Xeon', cores: 2, node: 'v20.20.2', platform: 'linux x64', load: 1.5 }, plain)).toBe('machine: Intel Xeon · 2 cores · node v20.20.2 · linux x64 · load 1.50');
  });
});

describe('compareInterpreter', () => {
  const before = outcome([row('fib', 0.412, 74e6), row('sieve', 1, 81e6)]);
  const after = outcome([row('fib', 0.38, 74e6), row('matmul', 0.5, 96e6)]);

  test('the change in time and MIPS for each benchmark in both runs', () => {
    const [fib, matmul] = compareInterpreter(before, after);
    expect(fib!.name).toBe('fib');
    expect(fib!.time).toBeCloseTo(-0.0777, 4);
    expect(fib!.mips).toBeCloseTo(0.0842, 4);
    expect(matmul).toMatchObject({ name: 'matmul', before: null, time: null });
  });

  test('as lines: `fib 412 ms → 380 ms (−7.8%)  MIPS 180 → 195 (+8.4%)`', () => {
    const lines = renderChanges(compareInterpreter(before, after), plain);
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['fib', '412 ms → 380 ms', '(−7.8%)', 'MIPS 180 → 195', '(+8.4%)']);
    expect(lines[1]).toMatch(/^matmul\s+not in the previous run$/);
  });
});
