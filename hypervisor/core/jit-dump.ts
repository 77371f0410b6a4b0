/**
 * A JitDump (vm/jit/jit.ts) that writes every translation to a file in a
 * directory: what TYPEVISOR_JIT_DUMP=DIR turns on from the CLI. A directory,
 * not a function, is what crosses to a hosted VM's vCPU thread.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JitDump } from '../../vm/machine.js';

export function jitDumpToDirectory(dir: string): JitDump {
  return (name, source) => writeFileSync(join(dir, name), source);
}
