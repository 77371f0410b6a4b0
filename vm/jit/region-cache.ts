/**
 * Translated code shared by every machine in the process.
 *
 * A region's JavaScript is fixed by its page's words, virtual base, mode and
 * shape: two machines running the same program (the VMs of one kernel under
 * the native monitor, a daemon's VMs, the bench's repeated runs, a program
 * run again) generate the same text. Compiling it once and keeping the
 * function means V8's optimized code, and the type feedback it was built
 * from, carries over: the second machine starts at full speed instead of
 * paying the warm-up again (jit.ts, "Warm-up": most of a real program's time
 * at the bench's sizes). The function reads its machine from its first
 * argument (region-fn.ts), so nothing of one machine leaks into another.
 *
 * The generation before it is shared too (generatePage): a page with the
 * same words, base, mode, entry points and shape gives the same regions, so
 * a fresh machine does not generate them again. At the bench's sizes that
 * was a tenth of a guest kernel's run.
 *
 * Bounded: least recently used first out, past MAX_SOURCE_CHARS of source.
 * A source compiled again after it was dropped gets a new first line, so that
 * V8's own compilation cache does not hand back the old function's state.
 */
import { mulh, mulhu } from '../alu.js';
import type { RegionFn } from './region-fn.js';
import { generate, type GeneratedPage, type PageCode } from './translator.js';

const MAX_SOURCE_CHARS = 16 * 1024 * 1024;

export interface CompiledRegion {
  readonly fn: RegionFn;
  /** First compiled here, for this caller: the caller primes it (jit.ts, "Warm-up"). */
  readonly fresh: boolean;
}

const cache = new Map<string, RegionFn>();
let chars = 0;
let compiled = 0;

/** The function for a region's source (translator.ts), compiled once per process. */
export function compileRegion(source: string): CompiledRegion {
  const hit = cache.get(source);
  if (hit !== undefined) {
    // Most recently used goes last (Map keeps insertion order).
    cache.delete(source);
    cache.set(source, hit);
    return { fn: hit, fresh: false };
  }
  const factory = new Function('mulh', 'mulhu', `// typevisor translation ${++compiled}\n${source}`) as (a: typeof mulh, b: typeof mulhu) => RegionFn;
  const fn = factory(mulh, mulhu);
  cache.set(source, fn);
  chars += source.length;
  for (const [old] of cache) {
    if (chars <= MAX_SOURCE_CHARS) break;
    cache.delete(old);
    chars -= old.length;
  }
  return { fn, fresh: true };
}

/** How many distinct sources are held (tests). */
export function cachedRegions(): number {
  return cache.size;
}

/** Pages generated, by base, mode, shape and entries; each with a copy of its words to check against. */
const pages = new Map<string, { readonly words: Int32Array; readonly gen: GeneratedPage }>();
const MAX_PAGES = 512;

/** generate(), or the regions an identical page was given before (the words compared, not only hashed). */
export function generatePage(page: PageCode): GeneratedPage {
  const words = page.words;
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  const id = `${page.vbase}:${page.key}:${page.shape ?? 'split'}:${[...page.entries].join(',')}:${h >>> 0}`;
  const hit = pages.get(id);
  if (hit !== undefined && sameWords(hit.words, words)) {
    pages.delete(id);
    pages.set(id, hit);
    return hit.gen;
  }
  const gen = generate(page);
  pages.set(id, { words: words.slice(), gen });
  if (pages.size > MAX_PAGES) pages.delete(pages.keys().next().value!);
  return gen;
}

function sameWords(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
