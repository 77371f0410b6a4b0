/**
 * Guest kernels with program tables of a test's choosing: a top file that
 * includes guests/kernel/core.s by absolute path, then its own table (the
 * format is guests/kernel/programs.s's).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERNEL_DIR = fileURLToPath(new URL('../../guests/kernel', import.meta.url));
export const KERNEL = join(KERNEL_DIR, 'kernel.s');
export const CORE = join(KERNEL_DIR, 'core.s');

export interface Entry {
  readonly name: string;
  readonly file: string;
  readonly args?: readonly string[];
  readonly spawnOnly?: boolean;
}

/** A string literal in typevisor assembly (the escapes isa/asm/README.md lists). */
export const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\0/g, '\\0')}"`;

/** Write DIR/LABEL.s: the kernel with this program table; returns its path. */
export function writeKernel(dir: string, label: string, entries: readonly Entry[]): string {
  const lines = [
    `; ${label} — a test kernel: the real one with its own program table`,
    `.include ${quote(CORE)}`,
    '.data',
    '.align 4',
    'programs:',
    ...entries.map((e) => `    program ${quote(e.name)}, ${quote(e.file)}, ${e.spawnOnly ? 'PROG_SPAWN' : 'PROG_BOOT'}, ${quote((e.args ?? []).join('\0'))}`),
    'program_table_end',
  ];
  const path = join(dir, `${label}.s`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}
