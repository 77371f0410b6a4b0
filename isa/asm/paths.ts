/**
 * The path arithmetic `.include`, `.incbin` and `.image` need — POSIX rules,
 * as Node's `path.posix` applies them — written out so the assembler runs
 * where there is no `node:path` (the browser playground). A name is resolved
 * against the directory of the file that names it; `resolvePath` makes the
 * absolute name the include stack compares to find a cycle.
 */
import { hostCwd } from '../host-builtin.js';

export const isAbsolute = (p: string): boolean => p.startsWith('/');

/** `a/./b/../c` → `a/c`; keeps a leading `..` of a relative path; '' → '.'. */
export function normalizePath(p: string): string {
  const abs = isAbsolute(p);
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  const body = out.join('/');
  return abs ? `/${body}` : body || '.';
}

export const joinPath = (...parts: string[]): string => normalizePath(parts.filter((p) => p !== '').join('/'));

export function dirname(p: string): string {
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return trimmed.slice(0, i);
}

/** The absolute form of `p`, against the host's working directory. */
export const resolvePath = (p: string): string => (isAbsolute(p) ? normalizePath(p) : joinPath(hostCwd(), p));

/** How `abs` reads from the working directory ('' when it is that directory), as in a cycle's message. */
export function relativeToCwd(abs: string): string {
  const from = resolvePath(hostCwd()).split('/').filter(Boolean);
  const to = normalizePath(abs).split('/').filter(Boolean);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  const rel = [...from.slice(common).map(() => '..'), ...to.slice(common)].join('/');
  return rel || abs;
}
