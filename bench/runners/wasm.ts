/**
 * WebAssembly for the bench's own loops: WebAssembly text assembled by wabt
 * (a development dependency: only the bench uses it), and the part of the
 * WebAssembly global those loops use, typed here because the project's
 * TypeScript libraries do not declare it.
 */
import wabtInit from 'wabt';

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmModule {
  readonly kind: 'module';
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Assemble WebAssembly text and compile it (synchronously: the bench's modules are small). */
export async function compileWat(name: string, text: string): Promise<WasmModule> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat(name, text);
  try {
    parsed.resolveNames();
    parsed.validate();
    return new wasm.Module(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

/** An instance of `module` with these imports; its exports, as the caller declares them. */
export function instantiate<T>(module: WasmModule, imports: object = {}): T {
  return new wasm.Instance(module, imports).exports as T;
}
