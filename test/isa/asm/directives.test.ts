import { describe, expect, test } from 'vitest';
import { SECTION_EXEC, SECTION_READ, SECTION_WRITE, SECTION_ZERO } from '../../../isa/image.js';
import { errors, ok, oneError, section, symbol } from './support.js';

const bytes = (source: string, name = '.data'): number[] => [...section(ok(source).image, name).data];

describe('data directives', () => {
  test('.word, .half and .byte write little-endian values, signed or unsigned', () => {
    expect(bytes('.data\n.word 0x11223344, -1\n.half 0xbeef, -2\n.byte 255, -128, 7')).toEqual([
      0x44, 0x33, 0x22, 0x11, 0xff, 0xff, 0xff, 0xff, 0xef, 0xbe, 0xfe, 0xff, 0xff, 0x80, 7,
    ]);
  });

  test.each([
    ['.byte 256', 'value 256 does not fit in a byte (-128..255)'],
    ['.byte -129', 'value -129 does not fit in a byte (-128..255)'],
    ['.half 65536', 'value 65536 (0x10000) does not fit in a half-word (-32768..65535)'],
    ['.half -32769', 'value -32769 (0xffff7fff) does not fit in a half-word (-32768..65535)'],
  ])('%s is out of range', (source, message) => {
    expect(oneError(`.data\n${source}`)).toContain(`error: ${message}`);
  });

  test('.ascii and .asciz take one or more strings; .asciz terminates each', () => {
    expect(bytes('.data\n.ascii "ab", "c"\n.asciz "d", "e"')).toEqual([97, 98, 99, 100, 0, 101, 0]);
  });

  test('.ascii wants strings', () => {
    expect(oneError('.data\n.ascii 5')).toContain(`error: '.ascii' takes strings in double quotes, found '5'`);
  });

  test('.space reserves zeros or a fill byte', () => {
    expect(bytes('.data\n.byte 1\n.space 3\n.space 2, 0xaa')).toEqual([1, 0, 0, 0, 0xaa, 0xaa]);
  });

  test('.space needs a size known in pass 1 and not negative', () => {
    expect(oneError('.data\n.space -1')).toContain(`'.space' size must not be negative, found -1`);
    expect(oneError('.data\n.space n\nn = 4')).toContain(`the '.space' size must be known when this line is reached, but 'n' is defined further down`);
  });

  test('.align pads with zeros to a power of two', () => {
    expect(bytes('.data\n.byte 1\n.align 4\n.byte 2\n.align 2\n.align 8\n.byte 3')).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 3]);
    expect(oneError('.align 6')).toContain(`'.align' takes a power of two (a number of bytes, 1..65536), found 6`);
  });

  test('.align in .text is absolute: from a base that is not aligned, it pads to the address', () => {
    const r = ok('.org 0x1004\nnop\n.align 16\nhere: nop');
    expect(symbol(r.image, 'here')).toBe(0x1010);
  });

  test('.align in a section placed after pass 1 makes the section start on the boundary', () => {
    const r = ok('nop\n.data\n.byte 1\n.align 8192\nbig: .byte 2');
    expect(section(r.image, '.data').addr % 8192).toBe(0);
    expect(symbol(r.image, 'big') % 8192).toBe(0);
  });

  test('.org first in a section sets its base; later it pads forward', () => {
    const r = ok('.data\n.org 0x8000\n.byte 1\n.org 0x8004\n.byte 2');
    expect(section(r.image, '.data')).toMatchObject({ addr: 0x8000, size: 5 });
    expect(bytes('.data\n.org 0x8000\n.byte 1\n.org 0x8004\n.byte 2')).toEqual([1, 0, 0, 0, 2]);
  });

  test('.org backwards is an error naming where the section is', () => {
    expect(oneError('.org 0x2000\nnop\nnop\n.org 0x2004')).toBe([
      `test.s:4:6: error: '.org 0x2004' would move backwards: .text is already at 0x2008`,
      '.org 0x2004',
      '     ^~~~~~',
    ].join('\n'));
  });

  test('.org after content in an automatically placed section cannot work in pass 1', () => {
    expect(oneError('.data\n.byte 1\n.org 0x3000')).toContain(`'.org' after content in .data needs the section's address`);
  });

  test('.org must give a 4-aligned section start', () => {
    expect(oneError('.org 0x1002')).toContain('a section must start at a 4-byte aligned address; 0x1002 is not');
  });

  test('.equ and = define constants, exported as const symbols', () => {
    const r = ok('.equ SIZE, 4 * 4\nMASK = SIZE - 1\n.data\n.word SIZE, MASK');
    expect(r.image.symbols).toEqual([
      { name: 'SIZE', value: 16, kind: 'const' },
      { name: 'MASK', value: 15, kind: 'const' },
    ]);
  });

  test('.global is accepted and recorded; naming nothing defined is a warning', () => {
    const r = ok('.global main, helper\nmain: nop');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ line: 1, col: 15, severity: 'warning', message: `'.global helper' names a symbol that is never defined` });
  });

  test('an unknown directive suggests a near one', () => {
    expect(oneError('.wrod 1')).toContain(`unknown directive '.wrod'; did you mean '.word'?`);
  });

  test('a directive with the wrong number of operands says what it takes', () => {
    expect(oneError('.org 1, 2')).toContain(`'.org' takes 1 operand (address), found 2`);
    expect(oneError('.text 4')).toContain(`'.text' takes no operands, found 1`);
  });
});

describe('.bss holds only zeros', () => {
  test('.space, .align and labels are fine; the section has a size and no data', () => {
    const r = ok('nop\n.bss\nbuf: .space 100\n.align 8\nend:');
    expect(section(r.image, '.bss')).toMatchObject({ size: 104, flags: SECTION_READ | SECTION_WRITE | SECTION_ZERO });
    expect(section(r.image, '.bss').data).toHaveLength(0);
  });

  test('instructions, data and non-zero fill are errors, each reported', () => {
    const ds = errors('.bss\nnop\n.word 1\n.ascii "x"\n.space 4, 1\n.space 4, 0');
    expect(ds.map((d) => [d.line, d.message])).toEqual([
      [2, 'instructions cannot go in .bss, which holds only zeros; switch to .text first'],
      [3, `'.word' puts data in .bss, which holds only zeros; use '.space' there, or switch to .data`],
      [4, `'.ascii' puts data in .bss, which holds only zeros; use '.space' there, or switch to .data`],
      [5, '.bss holds only zeros; it cannot be filled with 1'],
    ]);
  });
});

describe('section placement', () => {
  test('.text at 0x1000, .data on the next page after it, .bss 4-aligned after .data', () => {
    const r = ok('.data\nd: .byte 1, 2, 3\n.text\nnop\nnop\n.bss\nb: .space 8');
    expect(r.image.sections.map((s) => [s.name, s.addr, s.size, s.flags])).toEqual([
      ['.text', 0x1000, 8, SECTION_READ | SECTION_EXEC],
      ['.data', 0x2000, 3, SECTION_READ | SECTION_WRITE],
      ['.bss', 0x2004, 8, SECTION_READ | SECTION_WRITE | SECTION_ZERO],
    ]);
  });

  test('text exactly a page long puts data on the very next page', () => {
    const r = ok('.space 4096\n.data\n.byte 1');
    expect(section(r.image, '.data').addr).toBe(0x2000);
    const r2 = ok('.space 4100\n.data\n.byte 1');
    expect(section(r2.image, '.data').addr).toBe(0x3000);
  });

  test('without .data, .bss goes on the page after .text', () => {
    const r = ok('nop\n.bss\nb: .space 4');
    expect(section(r.image, '.bss').addr).toBe(0x2000);
  });

  test('empty sections are left out', () => {
    const r = ok('.data\n.text\nnop');
    expect(r.image.sections.map((s) => s.name)).toEqual(['.text']);
  });

  test('a section continues where it left off', () => {
    const r = ok('.data\n.byte 1\n.text\nnop\n.data\nsecond: .byte 2');
    expect([...section(r.image, '.data').data]).toEqual([1, 2]);
    expect(symbol(r.image, 'second')).toBe(0x2001);
  });

  test('defaultTextBase moves .text (and what follows it)', () => {
    const r = ok('nop\n.data\n.byte 1', { defaultTextBase: 0x8000_0000 });
    expect(r.image.sections.map((s) => s.addr)).toEqual([0x8000_0000, 0x8000_1000]);
  });

  test('.text is padded to whole words', () => {
    const r = ok('nop\n.byte 1');
    expect(section(r.image, '.text').size).toBe(8);
  });

  test('overlapping sections are an error at the later one', () => {
    expect(oneError('nop\nnop\n.data\n.org 0x1004\n.byte 1')).toBe([
      'test.s:4:1: error: .data (0x00001004..0x00001004) overlaps .text (0x00001000..0x00001007)',
      '.org 0x1004',
      '^~~~~~~~~~~',
    ].join('\n'));
  });

  test('a section running off the top of memory is an error', () => {
    expect(oneError('.data\n.org 0xfffffffc\n.word 1, 2')).toContain('.data (8 bytes from 0xfffffffc) runs past the top of the address space');
  });

  test('an instruction that is not 4-aligned is an error, reported once per run', () => {
    const ds = errors('.byte 1\nnop\nnop\n.align 4\nnop\n.byte 1\nnop');
    expect(ds.map((d) => [d.line, d.message])).toEqual([
      [2, `instruction at 0x00001001 is not 4-byte aligned; put '.align 4' before it`],
      [7, `instruction at 0x00001011 is not 4-byte aligned; put '.align 4' before it`],
    ]);
  });
});

describe('entry point', () => {
  test('.entry wins', () => {
    expect(ok('_start: nop\nother: nop\n.entry other').image.entry).toBe(0x1004);
    expect(ok('nop\nnop\n.entry 0x1004').image.entry).toBe(0x1004);
  });

  test('else _start', () => {
    expect(ok('nop\n_start: nop').image.entry).toBe(0x1004);
  });

  test('else the start of .text', () => {
    expect(ok('.org 0x4000\nnop').image.entry).toBe(0x4000);
  });

  test('an entry outside .text, or misaligned, is an error where it was chosen', () => {
    expect(oneError('nop\n.entry 0x2000')).toBe([
      'test.s:2:8: error: the entry point 0x00002000 is outside .text (0x00001000..0x00001003)',
      '.entry 0x2000',
      '       ^~~~~~',
    ].join('\n'));
    expect(oneError('nop\n.data\n_start: .byte 1')).toContain(`the entry point '_start' 0x00002000 is outside .text`);
  });

  test('two .entry directives: the second is an error with a note at the first', () => {
    const ds = errors('a: nop\n.entry a\n.entry a');
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ line: 3, message: 'the entry point is already set', notes: ['first \'.entry\' at test.s:2:8'] });
  });
});
