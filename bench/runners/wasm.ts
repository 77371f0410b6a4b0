/**
 * WebAssembly for the bench's own loops: their text assembled as the
 * interpreter core's is (vm/core/assemble-core.ts, wabt: a development
 * dependency), over the typed WebAssembly global of vm/core/wasm-core.ts.
 */
import { assembleWat } from '../../vm/core/assemble-core.js';
import { webAssembly, type WasmApi } from '../../vm/core/wasm-core.js';

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A compiled module (opaque). */
export type WasmModule = object;

const api = (): WasmApi => {
  const w = webAssembly();
  if (w === undefined) throw new Error('this runtime has no WebAssembly');
  return w;
};

export const wasm = {
  Memory: (descriptor: { initial: number; maximum: number }): WasmMemory => new (api().Memory)(descriptor),
};

/** Assemble WebAssembly text and compile it (synchronously: the bench's modules are small). */
export async function compileWat(name: string, text: string): Promise<WasmModule> {
  return new (api().Module)(await assembleWat(name, text));
}

/** An instance of `module` with these imports; its exports, as the caller declares them. */
export function instantiate<T>(module: WasmModule, imports: object = {}): T {
  return new (api().Instance)(module, imports).exports as T;
}
