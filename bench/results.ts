/**
 * Saved runs: every `npm run bench` writes its whole result as JSON under
 * bench/results/ (one timestamped file per run; the files are gitignored), so
 * `--compare` has an earlier run to set this one against.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostInfo } from './host.js';

export const RESULT_FORMAT = 'typevisor-bench';
/** Bumped when a saved run changes shape incompatibly; older files are then ignored. */
export const RESULT_VERSION = 1;

export interface SavedRun {
  readonly format: typeof RESULT_FORMAT;
  readonly version: number;
  /** When the run started, ISO 8601. */
  readonly date: string;
  readonly host: HostInfo;
  /** The options it ran with, as given. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Each section's data, by section name. */
  readonly sections: Readonly<Record<string, unknown>>;
}

export interface StoredRun {
  readonly path: string;
  readonly run: SavedRun;
}

/** A file name that sorts in time order: the ISO date with ':' made '-' (Windows forbids ':'). */
export function resultFileName(date: Date): string {
  return `${date.toISOString().replace(/:/g, '-')}.json`;
}

/** Write a run into `dir` (created if need be); returns the file's path. */
export function saveRun(dir: string, run: SavedRun): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, resultFileName(new Date(run.date)));
  writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`);
  return path;
}

function isSavedRun(x: unknown): x is SavedRun {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<Record<keyof SavedRun, unknown>>;
  return r.format === RESULT_FORMAT && r.version === RESULT_VERSION && typeof r.date === 'string' && typeof r.sections === 'object' && r.sections !== null;
}

/** Every readable saved run in `dir`, newest first. Files that are not saved runs (or are damaged) are skipped. */
export function loadRuns(dir: string): StoredRun[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const runs: StoredRun[] = [];
  for (const name of names.sort().reverse()) {
    const path = join(dir, name);
    try {
      const run: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (isSavedRun(run)) runs.push({ path, run });
    } catch {
      // A damaged or half-written file: not a run to compare with.
    }
  }
  return runs;
}
