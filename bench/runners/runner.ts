/**
 * What every peer runner offers the suite: say whether it can run here (and
 * which version it is), then time one benchmark at a given size.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Image } from '../../isa/image.js';
import { assembleGuest } from '../guests.js';
import type { Benchmark, Sized } from '../suite.js';
import { timeCall, timeRuns, type RunPlan, type Timed, type Trial } from '../timing.js';

/** One column of the table. */
export type PeerId = 'js-cold' | 'js' | 'loop' | 'switch' | 'wasm' | 'fengari' | 'quickjs' | 'lua' | 'python';
/** What `--peers` names: `js` is both the cold and the warmed column. */
export type PeerGroup = 'js' | 'loop' | 'switch' | 'wasm' | 'fengari' | 'quickjs' | 'lua' | 'python';
export const PEER_GROUPS: readonly PeerGroup[] = ['js', 'loop', 'switch', 'wasm', 'fengari', 'quickjs', 'lua', 'python'];

export type Availability =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly reason: string };

export interface PeerRunner {
  readonly id: PeerId;
  readonly group: PeerGroup;
  /** The column heading. */
  readonly label: string;
  /** Whether it can run here; never throws (a missing peer is reported, not fatal). */
  prepare(): Promise<Availability>;
  /** Time one benchmark. Throws BenchError when the peer fails; the checksum is the caller's to judge. */
  measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed>;
  /** Release what prepare() took (wasm instances, Lua states). */
  dispose(): void;
}

const require = createRequire(import.meta.url);

/** The installed version of an npm package, read from its package.json. */
export function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** A size's parameters as an argument list, in order. */
export const argsOf = (size: Sized): number[] => Object.values(size.params);

/** A peer script loaded into an in-process VM (fengari, QuickJS). */
export interface LoadedScript {
  /** Run its checksum function once with these arguments. */
  call(args: readonly number[]): string;
  close(): void;
}

/** Time a loaded script at this size by the plan, then close it. */
export function timeScript(script: LoadedScript, size: Sized, plan: RunPlan): Timed {
  try {
    const args = argsOf(size);
    return timeRuns(() => timeCall(() => script.call(args)), plan);
  } finally {
    script.close();
  }
}

/**
 * A peer that runs the guest image itself (the bare switches, typevisor's
 * own JavaScript loop): the guest assembled at the benchmark's size, then
 * `run` timed by the plan. `prepare` says whether it can run here (by
 * default it can, on this node).
 */
export function imagePeer(spec: {
  readonly id: PeerId & PeerGroup;
  readonly label: string;
  readonly run: (image: Image, name: string) => Trial;
  readonly prepare?: () => Promise<Availability>;
}): PeerRunner {
  return {
    id: spec.id,
    group: spec.id,
    label: spec.label,
    prepare: spec.prepare ?? (() => Promise.resolve({ ok: true, version: `node ${process.version}` })),
    measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed> {
      const image = assembleGuest(bench.name, size.params);
      return Promise.resolve(timeRuns(() => spec.run(image, bench.name), plan));
    },
    dispose(): void {},
  };
}
