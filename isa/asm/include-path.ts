/**
 * Where `.include`, `.incbin` and `.image` look for a file named by a
 * relative path, in order:
 *
 *   1. beside the file that uses the name — for a line a macro expanded, the
 *      file that called the macro (so `program "x", "x.s", …` finds `x.s`
 *      next to the kernel file that lists it, not next to the macro);
 *   2. beside the file the line is written in (the macro's own file);
 *   3. the caller's include directories (`-I DIR`, `TYPEVISOR_INCLUDE`), in order;
 *   4. the `guests/include` shipped with typevisor (`sys.inc`, `lib.inc`), so
 *      a program copied anywhere still finds them.
 *
 * An absolute path is only ever itself.
 */
import type * as fs from 'node:fs';
import { optionalBuiltin } from '../host-builtin.js';
import { dirname, isAbsolute, joinPath, resolvePath } from './paths.js';

/** The environment variable holding extra include directories, separated like PATH. */
export const INCLUDE_ENV = 'TYPEVISOR_INCLUDE';

let shipped: string | null | undefined;

/**
 * The shipped `guests/include`, found by walking up from this module (it is
 * `isa/asm/` in the sources and `dist/isa/asm/` when built; `guests/` sits at
 * the package root in both). Undefined when the package ships without it.
 */
export function shippedIncludeDir(): string | undefined {
  if (shipped === undefined) {
    shipped = null;
    // Only on a host with a file system, and a module loaded from a file (not a browser's bundle).
    // (A browser bundle has no import.meta.url at all: ask for fs first, and parse the URL only then.)
    const files = optionalBuiltin<typeof fs>('fs');
    const here = files ? (import.meta.url as string | undefined) : undefined;
    const url = here ? new URL(here) : undefined;
    if (files && url && url.protocol === 'file:') {
      let dir = dirname(decodeURIComponent(url.pathname));
      for (let up = 0; up < 5; up++) {
        const candidate = joinPath(dir, 'guests', 'include');
        if (files.existsSync(joinPath(candidate, 'sys.inc'))) {
          shipped = candidate;
          break;
        }
        dir = dirname(dir);
      }
    }
  }
  return shipped ?? undefined;
}

/** The directories in an include variable's value (PATH-style, ':'-separated, as the assembler's paths are POSIX); empty entries are skipped. */
export function includeDirsFromEnv(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((d) => d.length > 0);
}

/**
 * Every place a name is looked for, in order, without duplicates. `usedIn` is
 * the file of the line that uses the name (the macro's caller for an expanded
 * line), `writtenIn` the file the line's text comes from.
 */
export function candidatePaths(name: string, usedIn: string, writtenIn: string, includeDirs: readonly string[]): string[] {
  if (isAbsolute(name)) return [name];
  const dirs = [dirname(usedIn), dirname(writtenIn), ...includeDirs];
  const fallback = shippedIncludeDir();
  if (fallback) dirs.push(fallback);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const d of dirs) {
    const p = d === '.' ? name : joinPath(d, name);
    const key = resolvePath(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}
