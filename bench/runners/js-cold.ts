/**
 * Plain JavaScript, cold: the first run in a fresh `node`, before V8 has
 * optimised anything — what a short-lived script gets. Each timed run is a new
 * child process (dist/bench/runners/js-cold-main.js) that times itself, so
 * process start is not counted. There is no warm-up, by definition.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { BenchError } from '../bench-error.js';
import { JS_COLD_MAIN } from '../sources.js';
import type { Benchmark, Sized } from '../suite.js';
import { timeRuns, type RunPlan, type Timed, type Trial } from '../timing.js';
import { argsOf, type Availability, type PeerRunner } from './runner.js';

export class JsColdRunner implements PeerRunner {
  readonly id = 'js-cold' as const;
  readonly group = 'js' as const;
  readonly label = 'JS cold';

  prepare(): Promise<Availability> {
    if (!existsSync(JS_COLD_MAIN)) return Promise.resolve({ ok: false, reason: `${JS_COLD_MAIN} is missing (build first: npx tsc -p .)` });
    return Promise.resolve({ ok: true, version: `node ${process.version}` });
  }

  measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed> {
    const args = argsOf(size).map(String);
    const trial = (): Trial => {
      const r = spawnSync(process.execPath, [JS_COLD_MAIN, bench.name, ...args], { encoding: 'utf8' });
      if (r.error) throw new BenchError(`node ${bench.name}: ${r.error.message}`);
      if (r.status !== 0) throw new BenchError(`node ${bench.name} exited with ${r.status}: ${r.stderr.trim()}`);
      const parsed = JSON.parse(r.stdout) as { output?: unknown; seconds?: unknown };
      if (typeof parsed.output !== 'string' || typeof parsed.seconds !== 'number') throw new BenchError(`node ${bench.name} printed ${JSON.stringify(r.stdout)}`);
      return { output: parsed.output, seconds: parsed.seconds };
    };
    return Promise.resolve(timeRuns(trial, { ...plan, warmupSeconds: 0 }));
  }

  dispose(): void {}
}
