import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import { writeImage } from '../../../isa/image.js';
import { files } from './support.js';

// Fragments that make up assembly-looking text, good and bad.
const FRAGMENTS = [
  'add', 'addi', 'li', 'la', 'push', 'pop', 'beq', 'jal', 'j', 'csrw', 'lw', 'sw', 'tlbflush', 'nop', 'ret', 'syscall',
  'a0', 'sp', 'r15', 'zero', 'status', 'x', 'loop', '.loop', 'main.loop', '1b', '1f', '1', '0x10', '-', '+', '*', '/', '%',
  '<<', '>>>', '(', ')', ',', ':', '=', '.', 'hi(', 'lo(', '"s\\n"', "'c'", "'", '"', '\\', '\\@', '\\p', ';', '#', ' ', '\t',
  '.text', '.data', '.bss', '.org', '.align', '.word', '.half', '.byte', '.ascii', '.asciz', '.space', '.equ', '.entry',
  '.global', '.include', '"inc.s"', '.macro', 'm p', '.endm', 'm', '99999', '0x7fffffff', '-0x80000000', '0b', '1_0', 'é', '\u{1F600}',
];

const line = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 10 }).map((parts) => parts.join(' '));
const program = fc.array(line, { maxLength: 25 }).map((lines) => lines.join('\n'));

describe('robustness: any input gives diagnostics, never an exception', () => {
  test('random programs from assembly fragments', () => {
    fc.assert(
      fc.property(program, (source) => {
        const r = assemble(source, { filename: 'fuzz.s', readFile: files({ 'inc.s': source.slice(0, 200) }) });
        const lines = source.split('\n');
        const ds = r.ok ? r.warnings : r.diagnostics;
        for (const d of ds) {
          expect(d.col).toBeGreaterThanOrEqual(1);
          expect(d.length).toBeGreaterThanOrEqual(1);
          if (d.file === 'fuzz.s') expect(d.sourceLine).toBe(lines[d.line - 1]);
        }
        if (!r.ok) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
        // What the assembler accepts, the image writer accepts too.
        else expect(() => writeImage(r.image)).not.toThrow();
      }),
      { numRuns: 400 },
    );
  });

  test('arbitrary unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (source) => {
        expect(() => assemble(source, { filename: 'u.s', readFile: files({}) })).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  test('an empty program assembles to an empty image', () => {
    const r = assemble('', { filename: 'e.s' });
    expect(r).toMatchObject({ ok: true, image: { entry: 0x1000, sections: [], symbols: [] }, warnings: [] });
  });
});
