/** The assembler's own path arithmetic (isa/asm/paths.ts) agrees with Node's path.posix, which it replaces so it runs in a browser. */
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { dirname, isAbsolute, joinPath, normalizePath, relativeToCwd, resolvePath } from '../../../isa/asm/paths.js';

const segment = fc.constantFrom('a', 'b', 'sys.inc', '..', '.', '', 'dir.d', 'x y');
const pathText = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 })).map(([abs, parts]) => `${abs ? '/' : ''}${parts.join('/')}`);

describe('isa/asm/paths.ts', () => {
  test('normalize, join, dirname and isAbsolute are path.posix’s', () => {
    fc.assert(
      fc.property(pathText, pathText, (a, b) => {
        if (a !== '') expect(normalizePath(a)).toBe(path.posix.normalize(a).replace(/(.)\/$/, '$1'));
        expect(joinPath(a, b)).toBe(path.posix.join(a, b).replace(/(.)\/$/, '$1'));
        // (of a normal path: the assembler's file names are; Node keeps a leading `//` there)
        if (a !== '') expect(dirname(normalizePath(a))).toBe(path.posix.dirname(path.posix.normalize(a)));
        expect(isAbsolute(a)).toBe(path.posix.isAbsolute(a));
      }),
      { numRuns: 500 },
    );
  });

  test('resolve and the cycle message’s relative form are path.resolve and path.relative from the working directory', () => {
    fc.assert(
      fc.property(pathText, (a) => {
        expect(resolvePath(a)).toBe(path.resolve(a));
        const abs = path.resolve(a);
        expect(relativeToCwd(abs)).toBe(path.relative(process.cwd(), abs) || abs);
      }),
      { numRuns: 300 },
    );
  });
});
