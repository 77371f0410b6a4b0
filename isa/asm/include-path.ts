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
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (let up = 0; up < 5; up++) {
      const candidate = path.join(dir, 'guests', 'include');
      if (existsSync(path.join(candidate, 'sys.inc'))) {
        shipped = candidate;
        break;
      }
      dir = path.dirname(dir);
    }
  }
  return shipped ?? undefined;
}

/** The directories in an include variable's value (PATH-style: ':' on POSIX, ';' on Windows); empty entries are skipped. */
export function includeDirsFromEnv(value: string | undefined): string[] {
  return (value ?? '').split(path.delimiter).filter((d) => d.length > 0);
}

/**
 * Every place a name is looked for, in order, without duplicates. `usedIn` is
 * the file of the line that uses the name (the macro's caller for an expanded
 * line), `writtenIn` the file the line's text comes from.
 */
export function candidatePaths(name: string, usedIn: string, writtenIn: string, includeDirs: readonly string[]): string[] {
  if (path.isAbsolute(name)) return [name];
  const dirs = [path.dirname(usedIn), path.dirname(writtenIn), ...includeDirs];
  const fallback = shippedIncludeDir();
  if (fallback) dirs.push(fallback);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const d of dirs) {
    const p = d === '.' ? name : path.join(d, name);
    const key = path.resolve(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}
