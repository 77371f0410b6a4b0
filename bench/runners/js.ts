/**
 * Plain JavaScript, warmed, in this process: the ceiling for anything written
 * in JS. The peer module's checksum() is called directly; the median is taken
 * after V8 has had the warm-up to optimise it.
 */
import { pathToFileURL } from 'node:url';
import { BenchError } from '../bench-error.js';
import { jsPeer } from '../sources.js';
import type { Benchmark, Sized } from '../suite.js';
import { timeCall, timeRuns, type RunPlan, type Timed } from '../timing.js';
import { argsOf, type Availability, type PeerRunner } from './runner.js';

export type ChecksumFn = (...params: number[]) => string;

/** Import bench/peers/js/NAME.js and return its checksum function. */
export async function loadJsPeer(name: string): Promise<ChecksumFn> {
  const mod: unknown = await import(pathToFileURL(jsPeer(name)).href);
  const fn = (mod as { checksum?: unknown }).checksum;
  if (typeof fn !== 'function') throw new BenchError(`${jsPeer(name)} does not export a checksum function`);
  return fn as ChecksumFn;
}

export class JsWarmRunner implements PeerRunner {
  readonly id = 'js' as const;
  readonly group = 'js' as const;
  readonly label = 'JS warm';

  prepare(): Promise<Availability> {
    return Promise.resolve({ ok: true, version: `node ${process.version}` });
  }

  async measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed> {
    const checksum = await loadJsPeer(bench.name);
    const args = argsOf(size);
    return timeRuns(() => timeCall(() => checksum(...args)), plan);
  }

  dispose(): void {}
}
