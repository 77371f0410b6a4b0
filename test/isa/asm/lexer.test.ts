import { describe, expect, test } from 'vitest';
import { lex, parseNumber } from '../../../isa/asm/lexer.js';

const kinds = (line: string): string[] => lex(line).tokens.map((t) => `${t.kind}:${t.text}`);

describe('numbers', () => {
  test.each([
    ['42', 42], ['0x2a', 42], ['0X2A', 42], ['0b101010', 42], ['0o52', 42],
    ['1_000_000', 1_000_000], ['0xffff_ffff', -1], ['0x8000_0000', -0x8000_0000], ['0', 0],
  ])('%s is %d (as a signed 32-bit value)', (text, value) => {
    expect(parseNumber(text)).toEqual({ value });
  });

  test.each([
    ['0x', `invalid number '0x'`], ['12ab', `invalid number '12ab'`], ['0b102', `invalid number '0b102'`],
    ['1_', `invalid number '1_'`], ['0x1_0000_0000', 'number 0x1_0000_0000 does not fit in 32 bits'],
  ])('%s is rejected', (text, problem) => {
    expect(parseNumber(text)).toEqual({ problem });
  });

  test('a bad number is reported at its columns and lexing goes on', () => {
    const r = lex('li a0, 12ab ; x');
    expect(r.problems).toEqual([{ start: 7, end: 11, message: `invalid number '12ab'` }]);
    expect(kinds('li a0, 12ab')).toEqual(['ident:li', 'ident:a0', 'punct:,', 'number:12ab']);
  });
});

describe('numeric label references', () => {
  test('1b and 2f are label references; 0b1 is binary; 0b alone is a reference', () => {
    expect(kinds('1b 2F 0b1 0b 0f 10b')).toEqual(['numlabel:1b', 'numlabel:2F', 'number:0b1', 'numlabel:0b', 'numlabel:0f', 'numlabel:10b']);
  });
});

describe('characters and strings', () => {
  test.each([
    [`'a'`, 97], [`'\\n'`, 10], [`'\\t'`, 9], [`'\\r'`, 13], [`'\\0'`, 0], [`'\\\\'`, 92], [`'\\''`, 39], [`'\\"'`, 34],
    [`'\\x41'`, 0x41], [`'\\xff'`, 0xff], [`'#'`, 35], [`';'`, 59],
  ])('%s is %d', (text, value) => {
    const r = lex(text);
    expect(r.problems).toEqual([]);
    expect(r.tokens).toHaveLength(1);
    expect(r.tokens[0]!.value).toBe(value);
  });

  test('a string decodes escapes and encodes UTF-8', () => {
    const t = lex(`"a\\tb\\x00é;#"`).tokens[0]!;
    expect(t.kind).toBe('string');
    expect([...t.bytes!]).toEqual([97, 9, 98, 0, 0xc3, 0xa9, 59, 35]);
  });

  test('problems: unknown escape, unterminated, empty and multi-character literals', () => {
    expect(lex(`"a\\q"`).problems[0]!.message).toMatch(/unknown escape '\\q'/);
    expect(lex(`"abc`).problems).toEqual([{ start: 0, end: 4, message: 'unterminated string: missing closing "' }]);
    expect(lex(`''`).problems[0]!.message).toBe('empty character literal');
    expect(lex(`'ab'`).problems[0]!.message).toMatch(/holds 2 characters/);
  });
});

describe('comments, punctuation, identifiers', () => {
  test('; and # start comments outside literals', () => {
    expect(kinds('add a0, a1 ; comment')).toEqual(['ident:add', 'ident:a0', 'punct:,', 'ident:a1']);
    expect(kinds('# whole line')).toEqual([]);
  });

  test('longest operator wins; a lone dot is punctuation; dotted names are identifiers', () => {
    expect(kinds('a>>>b>>c<<d<=e!=f')).toEqual([
      'ident:a', 'punct:>>>', 'ident:b', 'punct:>>', 'ident:c', 'punct:<<', 'ident:d', 'punct:<=', 'ident:e', 'punct:!=', 'ident:f',
    ]);
    expect(kinds('. + .loop main.loop .word')).toEqual(['punct:.', 'punct:+', 'ident:.loop', 'ident:main.loop', 'ident:.word']);
  });

  test('unicode spaces (a pasted no-break space) separate tokens like spaces', () => {
    expect(lex('add\u00a0a0,\u2028a1').problems).toEqual([]);
    expect(kinds('add\u00a0a0')).toEqual(['ident:add', 'ident:a0']);
  });

  test('a run of stray characters is one problem', () => {
    expect(lex('nop ```').problems).toEqual([{ start: 4, end: 7, message: "unexpected characters '```'" }]);
  });

  test('a stray character is reported and skipped', () => {
    const r = lex('add a0, a1, a2 $ @');
    expect(r.problems.map((p) => [p.start, p.message])).toEqual([[15, `unexpected character '$'`], [17, `unexpected character '@'`]]);
    expect(lex('\\x').problems[0]!.message).toMatch(/stray '\\'/);
  });
});
