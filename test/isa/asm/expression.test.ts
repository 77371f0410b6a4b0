import { describe, expect, test } from 'vitest';
import { evaluate, type Environment } from '../../../isa/asm/evaluate.js';
import { parseExpression } from '../../../isa/asm/expression.js';
import { lex } from '../../../isa/asm/lexer.js';
import { ok, oneError, symbol } from './support.js';

const env: Environment = {
  symbol: (name) => (name === 'x' ? { kind: 'value', value: 10 } : { kind: 'error', message: `undefined symbol '${name}'` }),
  numericLabel: () => ({ kind: 'unknown' }),
  dot: () => ({ kind: 'value', value: 0x1000 }),
};

function value(text: string): number {
  const parsed = parseExpression(lex(text).tokens, text.length);
  if ('problem' in parsed) throw new Error(parsed.problem.message);
  const ev = evaluate(parsed.expr, env);
  if (ev.kind !== 'value') throw new Error(`not a value: ${JSON.stringify(ev)}`);
  return ev.value;
}

describe('precedence and associativity follow C', () => {
  test.each([
    ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9], ['10 - 4 - 3', 3], ['100 / 10 / 5', 2], ['7 % 4 * 2', 6],
    ['1 << 2 + 1', 8], ['1 | 2 ^ 3 & 1', 3], ['6 & 3 | 8', 10], ['1 + 1 == 2', 1], ['3 > 2 == 1', 1],
    ['1 < 2 && 2 < 1', 0], ['0 || 5', 1], ['-2 * -3', 6], ['~0', -1], ['!0 + !5', 1], ['- - 4', 4], ['+4', 4],
    ['-1 >> 28', -1], ['-1 >>> 28', 15], ['-7 / 2', -3], ['-7 % 2', -1], ['0x7fffffff + 1', -0x80000000],
    ['0x10000 * 0x10000', 0], ['hi(0x12345678)', 0x1234], ['lo(0x12345678)', 0x5678], ['HI(-1)', 0xffff],
    ['lo(x) + hi(x << 16)', 20], ['. + 8', 0x1008], ["'a' + 1", 98], ['(x)', 10],
  ])('%s = %d', (text, expected) => {
    expect(value(text)).toBe(expected);
  });
});

describe('expression problems point at the text at fault', () => {
  const problem = (text: string): unknown => {
    const parsed = parseExpression(lex(text).tokens, text.length);
    if ('problem' in parsed) return parsed.problem;
    const ev = evaluate(parsed.expr, env);
    return ev.kind === 'error' ? { start: ev.start, end: ev.end, message: ev.message } : ev;
  };

  test.each([
    ['4 / (x - 10)', { start: 4, end: 12, message: `division by zero: the right side of '/' is 0` }],
    ['4 % 0', { start: 4, end: 5, message: `division by zero: the right side of '%' is 0` }],
    ['1 << 32', { start: 5, end: 7, message: 'shift count 32 is out of range (0..31)' }],
    ['1 + y', { start: 4, end: 5, message: `undefined symbol 'y'` }],
    ['(1 + 2', { start: 6, end: 7, message: `expected ')' to close the '(' at column 1` }],
    ['1 2', { start: 2, end: 3, message: `expected an operator or the end of the expression, found '2'` }],
    ['1 +', { start: 3, end: 4, message: 'expected a value, found the end of the operand' }],
    ['foo(1)', { start: 0, end: 3, message: `unknown function 'foo' (the functions are hi() and lo())` }],
    ['1)', { start: 1, end: 2, message: `unmatched ')'` }],
  ])('%s', (text, expected) => {
    expect(problem(text)).toEqual(expected);
  });
});

describe('expressions in programs', () => {
  test('. is the address of the statement; hi/lo split a label', () => {
    const r = ok('.org 0x12340\nhere: .word ., hi(there), lo(there)\nthere:');
    expect([...r.image.sections[0]!.data]).toEqual([0x40, 0x23, 0x01, 0, 0x01, 0, 0, 0, 0x4c, 0x23, 0, 0]);
  });

  test('a division by zero in a program is an error at the divisor', () => {
    expect(oneError('.word 10 / (2 - 2)')).toBe([
      `test.s:1:12: error: division by zero: the right side of '/' is 0`,
      '.word 10 / (2 - 2)',
      '           ^~~~~~~',
    ].join('\n'));
  });

  test('constants may be written signed or unsigned: same 32-bit value', () => {
    const r = ok('a = 0xffffffff\nb = -1\nc = a == b');
    expect(symbol(r.image, 'a')).toBe(-1);
    expect(symbol(r.image, 'c')).toBe(1);
  });
});
