/**
 * bench/jit-exits.js end to end (built: `npx tsc -p .` first), at the suite's
 * reduced sizes: a row per benchmark, and exit shares that add up. Counts,
 * not times: virtual time is deterministic.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'dist', 'bench', 'jit-exits.js');

const run = (args: readonly string[]): { status: number | null; stdout: string; stderr: string } => {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: build first (npx tsc -p .)`);
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('jit-exits', () => {
  test('a row per benchmark whose exit shares add up to 100%, the same on every run', () => {
    const a = run(['qsort,bintree,fib', '--small']);
    expect(a.status).toBe(0);
    const rows = a.stdout.split('\n').filter((l) => /^(qsort|bintree|fib)\s/.test(l));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['qsort', 'bintree', 'fib']);
    for (const row of rows) {
      const shares = row.split(/\s+/).slice(-7).map((c) => Number.parseFloat(c));
      expect(shares.reduce((x, y) => x + y, 0)).toBeCloseTo(100, 0);
    }
    // Translated code ran: every row counts region entries.
    for (const row of rows) expect(Number(row.split(/\s+/)[3])).toBeGreaterThan(0);
    expect(run(['qsort,bintree,fib', '--small']).stdout).toBe(a.stdout);
  });

  test('an unknown benchmark is one clear line', () => {
    const r = run(['nosuch']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no benchmark 'nosuch'/);
  });
});
