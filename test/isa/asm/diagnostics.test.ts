import { describe, expect, test } from 'vitest';
import { formatDiagnostic, summarize, type Diagnostic } from '../../../isa/asm/index.js';
import { errors, ok, oneError } from './support.js';

describe('exact diagnostics: file:line:col, the line, a caret under the fault', () => {
  test.each([
    ['ad a0, a1, a2', `test.s:1:1: error: unknown instruction 'ad'; did you mean 'add'?`, '^~'],
    ['  add a0, 5, a1', `test.s:1:11: error: expected a register, found '5'`, '          ^'],
    ['addi a0, a0, 70000', 'test.s:1:14: error: immediate 70000 does not fit in 16 signed bits (-32768..32767)', '             ^~~~~'],
    ['addi a0, a0', `test.s:1:1: error: 'addi' takes 3 operands (rd, rs1, imm), found 2`, '^~~~~~~~~~~'],
    ['add a0, a1, a2, a3', `test.s:1:17: error: 'add' takes 3 operands (rd, rs1, rs2), found 4`, '                ^~'],
    ['j lop\nloop:', `test.s:1:3: error: undefined symbol 'lop'; did you mean 'loop'?`, '  ^~~'],
    ['beq a0, a1, 0x1000 + 140000', 'test.s:1:13: error: branch target is 140000 bytes away; a branch reaches ±128 KiB', '            ^~~~~~~~~~~~~~~'],
    ['addi a0, a0, a1', `test.s:1:14: error: expected an immediate, found register 'a1'`, '             ^~'],
    ['lw a0, 4(a9)', `test.s:1:10: error: expected a base register in parentheses, found 'a9'; did you mean 'a0'?`, '         ^~'],
    ['csrw stauts, a0', `test.s:1:6: error: unknown CSR 'stauts'; did you mean 'status'?`, '     ^~~~~~'],
    ['add a0,, a1', `test.s:1:8: error: missing operand before ','`, '       ^'],
    ['add a0, a1,', `test.s:1:12: error: missing operand after ','`, '           ^'],
    ['word 4', `test.s:1:1: error: unknown instruction 'word'; did you mean '.word'?`, '^~~~'],
    ['mul a0, a1, a2 ; ok\n.data\n.word 1 +', 'test.s:3:10: error: expected a value, found the end of the operand', '         ^'],
  ])('%s', (source, head, caret) => {
    const text = oneError(source);
    const lines = text.split('\n');
    expect(lines[0]).toBe(head);
    expect(lines[1]).toBe(source.split('\n')[Number(/:(\d+):/.exec(head)![1]) - 1]);
    expect(lines[2]).toBe(caret);
  });

  test('tabs in the line are kept in the caret line so it lines up', () => {
    expect(oneError('\taddi\ta0, a0,\t99999').split('\n')[2]).toBe('\t    \t       \t^~~~~');
  });
});

describe('every error is reported, in order of appearance', () => {
  test('errors from both passes come out in line order', () => {
    const source = [
      'start:',
      '  j nowhere',        // pass 2: undefined
      '  ad a0, a0, a0',    // pass 1: unknown instruction
      '  sw a0, 40000(sp)', // pass 2: range
      '  addi a0, a0',      // pass 1: operand count
      '  li a0, 1 / 0',     // pass 1 and 2 would both see it: reported once
    ].join('\n');
    const ds = errors(source);
    expect(ds.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      `2:5 undefined symbol 'nowhere'`,
      `3:3 unknown instruction 'ad'; did you mean 'add'?`,
      '4:10 offset 40000 does not fit in 16 signed bits (-32768..32767)',
      `5:3 'addi' takes 3 operands (rd, rs1, imm), found 2`,
      `6:14 division by zero: the right side of '/' is 0`,
    ]);
  });

  test('a broken line keeps its size, so later addresses and branches stay right', () => {
    const ds = errors('ad a0, a0, a0\nli a0, %\nj there\nthere: beq a0, a0, 0x1000');
    expect(ds.map((d) => d.line)).toEqual([1, 2]);
  });

  test('two bad operands on one line are both reported', () => {
    expect(errors('add 1, a0, 2').map((d) => d.col)).toEqual([5, 12]);
  });
});

describe('formatDiagnostic', () => {
  const d: Diagnostic = {
    file: 'p.s', line: 3, col: 5, length: 3, severity: 'warning', message: 'something odd',
    sourceLine: '    foo bar', notes: ['in expansion of macro `m` at p.s:9:1', 'a note with no place', 'in file included from q.s:1:1'],
  };

  test('plain', () => {
    expect(formatDiagnostic(d)).toBe([
      'p.s:3:5: warning: something odd',
      '    foo bar',
      '    ^~~',
      'p.s:9:1: note: in expansion of macro `m`',
      'p.s:3:5: note: a note with no place',
      'q.s:1:1: note: in file included from here',
    ].join('\n'));
  });

  test('colour only on the severity and the caret', () => {
    const out = formatDiagnostic({ ...d, severity: 'error', notes: ['x at p.s:1:1'] }, true);
    expect(out).toBe('p.s:3:5: \x1b[1;31merror:\x1b[0m something odd\n    foo bar\n    \x1b[1;32m^~~\x1b[0m\np.s:1:1: note: x');
    expect(formatDiagnostic(d, true)).toContain('\x1b[1;35mwarning:\x1b[0m');
  });

  test('no source line, no caret', () => {
    expect(formatDiagnostic({ ...d, sourceLine: '', notes: [] })).toBe('p.s:3:5: warning: something odd');
  });

  test('summary line', () => {
    expect(summarize([{ ...d, severity: 'error' }, { ...d, severity: 'error' }])).toBe('2 errors');
    expect(summarize([{ ...d, severity: 'error' }, d])).toBe('1 error, 1 warning');
  });
});

describe('warnings do not stop the image', () => {
  const warnings = (source: string): string[] => ok(source).warnings.map((w) => `${w.line}:${w.col} ${w.message}`);

  test('CSR accesses that can only trap', () => {
    expect(warnings('csrr a0, 99\ncsrw time, a0\ncsrr a0, time\ncsrs ip, a1')).toEqual([
      `1:10 CSR 99 does not exist on this machine; 'csrr' of it traps as an illegal instruction`,
      `2:6 CSR 'time' is read-only; 'csrw' writes it, which traps as an illegal instruction`,
      `4:6 CSR 'ip' is read-only; 'csrs' writes it, which traps as an illegal instruction`,
    ]);
  });

  test('a .word or .half that is not naturally aligned', () => {
    expect(warnings('.data\n.byte 1\n.half 2\n.word 3\n.align 4\n.word 4')).toEqual([
      `3:1 '.half' at 0x00001001 is not 2-byte aligned, so loading it traps; put '.align 2' before it`,
      `4:1 '.word' at 0x00001003 is not 4-byte aligned, so loading it traps; put '.align 4' before it`,
    ]);
  });
});

describe('values pass 1 needs say why they came too late', () => {
  test.each([
    ['.space end - 0x1000\nend:', 8, `the '.space' size must be known when this line is reached, but 'end' is defined further down`],
    ['.align 1f\n1:', 8, `the '.align' boundary must be known when this line is reached, but '1f' refers forward`],
    ['.data\nd: .byte 1\n.text\n.space d', 8, `the '.space' size must be known when this line is reached, but 'd' is in .data, whose address is settled only after pass 1 (give .data an '.org' to fix it)`],
    ['.space undefined_thing', 8, `undefined symbol 'undefined_thing'`],
  ])('%s', (source, col, message) => {
    const ds = errors(source);
    expect(ds.map((d) => [d.col, d.message])).toEqual([[col, message]]);
  });

  test('a data label is fine in .space once .data has an .org', () => {
    const r = ok('.data\n.org 0x8000\nd: .byte 1\n.text\n.space d - 0x7ff0');
    expect(r.image.sections[0]!.size).toBe(16);
  });
});
