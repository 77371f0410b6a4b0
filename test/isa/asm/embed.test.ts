import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatDiagnostic, formatListing } from '../../../isa/asm/index.js';
import { readImage, writeImage } from '../../../isa/image.js';
import { errors, files, ok, section, symbol } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-embed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROG = '_start: li a0, 7\n  syscall\n.data\nmsg: .asciz "hi"\n';

describe('.incbin', () => {
  test('places the raw bytes of a file, relative to the including file', () => {
    writeFileSync(join(dir, 'blob.bin'), Uint8Array.from([1, 2, 3, 250]));
    const r = ok('.data\nstart: .incbin "blob.bin"\nend: .byte 9', { filename: join(dir, 'main.s') });
    expect(Array.from(section(r.image, '.data').data)).toEqual([1, 2, 3, 250, 9]);
    expect(symbol(r.image, 'end') - symbol(r.image, 'start')).toBe(4);
  });

  test('a missing file is an error at the name, saying where it looked', () => {
    const ds = errors('.data\n.incbin "nope.bin"', { filename: join(dir, 'main.s') });
    expect(ds).toHaveLength(1);
    expect(ds[0]!.message).toBe(`cannot read 'nope.bin': no such file (looked for '${join(dir, 'nope.bin')}')`);
    expect(ds[0]!.col).toBe(9);
  });
});

describe('.image', () => {
  test('places the TVIM image the program assembles to on its own, at 0x1000, with its own symbols', () => {
    const alone = ok(PROG, { filename: 'prog.s' });
    const r = ok('.org 0x80000000\n_start: j _start\n.align 4\nprog: .image "prog.s"\nprog_end:', { filename: 'k.s', readFile: files({ 'prog.s': PROG }) });
    const text = section(r.image, '.text');
    const bytes = text.data.subarray(4, symbol(r.image, 'prog_end') - 0x8000_0000);
    expect(bytes).toEqual(writeImage(alone.image));
    const inner = readImage(bytes);
    expect(inner.entry).toBe(0x1000);
    expect(inner.sections.map((s) => [s.name, s.addr])).toEqual([['.text', 0x1000], ['.data', 0x2000]]);
    // The two programs' `_start`s do not collide: each image has its own.
    expect(symbol(r.image, '_start')).toBe(0x8000_0000);
    expect(symbol(inner, '_start')).toBe(0x1000);
    expect(r.image.symbols.some((s) => s.name === 'msg')).toBe(false);
  });

  test('the path is relative to the file the directive is written in', () => {
    const readFile = files({ 'lib/table.s': '.image "progs/p.s"', 'lib/progs/p.s': PROG });
    const r = ok('.include "lib/table.s"', { filename: 'k.s', readFile });
    const data = section(r.image, '.text').data;
    expect(readImage(data.subarray(0, r.listing[1]!.bytes.length)).entry).toBe(0x1000);
  });

  test("errors in the program are its own diagnostics, with a note at the '.image' line", () => {
    const readFile = files({ 'bad.s': 'nop\n  addi a0, a0, 70000\n' });
    const ds = errors('.data\n  .image "bad.s"\n', { filename: 'k.s', readFile });
    expect(ds.map((d) => formatDiagnostic(d))).toEqual([
      [
        'bad.s:2:16: error: immediate 70000 does not fit in 16 signed bits (-32768..32767)',
        '  addi a0, a0, 70000',
        '               ^~~~~',
        "k.s:2:3: note: in program embedded with '.image'",
      ].join('\n'),
    ]);
  });

  test('a program that embeds itself is refused, not assembled forever', () => {
    const readFile = files({ 'a.s': '.image "b.s"', 'b.s': '.image "a.s"' });
    const ds = errors('.image "a.s"', { filename: 'k.s', readFile });
    expect(ds.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([`b.s:1: 'a.s' is already being read: a program cannot embed itself, or a file that includes it`]);
  });

  test('takes one file name in double quotes, and no place in .bss', () => {
    expect(errors('.image prog', { filename: 'k.s' })[0]!.message).toBe(`'.image' takes a file name in double quotes, found 'prog'`);
    const bss = errors('.bss\n.image "prog.s"', { filename: 'k.s', readFile: files({ 'prog.s': PROG }) });
    expect(bss[0]!.message).toMatch(/^'\.image' puts data in \.bss/);
  });

  test('the listing shows the line once, with the byte count', () => {
    const r = ok('.data\n.image "prog.s"\n.byte 1', { filename: 'k.s', readFile: files({ 'prog.s': PROG }) });
    const size = r.listing[1]!.bytes.length;
    expect(size).toBeGreaterThan(100);
    expect(formatListing(r.listing).split('\n').slice(1)).toEqual([
      `00001000  ${`[${size} bytes]`.padEnd(23)}     2  .image "prog.s"`,
      `${(0x1000 + size).toString(16).padStart(8, '0')}  ${'01'.padEnd(23)}     3  .byte 1`,
      '',
    ]);
  });
});
