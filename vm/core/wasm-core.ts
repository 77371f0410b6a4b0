/**
 * The interpreter core (core-wat.ts) for one machine: a WebAssembly instance
 * over a linear memory that holds the machine's registers, TLB arrays and
 * RAM, laid out as core-wat.ts says. The machine makes its PhysicalMemory,
 * Mmu arrays and register file as views of that memory (machine.ts), so the
 * core and the JavaScript loop see one state and hand the CPU back and forth
 * without copying anything.
 *
 * The module is compiled once per process, synchronously (it is small), from
 * the bytes assemble-core.ts wrote into core-binary.ts. Where WebAssembly is
 * missing or refuses (a browser's main thread caps synchronous compiles), a
 * machine runs on the JavaScript loop alone: wasmCoreMemory() says undefined.
 */
import { TLB_SIZE } from '../mmu.js';
import { CORE_PC, CORE_RAM, CORE_REGS, CORE_TLB } from './core-wat.js';
import { CORE_BINARY } from './core-binary.js';

const WASM_PAGE = 65536;
/**
 * The part of the WebAssembly global used here and by the bench's own loops,
 * typed because the project's TypeScript libraries do not declare it.
 */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}

/** This runtime's WebAssembly, or undefined where it has none. */
export const webAssembly = (): WasmApi | undefined => (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface CoreExports {
  readonly run: (pc: number, key: number, limit: number) => number;
}

let compiled: object | null | undefined;

/** The compiled module, or null when this runtime cannot have it. */
function coreModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    const api = webAssembly();
    compiled = api === undefined ? null : new api.Module(Uint8Array.from(atob(CORE_BINARY), (c) => c.charCodeAt(0)));
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Where a machine keeps what the core reads: views of one WebAssembly memory. */
export interface CoreMemory {
  readonly buffer: ArrayBuffer;
  /** Byte offset of RAM in the buffer. */
  readonly ramOffset: number;
  /** The six TLB arrays (rTag, rOff, wTag, wOff, xTag, xOff), each TLB_SIZE long. */
  readonly tlb: readonly [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  /** The 16 registers. */
  readonly regs: Int32Array;
  /** The core itself, over this memory. */
  readonly core: WasmCore;
}

/** A linear memory for a machine with `ramBytes` of RAM and a core over it; undefined without WebAssembly. */
export function wasmCoreMemory(ramBytes: number): CoreMemory | undefined {
  const module = coreModule();
  if (module === null) return undefined;
  const api = webAssembly()!;
  const pages = Math.ceil((CORE_RAM + ramBytes) / WASM_PAGE);
  let memory: { readonly buffer: ArrayBuffer };
  try {
    memory = new api.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined; // no address space for it: the JavaScript loop alone
  }
  const exports = new api.Instance(module, { machine: { memory } }).exports as CoreExports;
  const buffer = memory.buffer;
  const table = (k: number): Int32Array => new Int32Array(buffer, CORE_TLB + 4 * TLB_SIZE * k, TLB_SIZE);
  return {
    buffer,
    ramOffset: CORE_RAM,
    tlb: [table(0), table(1), table(2), table(3), table(4), table(5)],
    regs: new Int32Array(buffer, CORE_REGS, 16),
    core: new WasmCore(exports.run, new Int32Array(buffer, CORE_PC, 1)),
  };
}

export class WasmCore {
  /** Instructions the core retired, and times the JavaScript loop took over from it (stats, tests). */
  retired = 0;
  handovers = 0;

  constructor(
    private readonly runCore: (pc: number, key: number, limit: number) => number,
    private readonly pcOut: Int32Array,
  ) {}

  /**
   * Run from `pc` in the mode whose TLB key is `key` until `limit`
   * instructions retired or the next is one it leaves to the JavaScript
   * loop. Returns how many retired; stoppedAt() is the pc it stopped on.
   */
  run(pc: number, key: number, limit: number): number {
    const n = this.runCore(pc, key, limit);
    this.retired += n;
    return n;
  }

  stoppedAt(): number {
    return this.pcOut[0]!;
  }
}
