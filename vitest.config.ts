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
    // A worker runs its files one after another in the same process, loading the
    // project's modules once rather than once per file: no test file mocks a module or
    // leaves global state behind (each closes its daemons, servers and temporary files),
    // and the imports were a quarter of the CPU time of test/isa + test/bench.
    isolate: false,
    // The slow files first, on a fresh clone too (test/helpers/slow-first-sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
  },
});
