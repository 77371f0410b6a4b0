/**
 * QuickJS: Fabrice Bellard's bytecode JS engine, compiled to wasm
 * (quickjs-emscripten, its synchronous release build), run in this process —
 * a bytecode interpreter without a JIT, like typevisor. It runs the plain JS
 * peers' source (bench/peers/js), the one `export` keyword dropped so it
 * evaluates as a script. A fresh context per benchmark.
 */
import { readFileSync } from 'node:fs';
import { getQuickJS, type QuickJSContext, type QuickJSWASMModule } from 'quickjs-emscripten';
import { BenchError } from '../bench-error.js';
import { jsPeer } from '../sources.js';
import type { Benchmark, Sized } from '../suite.js';
import type { RunPlan, Timed } from '../timing.js';
import { packageVersion, timeScript, type Availability, type LoadedScript, type PeerRunner } from './runner.js';

/** The peer's source as a script: `export function checksum` becomes a global function. */
export function asScript(source: string): string {
  return source.replace(/^export (?=function )/gm, '');
}

/** A QuickJS context with bench/peers/js/NAME.js evaluated; call() runs checksum once. */
export class QuickJsScript implements LoadedScript {
  private readonly vm: QuickJSContext;

  constructor(module: QuickJSWASMModule, private readonly path: string) {
    this.vm = module.newContext();
    const result = this.vm.evalCode(asScript(readFileSync(path, 'utf8')), path);
    if (result.error) this.fail(result.error.consume((e) => this.vm.dump(e)));
    result.value.dispose();
  }

  private fail(error: unknown): never {
    this.vm.dispose();
    throw new BenchError(`quickjs: ${this.path}: ${JSON.stringify(error)}`);
  }

  call(args: readonly number[]): string {
    const vm = this.vm;
    const fn = vm.getProp(vm.global, 'checksum');
    const handles = args.map((a) => vm.newNumber(a));
    const result = vm.callFunction(fn, vm.undefined, ...handles);
    fn.dispose();
    for (const h of handles) h.dispose();
    if (result.error) this.fail(result.error.consume((e) => vm.dump(e)));
    return result.value.consume((v) => vm.getString(v));
  }

  close(): void {
    this.vm.dispose();
  }
}

export class QuickJsRunner implements PeerRunner {
  readonly id = 'quickjs' as const;
  readonly group = 'quickjs' as const;
  readonly label = 'QuickJS';
  private module: QuickJSWASMModule | undefined;

  async prepare(): Promise<Availability> {
    try {
      this.module = await getQuickJS();
      return { ok: true, version: `quickjs-emscripten ${packageVersion('quickjs-emscripten')}` };
    } catch (err) {
      return { ok: false, reason: `quickjs-emscripten did not load: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  measure(bench: Benchmark, size: Sized, plan: RunPlan): Promise<Timed> {
    if (this.module === undefined) throw new BenchError('quickjs: measure() before prepare()');
    return Promise.resolve(timeScript(new QuickJsScript(this.module, jsPeer(bench.name)), size, plan));
  }

  dispose(): void {
    this.module = undefined;
  }
}
