/**
 * typevisor as a library: `import { … } from 'typevisor'` (package.json
 * `exports` points here; the types are the .d.ts files beside the build).
 *
 *   import { assemble, ProcessVM, runProgram } from 'typevisor';
 *   const r = assemble(source, { filename: 'hello.s' });
 *   if (r.ok) console.log(runProgram(r.image).stdout);
 *
 * Each entry point is the layer's own; this file only gathers them (it sits in
 * cli/ because only the top layer may import every other). What is not here
 * is internal and may change between versions.
 */
import type { Image } from '../isa/image.js';
import { ProcessVM, type ProcessOptions, type ProcessResult, type ProcessStats } from '../vm/process/index.js';

// Assemble and disassemble.
export { assemble, assembleFile, formatDiagnostic, formatListing, summarize, shippedIncludeDir, INCLUDE_ENV } from '../isa/asm/index.js';
export type { AssembleOptions, AssembleResult, AssemblerLimits, Diagnostic, ListingEntry } from '../isa/asm/index.js';
export { disassembleImage, formatInstruction } from '../isa/disasm.js';

// Images: read, write, load.
export { ImageError, loadImageFile, readImage, writeImage } from '../isa/image.js';
export type { Image, Section as ImageSection, ImageSymbol } from '../isa/image.js';

// Run a user program in the process VM.
export { ProcessVM, LoadError, SandboxError, exitCode } from '../vm/process/index.js';
export type { ProcessOptions, ProcessResult, ProcessStats, InputSource, OutputSink } from '../vm/process/index.js';

// Boot a kernel on the bare machine.
export { BareMachine, BootError } from '../vm/bare.js';
export type { BareOptions, BootResult } from '../vm/bare.js';
export { RAM_BASE } from '../vm/memmap.js';

// Talk to a daemon (`typevisor serve`).
export { ControlClient } from '../hypervisor/control/client.js';
export type { ClientOptions } from '../hypervisor/control/client.js';
export { ControlError } from '../hypervisor/control/control-error.js';
export { parseAddress } from '../hypervisor/control/address.js';
export type { Address } from '../hypervisor/control/address.js';
export { TOKEN_ENV, resolveToken } from '../hypervisor/control/token.js';

export interface ProgramRun {
  readonly result: ProcessResult;
  readonly stats: ProcessStats;
  /** What the program wrote to fd 1 and fd 2, as text. */
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run a user program to its end in the process VM, its output collected
 * rather than written to this process's fds (unless `options` says where).
 * Stop a program that may not end with `maxInstructions`.
 */
export function runProgram(image: Image, options: ProcessOptions = {}): ProgramRun {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const vm = new ProcessVM(image, { stdin: () => new Uint8Array(0), stdout: (b) => void out.push(b.slice()), stderr: (b) => void err.push(b.slice()), ...options });
  try {
    const result = vm.run();
    const text = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');
    return { result, stats: vm.stats(), stdout: text(out), stderr: text(err) };
  } finally {
    vm.close();
  }
}
