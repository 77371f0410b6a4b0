/**
 * TYPEVISOR_JIT_DUMP=DIR: every command that runs guest code writes each
 * translation the translation tier makes to DIR, for reading. The machine
 * never reads the environment; the CLI turns the variable into options.
 */
import { jitDumpToDirectory } from '../hypervisor/core/jit-dump.js';
import type { JitDump } from '../vm/machine.js';

export const JIT_DUMP_ENV = 'TYPEVISOR_JIT_DUMP';

/** The dump directory the environment names, or undefined (unset or empty). */
export function jitDumpDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env[JIT_DUMP_ENV];
  return dir ? dir : undefined;
}

/** `{ jitDump }` for a machine's options when TYPEVISOR_JIT_DUMP is set, else `{}`. */
export function jitDumpOption(env: NodeJS.ProcessEnv = process.env): { readonly jitDump?: JitDump } {
  const dir = jitDumpDir(env);
  return dir === undefined ? {} : { jitDump: jitDumpToDirectory(dir) };
}

/** `{ jitDumpDir }` for a hosted monitor's options (its vCPU runs on another thread). */
export function jitDumpDirOption(env: NodeJS.ProcessEnv = process.env): { readonly jitDumpDir?: string } {
  const dir = jitDumpDir(env);
  return dir === undefined ? {} : { jitDumpDir: dir };
}
