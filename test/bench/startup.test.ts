/**
 * The startup section spawns the built CLI — the bundle with its code cache,
 * the bundle without, and tsc's modules (dist/cli/main-modules.js) — beside
 * `node -e 0` and reports each median against node's. No times are asserted:
 * only that every case ran, as a whole process that exited 0, and that the
 * tables show what the README quotes.
 */
import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import { measureStartup, renderStartup, startupMarkdown } from '../../bench/sections/startup.js';
import { withStartupTable } from '../../bench/startup-readme.js';

describe('startup section', () => {
  test('times node -e 0, the bundled CLI with and without its code cache and the unbundled one in the same rounds', () => {
    const data = measureStartup(1);
    expect(data.rows.map((r) => r.command)).toEqual([
      'node -e 0',
      'typevisor --version',
      'typevisor run hello.s',
      'typevisor asm hello.s',
      'no code cache --version',
      'no code cache run hello.s',
      'no code cache asm hello.s',
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
    const table = startupMarkdown(data).split('\n');
    expect(table).toHaveLength(6);
    expect(table[3]).toMatch(/^\| `typevisor --version` \| [\d.]+ ms, [\d.]+× \| [\d.]+ ms, [\d.]+× \| [\d.]+ ms, [\d.]+× \|$/);
    const readme = withStartupTable('# x\n<!-- startup-table: begin -->\nold\n<!-- startup-table: end -->\nafter\n', data);
    expect(readme).toContain(`<!-- startup-table: begin -->\n${startupMarkdown(data)}\n\nWhole process, median of 1 rounds`);
    expect(readme).not.toContain('old');
    expect(readme.endsWith('<!-- startup-table: end -->\nafter\n')).toBe(true);
    expect(() => withStartupTable('no markers', data)).toThrow(/startup-table/);
    // Named in running text is not a marker.
    expect(() => withStartupTable('see `<!-- startup-table: begin -->` and `<!-- startup-table: end -->`', data)).toThrow(/startup-table/);
  }, 60_000);
});
