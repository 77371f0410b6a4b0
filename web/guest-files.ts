/**
 * The page's file system: the repository's guests/ folder, bundled as text.
 * The assembler reads `.include`s through `readGuestFile`, exactly as the CLI
 * reads them from disk; the editor's program lives at
 * /guests/programs/NAME.s, so the examples' `.include "../include/sys.inc"`
 * resolves as it does in the repository, and a bare `.include "sys.inc"`
 * (the README's style) finds guests/include/ too.
 */
import sources from 'virtual:guest-sources';

export const PROGRAM_DIR = '/guests/programs';
export const INCLUDE_DIR = '/guests/include';

/** What the assembler's readFile throws for a missing file (its message says "no such file"). */
function missing(path: string): Error {
  return Object.assign(new Error(`no such file: ${path}`), { code: 'ENOENT' });
}

export function readGuestFile(path: string): string {
  const text = sources[path] ?? sources[`${INCLUDE_DIR}/${path.slice(path.lastIndexOf('/') + 1)}`];
  if (text === undefined) throw missing(path);
  return text;
}

/** The example programs' names (hello, fib …), for the menu. */
export function exampleNames(): string[] {
  return Object.keys(sources)
    .filter((p) => p.startsWith(`${PROGRAM_DIR}/`) && p.endsWith('.s'))
    .map((p) => p.slice(PROGRAM_DIR.length + 1, -2))
    .sort();
}

export function exampleSource(name: string): string | undefined {
  return sources[`${PROGRAM_DIR}/${name}.s`];
}

export const KERNEL_FILE = '/guests/kernel/kernel.s';
export const workloadFile = (name: string): string => `/guests/workloads/${name}.s`;
