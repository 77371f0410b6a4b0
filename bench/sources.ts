/**
 * Where the suite's programs live: the guest sources and every peer's
 * scripts are read from the source tree (bench/guests, bench/peers), not from
 * dist/, so the compiled CLI and the tests (which run the .ts files) find the
 * same files.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this module holding package.json. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`bench: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const REPO_ROOT = findRoot();
export const BENCH_DIR = join(REPO_ROOT, 'bench');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

export const guestSource = (name: string): string => join(BENCH_DIR, 'guests', `${name}.s`);
export const jsPeer = (name: string): string => join(BENCH_DIR, 'peers', 'js', `${name}.js`);
export const luaPeer = (name: string): string => join(BENCH_DIR, 'peers', 'lua', `${name}.lua`);
export const pythonPeer = (name: string): string => join(BENCH_DIR, 'peers', 'python', `${name}.py`);
/** The compiled child that times plain JS's first run in a fresh process. */
export const JS_COLD_MAIN = join(REPO_ROOT, 'dist', 'bench', 'runners', 'js-cold-main.js');
