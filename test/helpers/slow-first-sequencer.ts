/**
 * The order vitest hands test files to its workers. With two workers the
 * suite ends when the later one finishes, so the slow files must start
 * first: a slow file started last runs on alone while the other worker idles.
 *
 * vitest does this by itself once it has timed a run (its cache, under
 * node_modules/.vite); without that cache — a fresh clone, so every CI run —
 * it runs the largest files first, and several of the slowest files here are
 * among the smallest (a short matrix of daemons and migrations). So when the
 * cache does not know every file, the files known to be slow go first, the
 * slowest first, then the rest in vitest's own order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { relative } from 'node:path';

/**
 * Seconds each took in a whole run (one worker, on a loaded 2-core machine:
 * only the order matters), the slowest first; files under some 15 s are left
 * to vitest. Re-measure with `npx vitest run --reporter=json
 * --outputFile=times.json` (each file's endTime - startTime) when these change.
 */
export const SLOW_FILES: readonly (readonly [file: string, seconds: number])[] = [
  ['test/cli/migrate-disk.test.ts', 146],
  ['test/guests/kernel.test.ts', 93],
  ['test/hypervisor/control/fault-matrix.test.ts', 75],
  ['test/hypervisor/hosted.test.ts', 64],
  ['test/vm/differential.test.ts', 61],
  ['test/hypervisor/control/failures.test.ts', 57],
  ['test/hypervisor/hosted/host.test.ts', 52],
  ['test/cli/cluster.test.ts', 47],
  ['test/cli/volume.test.ts', 46],
  ['test/cli/migrate-monitors.test.ts', 39],
  ['test/cli/vm-net.test.ts', 35],
  ['test/cli/snapshot.test.ts', 34],
  ['test/hypervisor/hosted-parts.test.ts', 31],
  ['test/web/playground.test.ts', 25],
  ['test/cli/migrate.test.ts', 24],
  ['test/cli/docs/transcripts.test.ts', 22],
  ['test/cli/tls.test.ts', 21],
  ['test/cli/boot-shell.test.ts', 20],
  ['test/cli/boot-debug.test.ts', 19],
  ['test/cli/migrate-whole-vm.test.ts', 19],
  ['test/hypervisor/control/kill-anywhere.test.ts', 17],
  ['test/hypervisor/migration/failures.test.ts', 16],
  ['test/cli/snapshot-store.test.ts', 16],
  ['test/cli/migrate-abort-messages.test.ts', 16],
  ['test/cli/migrate-compare.test.ts', 15],
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const key = (f: TestSpecification): string => relative(root, f.moduleId).split('\\').join('/');
    // Timed before: vitest's own order is by the durations it measured here.
    if (sorted.every((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(root, f.moduleId)}`))) return sorted;
    const seconds = new Map(SLOW_FILES);
    // A stable sort: the known slow files first, by their time; the rest keep vitest's order.
    return sorted.sort((a, b) => (seconds.get(key(b)) ?? 0) - (seconds.get(key(a)) ?? 0));
  }
}
