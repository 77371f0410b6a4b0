/**
 * typevisor itself: each guest runs in the process VM in-process — user mode,
 * paging on — with a timer interrupt every TICK instructions taken by the
 * runtime and re-armed, as a preemptive kernel's tick would be. So the
 * interpreter is measured as it really runs: with address translation on
 * every access and interrupts live, not a stripped-down loop.
 *
 * The time is vm.run() alone: building the machine (allocating RAM, loading
 * the image) is the equivalent of process start, excluded for every peer too.
 */
import type { Image } from '../../isa/image.js';
import type { Tier } from '../../vm/machine.js';
import { ProcessVM } from '../../vm/process/index.js';
import { BenchError } from '../bench-error.js';
import { assembleGuest } from '../guests.js';
import type { Benchmark, Sized } from '../suite.js';
import { timeRuns, type RunPlan, type Trial } from '../timing.js';
import { imagePeer, type PeerRunner } from './runner.js';

/** Instructions between timer ticks: about a millisecond of guest time at the target speed. */
export const TICK = 1 << 20;

export interface GuestRun extends Trial {
  readonly instructions: number;
  readonly ticks: number;
}

export interface GuestTimed {
  readonly output: string;
  readonly times: readonly number[];
  readonly instructions: number;
  readonly ticks: number;
}

const NO_INPUT = new Uint8Array(0);
const decoder = new TextDecoder();

/** Run an image once, timing vm.run(). The output is stdout without its final newline. */
export function runGuest(image: Image, name: string, tier: Tier, tick = TICK, core = true): GuestRun {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const vm = new ProcessVM(image, {
    args: [name],
    stdin: () => NO_INPUT,
    stdout: (bytes) => void out.push(bytes.slice()),
    stderr: (bytes) => void err.push(bytes.slice()),
    tick,
    tier,
    core,
  });
  const t0 = performance.now();
  const result = vm.run();
  const seconds = (performance.now() - t0) / 1000;
  if (result.kind !== 'exit' || result.status !== 0) {
    const why = result.kind === 'exit' ? `exited with status ${result.status}: ${decoder.decode(Buffer.concat(err))}` : result.report;
    throw new BenchError(`guest ${name}: ${why}`);
  }
  const stats = vm.stats();
  return { output: decoder.decode(Buffer.concat(out)).replace(/\n$/, ''), seconds, instructions: stats.instructions, ticks: stats.ticks };
}

/** Assemble the guest at this size, then time it by the plan (typevisor always gets every run). */
export function measureGuest(bench: Benchmark, size: Sized, plan: RunPlan, tier: Tier, tick = TICK): GuestTimed {
  const image = assembleGuest(bench.name, size.params);
  let last: GuestRun | undefined;
  const timed = timeRuns(() => {
    const run = runGuest(image, bench.name, tier, tick);
    // Virtual time is deterministic: every run retires exactly the same instructions.
    if (last !== undefined && run.instructions !== last.instructions) throw new BenchError(`guest ${bench.name}: ${last.instructions} instructions in one run, ${run.instructions} in another`);
    last = run;
    return run;
  }, { ...plan, budgetSeconds: Number.POSITIVE_INFINITY });
  return { ...timed, instructions: last?.instructions ?? 0, ticks: last?.ticks ?? 0 };
}

/**
 * typevisor's interpreter tier on its JavaScript loop alone, without the
 * WebAssembly core (MachineOptions.core): what the interpreter column was
 * before the core, and the fastest this interpreter runs written in
 * JavaScript. A peer column (`--peers loop`), measured like typevisor's own.
 */
export const jsLoopPeer = (): PeerRunner => imagePeer({ id: 'loop', label: 'interp, JS loop', run: (image, name) => runGuest(image, name, 'interp', TICK, false) });
