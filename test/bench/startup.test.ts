/**
 * The startup section spawns the built CLI — the bundle and tsc's modules
 * (dist/cli/main-modules.js) — beside `node -e 0` and reports each median
 * against node's. No times are asserted: only that every case ran, as a whole
 * process that exited 0, and that the table shows what the README quotes.
 */
import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import { measureStartup, renderStartup } from '../../bench/sections/startup.js';

describe('startup section', () => {
  test('times node -e 0, the bundled CLI and the unbundled one in the same rounds', () => {
    const data = measureStartup(1);
    expect(data.rows.map((r) => r.command)).toEqual([
      'node -e 0',
      'typevisor --version',
      'typevisor run hello.s',
      'typevisor asm hello.s',
      'unbundled --version',
      'unbundled run hello.s',
      'unbundled asm hello.s',
    ]);
    for (const row of data.rows) {
      expect(row.times).toHaveLength(1);
      expect(row.median).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.median / data.rows[0]!.median);
    }
    const text = renderStartup(data, new Chalk({ level: 0 }));
    expect(text).toContain('unbundled run hello.s');
    expect(text).toContain('median of 1 interleaved rounds');
  }, 60_000);
});
