import { describe, expect, test } from 'vitest';
import { decoded, errors, ok, oneError, symbol } from './support.js';

describe('labels and forward references', () => {
  test('a label may be used before it is defined', () => {
    const ins = decoded('j end\nnop\nend: nop');
    expect(ins[0]).toMatchObject({ name: 'jal', imm: 8 });
  });

  test('several labels on a line, and a label sharing a line with a statement', () => {
    const r = ok('a: b: nop\nc: d: .word a, b, c, d');
    expect(['a', 'b', 'c', 'd'].map((n) => symbol(r.image, n))).toEqual([0x1000, 0x1000, 0x1004, 0x1004]);
  });

  test('symbols are case-sensitive; mnemonics and registers are not', () => {
    const r = ok('Loop: NOP\nloop: Add A0, a1, R2\n.word Loop, loop');
    expect(symbol(r.image, 'Loop')).toBe(0x1000);
    expect(symbol(r.image, 'loop')).toBe(0x1004);
  });

  test('a constant may use labels defined after it', () => {
    const r = ok('size = end - start\nstart: nop\nnop\nend:\n.data\n.word size');
    expect(symbol(r.image, 'size')).toBe(8);
  });

  test('every label is exported; constants as const, first (the order disasm reproduces)', () => {
    const r = ok('main: nop\n.loop: nop\nK = 3\n1: nop');
    expect(r.image.symbols).toEqual([
      { name: 'K', value: 3, kind: 'const' },
      { name: 'main', value: 0x1000, kind: 'label' },
      { name: 'main.loop', value: 0x1004, kind: 'label' },
    ]);
  });

  test('labels come out by address, whatever order the source defines them in; ties keep source order', () => {
    const r = ok('.data\nd: .word 1\n.text\nb: a: nop\nc: nop');
    expect(r.image.symbols.map((s) => s.name)).toEqual(['b', 'a', 'c', 'd']);
  });
});

describe('local labels', () => {
  const program = [
    'first:',
    '.loop: j .loop',
    'second:',
    '.loop: j .loop',
    '  j first.loop',
    '  j second.loop',
  ].join('\n');

  test('.name belongs to the last label without a dot; outer.name reaches it from anywhere', () => {
    const r = ok(program);
    expect(symbol(r.image, 'first.loop')).toBe(0x1000);
    expect(symbol(r.image, 'second.loop')).toBe(0x1004);
    const ins = decoded(program);
    expect(ins.map((i) => i.imm)).toEqual([0, 0, -8, -8]);
  });

  test('the same local name in two scopes is no clash; twice in one scope is', () => {
    const ds = errors('f:\n.x: nop\n.x: nop');
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ line: 3, col: 1, length: 2, message: `label 'f.x' is already defined`, notes: [`first definition of 'f.x' at test.s:2:1`] });
  });

  test('a local label before any label has no scope', () => {
    expect(oneError('.x: nop')).toContain(`local label '.x' has no enclosing label: put a label without a leading '.' above it`);
  });

  test('an undefined local label names its full name', () => {
    expect(oneError('main:\n j .lop\n.loop: nop')).toContain(`undefined symbol '.lop' (main.lop); did you mean '.loop'?`);
  });
});

describe('numeric labels', () => {
  test('1b is the nearest 1: before, 1f the nearest after; they may be redefined', () => {
    const ins = decoded(['1: nop', 'j 1b', 'j 1f', '1: nop', 'j 1b', '2: j 2b'].join('\n'));
    expect(ins.map((i) => i.imm)).toEqual([0, -4, 4, 0, -4, 0]);
  });

  test('1b on the line that defines 1: refers to that line', () => {
    expect(decoded('1: j 1b')[0]!.imm).toBe(0);
  });

  test('a reference with no such label says which way it looked', () => {
    expect(oneError('j 1f')).toContain(`no numeric label '1:' after this line (for '1f')`);
    expect(oneError('1: nop\nj 2b')).toContain(`no numeric label '2:' before this line (for '2b')`);
  });

  test('numeric labels are not exported', () => {
    expect(ok('1: nop').image.symbols).toEqual([]);
  });
});

describe('symbol definition problems', () => {
  test('a duplicate label points at the second with a note naming the first', () => {
    const ds = errors('loop: nop\nnop\n  loop: nop');
    expect(ds).toEqual([{
      file: 'test.s', line: 3, col: 3, length: 4, severity: 'error',
      message: `label 'loop' is already defined`, sourceLine: '  loop: nop', notes: [`first definition of 'loop' at test.s:1:1`],
    }]);
  });

  test('a constant and a label cannot share a name', () => {
    expect(oneError('x = 1\nx: nop')).toContain(`symbol 'x' is already defined`);
  });

  test('a register name cannot be a symbol', () => {
    expect(oneError('a0: nop')).toContain(`'a0' is a register name; it cannot also name a symbol`);
    expect(oneError('SP = 4')).toContain(`'SP' is a register name`);
  });

  test('circular constants are an error, once', () => {
    expect(oneError('a = b + 1\nb = a\n.data\n.word a')).toContain(`'a' is defined in terms of itself`);
  });

  test('undefined symbols are reported at their column, every time they are used', () => {
    const ds = errors('nop\nj lop\nbeq a0, a1, lop\nloop: nop');
    expect(ds.map((d) => [d.line, d.col, d.length, d.message])).toEqual([
      [2, 3, 3, `undefined symbol 'lop'; did you mean 'loop'?`],
      [3, 13, 3, `undefined symbol 'lop'; did you mean 'loop'?`],
    ]);
  });

  test('a constant whose value fails is reported at its definition, not at each use', () => {
    const ds = errors('K = missing + 1\n.data\n.word K\n.word K');
    expect(ds.map((d) => [d.line, d.message])).toEqual([[1, `undefined symbol 'missing'`]]);
  });
});
