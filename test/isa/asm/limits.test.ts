/**
 * Inputs built to exhaust the assembler: huge lines, deep or long
 * expressions, runaway macros and includes, files that never end. Each must
 * assemble or be refused with a diagnostic at the line at fault, quickly —
 * never a JS stack overflow, never a hang.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assembleFile, formatDiagnostic, formatListing, type ListingEntry } from '../../../isa/asm/index.js';
import { errors, files, ok, oneError, section } from './support.js';

// Before these limits existed, several of these cases ran for minutes; a
// bounded timeout makes them fail instead of stalling the run.
const BOUNDED = 10_000;

describe('data is handled without spreading it into one call', () => {
  test('a 130 KB .ascii string assembles', () => {
    const text = 'abcdefghijklm'.repeat(10_000);
    const data = section(ok(`.data\n.ascii "${text}"\n.asciz "${text}"`).image, '.data').data;
    expect(data.length).toBe(2 * text.length + 1);
    expect(new TextDecoder().decode(data.subarray(0, text.length))).toBe(text);
    expect(data[data.length - 1]).toBe(0);
  }, BOUNDED);

  test('a listing of 200k entries is formatted', () => {
    // Macro calls that emitted nothing: the cheapest entries to format, so the test is about the count.
    const listing: ListingEntry[] = Array.from({ length: 200_000 }, (_, i) => ({ addr: 0x1000, bytes: new Uint8Array(0), file: 'big.s', line: i + 1, source: ' m', expansion: [] }));
    const text = formatListing(listing);
    expect(text.split('\n').length).toBeGreaterThanOrEqual(200_000);
  }, BOUNDED);
});

describe('expressions: nesting is limited, long chains are not', () => {
  const head = (source: string): string => oneError(source).split('\n')[0]!;

  test('100k nested parentheses are refused at the first one too deep', () => {
    const n = 100_000;
    // `.word ` is 6 columns; the 257th '(' is at column 7 + 256.
    expect(head(`.word ${'('.repeat(n)}1${')'.repeat(n)}`)).toBe(`test.s:1:263: error: expressions nest more than 256 deep`);
  }, BOUNDED);

  test('256 nested parentheses are fine', () => {
    expect(section(ok(`.data\n.word ${'('.repeat(256)}7${')'.repeat(256)}`).image, '.data').data[0]).toBe(7);
  }, BOUNDED);

  test('100k unary operators and 100k nested hi() are refused the same way', () => {
    expect(head(`.word ${'-'.repeat(100_000)}1`)).toBe(`test.s:1:263: error: expressions nest more than 256 deep`);
    expect(head(`.word ${'lo('.repeat(100_000)}1${')'.repeat(100_000)}`)).toMatch(/^test\.s:1:\d+: error: expressions nest more than 256 deep$/);
  }, BOUNDED);

  test('a flat 300k-term sum assembles', () => {
    const data = section(ok(`.data\n.word ${Array(300_000).fill('1').join('+')}`).image, '.data').data;
    expect(new DataView(data.buffer, data.byteOffset).getUint32(0, true)).toBe(300_000);
  }, BOUNDED);

  test('a flat chain mixing precedences assembles', () => {
    const data = section(ok(`.data\n.word ${Array(100_000).fill('2*3-5').join('+')}`).image, '.data').data;
    expect(new DataView(data.buffer, data.byteOffset).getUint32(0, true)).toBe(100_000);
  }, BOUNDED);

  test('an unknown symbol deep in a long chain still names the symbol', () => {
    const ds = errors(`.word ${Array(200_000).fill('1').join('+')}+nope`);
    expect(ds).toHaveLength(1);
    expect(ds[0]!.message).toBe(`undefined symbol 'nope'`);
  }, BOUNDED);
});

describe('constants defined through one another', () => {
  const chain = (n: number, usedFirst: boolean): string => {
    const defs = Array.from({ length: n }, (_, i) => (i === 0 ? 'c0 = 1' : `c${i} = c${i - 1} + 1`));
    const use = `.data\n.word c${n - 1}`;
    return usedFirst ? [use, ...defs.reverse()].join('\n') : [...defs, use].join('\n');
  };

  test('20000 constants each defined from the one before assemble', () => {
    const data = section(ok(chain(20_000, false)).image, '.data').data;
    expect(new DataView(data.buffer, data.byteOffset).getUint32(0, true)).toBe(20_000);
  }, BOUNDED);

  test('20000 of them used before they are defined are refused with diagnostics, not a stack overflow', () => {
    const ds = errors(chain(20_000, true));
    expect(ds.length).toBeGreaterThan(0);
    expect(formatDiagnostic(ds[0]!).split('\n')[0]).toBe('test.s:514:10: error: expressions and the constants they use nest more than 1024 deep');
  }, BOUNDED);
});

describe('macros: an expansion budget', () => {
  /** m0 is one line; each m(k) calls m(k-1) twice. */
  const chain = (depth: number): string => {
    const lines = ['.macro m0', ' nop', '.endm'];
    for (let k = 1; k <= depth; k++) lines.push(`.macro m${k}`, ` m${k - 1}`, ` m${k - 1}`, '.endm');
    lines.push(`main: m${depth}`);
    return lines.join('\n');
  };

  test('a chain that doubles 39 times is refused at the call that runs past the budget', () => {
    const ds = errors(chain(39), { limits: { lines: 10_000 } });
    expect(ds).toHaveLength(1);
    const d = ds[0]!;
    // Reported at the call being expanded when the budget ran out (a call in a macro body), with a note for every call around it.
    expect(formatDiagnostic(d).split('\n')[0]).toMatch(/^test\.s:\d+:2: error: expanding macro `m\d+` here goes past the budget of 10000 lines read \(included and embedded files, and macro expansions\); is there a runaway macro\?$/);
    expect(d.notes![d.notes!.length - 1]).toBe(`in expansion of macro \`m39\` at test.s:${3 + 4 * 39 + 1}:7`);
  }, BOUNDED);

  test('within the budget the chain assembles', () => {
    expect(section(ok(chain(10), { limits: { lines: 10_000 } }).image, '.text').size).toBe(4 * 1024);
  }, BOUNDED);

  test('a macro that doubles its argument at every call is refused when the line grows past the limit', () => {
    const ds = errors('.macro m a\n m \\a\\a\n.endm\n m x');
    expect(ds).toHaveLength(1);
    expect(formatDiagnostic(ds[0]!).split('\n')[0]).toBe('test.s:2:2: error: macro `m` expands to a line of 1048579 characters here, more than the limit of 1048576');
  }, BOUNDED);

  test('the text budget stops many long expansions', () => {
    const source = `.macro big\n .ascii "${'x'.repeat(1000)}"\n.endm\n.data\n${' big\n'.repeat(200)}`;
    const ds = errors(source, { limits: { bytes: 100_000 } });
    expect(ds).toHaveLength(1);
    expect(ds[0]!.message).toBe('expanding macro `big` here goes past the budget of 100000 characters read (included and embedded files, and macro expansions); is there a runaway macro?');
    expect(ds[0]!.line).toBe(5 + 99);
  }, BOUNDED);
});

describe('the budget covers the program itself and what it embeds', () => {
  test("the program's own lines are not counted: its size is the caller's to choose", () => {
    expect(section(ok(' nop\n'.repeat(10), { limits: { lines: 5 } }).image, '.text').size).toBe(40);
  }, BOUNDED);

  test('an embedded program longer than the line budget is refused at its first line past it', () => {
    const ds = errors('.data\n.image "p.s"', { readFile: files({ 'p.s': ' nop\n'.repeat(10) }), limits: { lines: 5 } });
    expect(ds.map((d) => formatDiagnostic(d).split('\n')[0])).toEqual(['p.s:6:1: error: embedding this program goes past the budget of 5 lines read (included and embedded files, and macro expansions)']);
  }, BOUNDED);

  test('a program embedded with .image spends the same budget', () => {
    const chain = ['.macro m0', ' nop', '.endm'];
    for (let k = 1; k <= 30; k++) chain.push(`.macro m${k}`, ` m${k - 1}`, ` m${k - 1}`, '.endm');
    chain.push(' m30');
    const ds = errors('.data\n.image "p.s"', { readFile: files({ 'p.s': chain.join('\n') }), limits: { lines: 10_000 } });
    expect(ds).toHaveLength(1);
    expect(ds[0]!.file).toBe('p.s');
    expect(ds[0]!.message).toMatch(/^expanding macro `m\d+` here goes past the budget of 10000 lines read/);
    expect(ds[0]!.notes![ds[0]!.notes!.length - 1]).toBe(`in program embedded with '.image' at test.s:2:1`);
  }, BOUNDED);
});

describe('includes: the budget, regular files only, a size limit', () => {
  test('files that include the next one twice, 30 deep, are refused at the include past the budget', () => {
    const map: Record<string, string> = { 'f30.s': 'nop' };
    for (let k = 0; k < 30; k++) map[`f${k}.s`] = `.include "f${k + 1}.s"\n.include "f${k + 1}.s"`;
    const ds = errors('.include "f0.s"', { filename: 'test.s', readFile: files(map), limits: { lines: 10_000 } });
    expect(ds).toHaveLength(1);
    expect(ds[0]!.message).toMatch(/^including 'f\d+\.s' here goes past the budget of 10000 lines read/);
  }, BOUNDED);

  test.each([
    ['/dev/zero', 'a character device'],
    ['/dev/urandom', 'a character device'],
    ['/tmp', 'a directory'],
  ])('.include "%s" is refused: it is %s', (file, what) => {
    expect(oneError(`.include "${file}"`).split('\n')[0]).toBe(`test.s:1:10: error: cannot include '${file}': it is ${what}, not a regular file`);
  }, BOUNDED);

  test('.incbin of a device is refused the same way', () => {
    expect(oneError(`.data\n.incbin "/dev/zero"`).split('\n')[0]).toBe(`test.s:2:9: error: cannot read '/dev/zero': it is a character device, not a regular file`);
  }, BOUNDED);

  test('a FIFO is refused without opening it (opening would wait for a writer)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asm-fifo-'));
    execFileSync('mkfifo', [join(dir, 'pipe.s')]);
    const ds = errors('.include "pipe.s"', { filename: join(dir, 'main.s') });
    expect(ds.map((d) => d.message)).toEqual([`cannot include 'pipe.s': it is a FIFO, not a regular file (looked for '${join(dir, 'pipe.s')}')`]);
  }, BOUNDED);

  test('a file larger than the limit is refused, on disk or from readFile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asm-big-'));
    writeFileSync(join(dir, 'big.s'), ' nop\n'.repeat(400));
    const onDisk = errors('.include "big.s"', { filename: join(dir, 'main.s'), limits: { fileSize: 1000 } });
    expect(onDisk.map((d) => d.message)).toEqual([`cannot include 'big.s': it is 2000 bytes, more than the 1000 bytes a file may have (looked for '${join(dir, 'big.s')}')`]);
    const given = errors('.include "big.s"', { readFile: files({ 'big.s': ' nop\n'.repeat(400) }), limits: { fileSize: 1000 } });
    expect(given.map((d) => d.message)).toEqual([`cannot include 'big.s': it is 2000 bytes, more than the 1000 bytes a file may have`]);
  }, BOUNDED);

  test('assembleFile refuses a device as the program itself', () => {
    const r = assembleFile('/dev/zero');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => d.message)).toEqual([`cannot read '/dev/zero': it is a character device, not a regular file`]);
  }, BOUNDED);
});
