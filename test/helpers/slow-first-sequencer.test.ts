/**
 * The order the suite's files start in: with no timings cached (a fresh
 * clone), the files known to be slow first, the slowest first, the others
 * after them in vitest's own order; once vitest has timed every file, its
 * order (by those timings) stands.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import SlowFirstSequencer, { SLOW_FILES } from './slow-first-sequencer.js';

const root = '/repo';
const spec = (file: string, size: number) => ({ moduleId: join(root, file), project: { name: '', config: { sequence: { groupOrder: 0 }, isolate: false } }, size }) as unknown as TestSpecification & { size: number };

function sequencer(timed: Record<string, number> | null, sizes: Map<string, number>): SlowFirstSequencer {
  const ctx = {
    config: { root },
    cache: {
      getFileTestResults: (key: string) => (timed && key.slice(1) in timed ? { failed: false, duration: timed[key.slice(1)]! } : undefined),
      getFileStats: (key: string) => ({ size: sizes.get(key.slice(1)) ?? 0 }),
    },
  } as unknown as Vitest;
  return new SlowFirstSequencer(ctx);
}

const files = [
  ['test/isa/spec.test.ts', 9000],
  [SLOW_FILES[3]![0], 100],
  ['test/cli/asm.test.ts', 5000],
  [SLOW_FILES[0]![0], 50],
  [SLOW_FILES[1]![0], 80],
] as const;
const sizes = new Map<string, number>(files.map(([f, s]) => [f, s]));
const order = (sorted: TestSpecification[]) => sorted.map((s) => s.moduleId.slice(root.length + 1));

describe('the order files start in', () => {
  test('untimed: the known slow files first, slowest first, then the rest largest first', async () => {
    const sorted = await sequencer(null, sizes).sort(files.map(([f, s]) => spec(f, s)));
    expect(order(sorted)).toEqual([SLOW_FILES[0]![0], SLOW_FILES[1]![0], SLOW_FILES[3]![0], 'test/isa/spec.test.ts', 'test/cli/asm.test.ts']);
  });

  test('timed, every file: vitest\'s order by the measured durations', async () => {
    const timed = Object.fromEntries(files.map(([f], i) => [f, i]));
    const sorted = await sequencer(timed, sizes).sort(files.map(([f, s]) => spec(f, s)));
    expect(order(sorted)).toEqual(files.map(([f]) => f).reverse());
  });

  test('the list is slowest first, and every file in it exists', async () => {
    const { existsSync } = await import('node:fs');
    const seconds = SLOW_FILES.map(([, s]) => s);
    expect(seconds).toEqual([...seconds].sort((x, y) => y - x));
    for (const [file] of SLOW_FILES) expect(existsSync(file), file).toBe(true);
  });
});
