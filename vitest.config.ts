import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/helpers/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one worker on the 2-core machine the
    // suite must fit, where the whole run went one file at a time. Much of a file's time is spent
    // waiting (on child daemons, throttled links, guests' timers), so two keep both cores busy.
    maxWorkers: 2,
    // Each file in a fresh module graph (vitest's default), although sharing it would load the
    // project's modules once per worker: module state such as the colour level or a code cache
    // set by one file would leak into the next, and the gain (a quarter of test/isa + test/bench's
    // CPU time) is small beside a failure that depends on which files shared a worker.
    isolate: true,
    // The slow files first, on a fresh clone too (test/helpers/slow-first-sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
  },
});
