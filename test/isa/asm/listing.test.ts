import { describe, expect, test } from 'vitest';
import { formatListing, type ListingEntry } from '../../../isa/asm/index.js';
import { files, ok } from './support.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('listing entries', () => {
  test('each line gets its address, bytes and source; pseudo-instructions their expansion', () => {
    const r = ok('start: li a0, 0x12345678\n  add a0, a0, a0 ; twice\n.data\nmsg: .ascii "hi"');
    expect(r.listing.map((e) => ({ ...e, bytes: hex(e.bytes) }))).toEqual([
      { addr: 0x1000, bytes: '1b04341216447856', file: 'test.s', line: 1, source: 'start: li a0, 0x12345678', expansion: ['lui a0, 0x1234', 'ori a0, a0, 0x5678'] },
      { addr: 0x1008, bytes: '01440400', file: 'test.s', line: 2, source: '  add a0, a0, a0 ; twice' },
      { addr: 0x2000, bytes: '', file: 'test.s', line: 3, source: '.data' },
      { addr: 0x2000, bytes: '6869', file: 'test.s', line: 4, source: 'msg: .ascii "hi"' },
    ]);
  });

  test('a macro call lists everything its body emitted, one real instruction per word', () => {
    const r = ok('.macro save r\n push \\r\n.endm\n  save ra');
    expect(r.listing).toHaveLength(1);
    expect(r.listing[0]).toMatchObject({ line: 4, source: '  save ra', expansion: ['addi sp, sp, -4', 'sw ra, 0(sp)'] });
    expect(r.listing[0]!.bytes).toHaveLength(8);
  });

  test('lines of an included file are listed under their own file', () => {
    const r = ok('.include "x.s"\nnop', { filename: 'm.s', readFile: files({ 'x.s': 'add a0, a0, a0' }) });
    expect(r.listing.map((e) => `${e.file}:${e.line}@${e.addr.toString(16)}`)).toEqual(['m.s:1@1000', 'x.s:1@1000', 'm.s:2@1004']);
  });
});

describe('formatListing', () => {
  test('words for instructions, bytes for data, expansions indented under their line', () => {
    const r = ok('start: li a0, 0x12345678\n  add a0, a0, a0\n.data\nmsg: .ascii "hello, world"\n.space 32');
    expect(formatListing(r.listing)).toBe([
      '00001000                              1  start: li a0, 0x12345678',
      '00001000  1234041b                         lui a0, 0x1234',
      '00001004  56784416                         ori a0, a0, 0x5678',
      '00001008  00044401                    2    add a0, a0, a0',
      '00002000                              3  .data',
      '00002000  68 65 6c 6c 6f 2c 20 77     4  msg: .ascii "hello, world"',
      '00002008  6f 72 6c 64',
      '0000200c  00 00 00 00 00 00 00 00     5  .space 32',
      '          *',
      '00002024  00 00 00 00 00 00 00 00',
      '',
    ].join('\n'));
  });

  test('file:line when the listing spans files', () => {
    const entries: ListingEntry[] = [
      { addr: 0x1000, bytes: new Uint8Array(), file: 'a.s', line: 1, source: 'x:' },
      { addr: 0x1000, bytes: new Uint8Array(), file: 'b.s', line: 12, source: 'y:' },
    ];
    expect(formatListing(entries)).toBe('00001000                            a.s:1  x:\n00001000                           b.s:12  y:\n');
  });
});
