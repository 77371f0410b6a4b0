import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assemble, assembleFile, shippedIncludeDir } from '../../../isa/asm/index.js';
import { candidatePaths, includeDirsFromEnv } from '../../../isa/asm/include-path.js';

const symbol = (r: ReturnType<typeof assemble>, name: string): number | undefined =>
  r.ok ? r.image.symbols.find((s) => s.name === name)?.value : undefined;

describe('include path', () => {
  test('sys.inc and lib.inc come from the shipped guests/include when not beside the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-inc-'));
    const file = join(dir, 'p.s');
    writeFileSync(file, '.include "sys.inc"\n.include "lib.inc"\n_start:\n li t0, SYS_EXIT\n li a0, 0\n syscall\n');
    const r = assembleFile(file);
    expect(r.ok ? [] : r.diagnostics.map((d) => d.message)).toEqual([]);
    expect(shippedIncludeDir()).toMatch(/guests[\\/]include$/);
  });

  test('a file beside the source wins over the include directories, and those win over the shipped folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'tv-inc-'));
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'a', 'v.inc'), 'WHICH = 1\n');
    writeFileSync(join(root, 'b', 'v.inc'), 'WHICH = 2\n');
    writeFileSync(join(root, 'b', 'sys.inc'), 'WHICH = 3\n');
    const src = '.include "v.inc"\nvalue = WHICH\n_start: halt\n';
    // Not beside: the first -I directory that has it.
    expect(symbol(assemble(src, { filename: join(root, 'p.s'), includeDirs: [join(root, 'a'), join(root, 'b')] }), 'value')).toBe(1);
    expect(symbol(assemble(src, { filename: join(root, 'p.s'), includeDirs: [join(root, 'b'), join(root, 'a')] }), 'value')).toBe(2);
    // Beside the file: that one, whatever the include directories say.
    expect(symbol(assemble(src, { filename: join(root, 'a', 'p.s'), includeDirs: [join(root, 'b')] }), 'value')).toBe(1);
    // An include directory shadows the shipped sys.inc.
    expect(symbol(assemble('.include "sys.inc"\nvalue = WHICH\n_start: halt\n', { filename: join(root, 'p.s'), includeDirs: [join(root, 'b')] }), 'value')).toBe(3);
  });

  test('a name found nowhere is reported with every place looked', () => {
    const r = assemble('.include "nosuch.inc"\n', { filename: '/tmp/x/p.s', includeDirs: ['/tmp/inc1'] });
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.diagnostics[0]!.message;
    expect(message).toContain("cannot include 'nosuch.inc'");
    expect(message).toContain('/tmp/x/nosuch.inc');
    expect(message).toContain('/tmp/inc1/nosuch.inc');
  });

  test("a macro's file operand resolves beside the file that calls the macro before the macro's own file", () => {
    const root = mkdtempSync(join(tmpdir(), 'tv-inc-'));
    mkdirSync(join(root, 'lib'));
    mkdirSync(join(root, 'user'));
    writeFileSync(join(root, 'lib', 'm.inc'), '.macro pull file\n .include \\file\n.endm\n');
    writeFileSync(join(root, 'lib', 'v.inc'), 'WHICH = 1\n');
    writeFileSync(join(root, 'user', 'v.inc'), 'WHICH = 2\n');
    const r = assemble('.include "../lib/m.inc"\npull "v.inc"\nvalue = WHICH\n_start: halt\n', { filename: join(root, 'user', 'p.s') });
    expect(symbol(r, 'value')).toBe(2);
  });

  test('candidate paths: absolute names are only themselves; duplicates are dropped', () => {
    expect(candidatePaths('/abs/x.inc', '/a/p.s', '/a/p.s', ['/b'])).toEqual(['/abs/x.inc']);
    const c = candidatePaths('x.inc', '/a/p.s', '/a/q.s', ['/a', '/b']);
    expect(c.slice(0, 2)).toEqual(['/a/x.inc', '/b/x.inc']);
    expect(includeDirsFromEnv(`/x${':'}${':'}/y`)).toEqual(['/x', '/y']);
    expect(includeDirsFromEnv(undefined)).toEqual([]);
  });
});
