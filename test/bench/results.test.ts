import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadRuns, RESULT_FORMAT, RESULT_VERSION, resultFileName, saveRun, type SavedRun } from '../../bench/results.js';

const run = (date: string, tag: string): SavedRun => ({
  format: RESULT_FORMAT,
  version: RESULT_VERSION,
  date,
  host: { cpu: 'cpu', cores: 2, node: 'v20', platform: 'linux x64', load: 0 },
  options: { tag },
  sections: { interpreter: { tag } },
});

describe('saved runs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-results-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('file names sort in time order and hold no colons', () => {
    const a = resultFileName(new Date('2025-01-02T03:04:05.006Z'));
    expect(a).toBe('2025-01-02T03-04-05.006Z.json');
    expect(resultFileName(new Date('2025-10-01T00:00:00Z')) > a).toBe(true);
  });

  test('save, then load back newest first', () => {
    saveRun(dir, run('2025-01-01T00:00:00.000Z', 'old'));
    const path = saveRun(dir, run('2025-03-01T00:00:00.000Z', 'new'));
    saveRun(dir, run('2025-02-01T00:00:00.000Z', 'middle'));
    const runs = loadRuns(dir);
    expect(runs.map((r) => r.run.options['tag'])).toEqual(['new', 'middle', 'old']);
    expect(runs[0]!.path).toBe(path);
    expect(runs[0]!.run).toEqual(run('2025-03-01T00:00:00.000Z', 'new'));
  });

  test('damaged files, other formats and other versions are skipped', () => {
    saveRun(dir, run('2025-01-01T00:00:00.000Z', 'good'));
    writeFileSync(join(dir, '2025-05-01.json'), '{"format": "typevisor-bench", "ver');
    writeFileSync(join(dir, '2025-06-01.json'), JSON.stringify({ ...run('2025-06-01T00:00:00.000Z', 'v0'), version: 0 }));
    writeFileSync(join(dir, '2025-07-01.json'), '[1, 2, 3]');
    writeFileSync(join(dir, 'notes.txt'), 'not a run');
    expect(loadRuns(dir).map((r) => basename(r.path))).toEqual(['2025-01-01T00-00-00.000Z.json']);
  });

  test('a missing directory has no runs; saving creates it', () => {
    const sub = join(dir, 'a', 'b');
    expect(loadRuns(sub)).toEqual([]);
    saveRun(sub, run('2025-01-01T00:00:00.000Z', 'x'));
    expect(loadRuns(sub)).toHaveLength(1);
  });
});
