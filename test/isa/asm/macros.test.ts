import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../../../isa/asm/index.js';
import { decoded, errors, files, ok, symbol } from './support.js';

describe('macros', () => {
  const push2 = ['.macro push2 a, b', '    addi sp, sp, -8', '    sw \\a, 4(sp)', '    sw \\b, 0(sp)', '.endm'].join('\n');

  test('parameters are replaced by the arguments', () => {
    const ins = decoded(`${push2}\n  push2 ra, s0`);
    expect(ins.map((i) => [i.name, i.rs2, i.imm])).toEqual([['addi', 0, -8], ['sw', 1, 4], ['sw', 12, 0]]);
  });

  test('an argument is the operand text as written, spaces and parentheses included', () => {
    const r = ok('.macro w x\n .word \\x * 2\n.endm\n.data\n w hi(0x12345678) + (1 << 2)');
    // Textual substitution, as in C macros: `hi(…) + (1 << 2) * 2`.
    expect([...r.image.sections[0]!.data]).toEqual([0x3c, 0x12, 0, 0]);
  });

  test('\\@ is unique per expansion, so a macro can make its own labels', () => {
    const src = ['.macro spin r', 'spin\\@: addi \\r, \\r, -1', '  bnez \\r, spin\\@', '.endm', 'spin a0', 'spin a1'].join('\n');
    const r = ok(src);
    expect(r.image.symbols.map((s) => [s.name, s.value])).toEqual([['spin1', 0x1000], ['spin2', 0x1008]]);
    expect(decoded(src).map((i) => i.imm)).toEqual([-1, -4, -1, -4]);
  });

  test('\\() ends a parameter name', () => {
    const r = ok('.macro var n\n\\n\\()_size = 4\n.endm\nvar buf');
    expect(symbol(r.image, 'buf_size')).toBe(4);
  });

  test('escapes in strings stay escapes even when a parameter has that letter as its name', () => {
    const r = ok('.macro say n\n.ascii "\\n", "\\n"\n.byte \\n\n.endm\n.data\nsay 7');
    expect([...r.image.sections[0]!.data]).toEqual([10, 10, 7]);
  });

  test('macros may call macros; a label on the call line labels the first word', () => {
    const src = ['.macro one\n nop\n.endm', '.macro two\n one\n one\n.endm', 'nop', 'here: two'].join('\n');
    expect(decoded(src)).toHaveLength(3);
    expect(symbol(ok(src).image, 'here')).toBe(0x1004);
  });

  test('a macro that shadows an instruction is used, with a warning', () => {
    const r = ok('.macro nop\n add zero, zero, zero\n.endm\nnop');
    expect(r.warnings.map((w) => w.message)).toEqual(["macro `nop` hides the instruction 'nop' from here on"]);
    expect(decoded('.macro nop\n add zero, zero, zero\n.endm\nnop')[0]!.name).toBe('add');
  });

  test('wrong argument count is an error at the call with a note at the definition', () => {
    const ds = errors(`${push2}\n  push2 ra`);
    expect(ds.map((d) => formatDiagnostic(d))).toEqual([[
      'test.s:6:3: error: macro `push2` takes 2 arguments (a, b), found 1',
      '  push2 ra',
      '  ^~~~~~~~',
      'test.s:1:8: note: macro `push2` is defined here',
    ].join('\n')]);
  });

  test('an error inside an expansion points into the macro body and notes the call', () => {
    const ds = errors(`${push2}\nnop\n  push2 5, s0`);
    expect(ds.map((d) => formatDiagnostic(d))).toEqual([[
      `test.s:3:8: error: expected a register, found '5'`,
      '    sw \\a, 4(sp)',
      '       ^~',
      'test.s:7:3: note: in expansion of macro `push2`',
    ].join('\n')]);
  });

  test('errors in nested expansions carry every level', () => {
    const ds = errors(['.macro inner x', ' addi a0, a0, \\x', '.endm', '.macro outer y', ' inner \\y', '.endm', 'outer 99999'].join('\n'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({
      line: 2, col: 15, length: 2,
      message: 'immediate 99999 does not fit in 16 signed bits (-32768..32767)',
      notes: ['in expansion of macro `inner` at test.s:5:2', 'in expansion of macro `outer` at test.s:7:1'],
    });
  });

  test('the same fault in two expansions is two errors', () => {
    const ds = errors('.macro m\n bad\n.endm\nm\nm');
    expect(ds.map((d) => [d.line, d.notes])).toEqual([
      [2, ['in expansion of macro `m` at test.s:4:1']],
      [2, ['in expansion of macro `m` at test.s:5:1']],
    ]);
  });

  test('an unknown \\name in a body is an error at it', () => {
    const ds = errors('.macro m a\n addi \\a, \\b, 1\n.endm\nm a0');
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ line: 2, col: 11, length: 2, message: "'\\b' is not a parameter of macro `m` (parameters: a)" });
  });

  test('definition problems: missing .endm, stray .endm, nesting, redefinition, recursion', () => {
    expect(errors('.macro m\n nop').map((d) => [d.line, d.message])).toEqual([[1, "macro `m` has no '.endm': test.s ends first"]]);
    expect(errors('.endm').map((d) => d.message)).toEqual(["'.endm' without a '.macro' before it"]);
    expect(errors('.macro a\n.macro b\n.endm').map((d) => [d.line, d.message])).toEqual([[2, "a macro cannot be defined inside another macro's body (`.endm` is missing above?)"]]);
    expect(errors('.macro m\n.endm\n.macro m\n.endm')[0]).toMatchObject({ line: 3, message: 'macro `m` is already defined', notes: ['first definition of `m` at test.s:1:8'] });
    expect(errors('.macro r\n r\n.endm\nr')[0]!.message).toBe('macro calls nest more than 64 deep; does `r` call itself?');
    expect(errors('.macro m p, p\n.endm')[0]!.message).toBe(`parameter 'p' is listed twice`);
  });

  test('a misspelt macro name is suggested', () => {
    expect(errors(`${push2}\npushh2 a0, a1`)[0]!.message).toBe(`unknown instruction 'pushh2'; did you mean 'push2'?`);
  });
});

describe('.include', () => {
  test('includes a file relative to the including file', () => {
    const readFile = files({
      'lib/defs.s': '.include "more.s"\nA = 1',
      'lib/more.s': 'B = 2',
    });
    const r = ok('.include "lib/defs.s"\nC = A + B', { filename: 'main.s', readFile });
    expect(r.image.symbols.map((s) => [s.name, s.value])).toEqual([['B', 2], ['A', 1], ['C', 3]]);
  });

  test('macros defined in an included file are usable after it', () => {
    const readFile = files({ 'm.s': '.macro two\n nop\n nop\n.endm' });
    expect(decoded('.include "m.s"\ntwo', { filename: 'p.s', readFile })).toHaveLength(2);
  });

  test('a missing file is an error at the directive', () => {
    const ds = errors('nop\n.include "nope.s"', { filename: 'dir/p.s', readFile: files({}) });
    expect(ds.map((d) => formatDiagnostic(d))).toEqual([[
      `dir/p.s:2:10: error: cannot include 'nope.s': no such file (looked for 'dir/nope.s')`,
      '.include "nope.s"',
      '         ^~~~~~~~',
    ].join('\n')]);
  });

  test('a cycle is an error at the directive that closes it', () => {
    const readFile = files({ 'a.s': '.include "b.s"', 'b.s': 'nop\n.include "a.s"' });
    const ds = errors('.include "a.s"', { filename: 'main.s', readFile });
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({
      file: 'b.s', line: 2, col: 10,
      message: `'a.s' is already being included: the includes form a cycle (a.s → b.s → a.s)`,
      notes: ['in file included from a.s:1:1', 'in file included from main.s:1:1'],
    });
  });

  test('a file including itself is a cycle', () => {
    const ds = errors('.include "main.s"', { filename: 'main.s', readFile: files({ 'main.s': '' }) });
    expect(ds[0]!.message).toBe(`'main.s' is already being included: the includes form a cycle (main.s → main.s)`);
  });

  test('errors inside an included file carry its name and line, and a note at the include', () => {
    const readFile = files({ 'inc.s': 'nop\n  addi a0, a0, 70000\n' });
    const ds = errors('nop\n.include "inc.s"\nbad', { filename: 'main.s', readFile });
    expect(ds.map((d) => formatDiagnostic(d))).toEqual([
      [
        'inc.s:2:16: error: immediate 70000 does not fit in 16 signed bits (-32768..32767)',
        '  addi a0, a0, 70000',
        '               ^~~~~',
        'main.s:2:1: note: in file included from here',
      ].join('\n'),
      [
        `main.s:3:1: error: unknown instruction 'bad'; a label needs a ':' after it`,
        'bad',
        '^~~',
      ].join('\n'),
    ]);
  });

  test('.include wants one quoted name', () => {
    expect(errors('.include lib.s', { readFile: files({}) })[0]!.message).toBe(`'.include' takes a file name in double quotes, found 'lib.s'`);
  });
});
