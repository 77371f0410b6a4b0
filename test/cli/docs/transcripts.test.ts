/**
 * The README's console transcripts are what the commands print today
 * (cli/docs/transcripts.ts regenerates them: `npm run docs`), and the
 * script's own pieces do what its header says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { type Daemon, toReal, toShown } from '../../../cli/docs/daemons.js';
import { findBlocks, keepLines, normalise, parseDaemons, parseKeep, regenerate } from '../../../cli/docs/transcripts.js';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('README transcripts', () => {
  test('every marked transcript matches what its command prints now (up to timings and ports)', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(findBlocks(readme).filter((b) => b.kind === 'transcript').length).toBeGreaterThanOrEqual(8);
    const { drifted } = regenerate(readme);
    expect(drifted.map((d) => `$ ${d.command}\n--- README\n${d.readme}\n--- now\n${d.now}`)).toEqual([]);
  }, 180_000);
});

describe('the transcript script', () => {
  test('markers: file and transcript blocks, with a line selection', () => {
    const md = ['x', '<!-- file: a.s -->', '```asm', 'nop', '```', '<!-- transcript: typevisor run a.s (lines 1-2, last 1) -->', '```console', 'old', '```'].join('\n');
    const blocks = findBlocks(md);
    expect(blocks.map((b) => [b.kind, b.what, b.body])).toEqual([['file', 'a.s', 'nop'], ['transcript', 'typevisor run a.s', 'old']]);
    expect(blocks[1]!.keep).toEqual([{ from: 1, to: 2 }, { last: 1 }]);
    expect(() => findBlocks('<!-- transcript: x -->\nnot a fence')).toThrow(/right before a fenced block/);
    expect(() => parseKeep('first 3')).toThrow(/give N, A-B or last N/);
  });

  test('kept lines: "…" for each gap, at the end too', () => {
    const lines = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(keepLines(lines, undefined)).toEqual(lines);
    expect(keepLines(lines, parseKeep('1-2, last 1'))).toEqual(['a', 'b', '…', 'f']);
    expect(keepLines(lines, parseKeep('2, 4'))).toEqual(['…', 'b', '…', 'd', '…']);
  });

  test('normalisation forgives timings, rates and ports, and nothing else', () => {
    expect(normalise('wall time     1.06 ms')).toBe(normalise('wall time   12.5 ms'));
    expect(normalise('MIPS          0.01')).toBe(normalise('MIPS 3.75'));
    expect(normalise('(12.5 MIPS)')).toBe(normalise('(1.0 MIPS)'));
    expect(normalise('on 127.0.0.1:7480')).toBe(normalise('on 127.0.0.1:39211'));
    expect(normalise('bandwidth 500 KB/s')).toBe(normalise('bandwidth 32 MB/s'));
    expect(normalise('instructions  10')).not.toBe(normalise('instructions  11'));
    expect(normalise('ra=0x00001284')).not.toBe(normalise('ra=0x000012ec'));
    expect(normalise('status 0')).not.toBe(normalise('status 1'));
  });
});

describe('daemons markers', () => {
  test('a daemons marker names daemons and their README ports, or stops them', () => {
    const md = ['<!-- daemons: A=7480 B=7481 -->', '<!-- transcript: typevisor vm list -->', '```console', '```', '<!-- daemons: stop -->'].join('\n');
    const blocks = findBlocks(md);
    expect(blocks.map((b) => b.kind)).toEqual(['daemons', 'transcript', 'daemons']);
    expect([...blocks[0]!.daemons!]).toEqual([['A', 7480], ['B', 7481]]);
    expect(blocks[2]!.daemons!.size).toBe(0);
    expect(() => parseDaemons('A=70000')).toThrow(/NAME=PORT/);
    expect(() => parseDaemons('A:7480')).toThrow(/NAME=PORT/);
  });

  test('README addresses map to the real ones and back, whatever the ports', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1024, max: 65535 }), fc.integer({ min: 1024, max: 65535 }), (ra, rb) => {
        fc.pre(ra !== rb && ![7480, 7481].includes(ra) && ![7480, 7481].includes(rb) && !String(rb).startsWith(String(ra)) && !String(ra).startsWith(String(rb)));
        const ds: Daemon[] = [
          { name: 'A', pid: 0, shown: '127.0.0.1:7480', real: `127.0.0.1:${ra}` },
          { name: 'B', pid: 0, shown: '127.0.0.1:7481', real: `127.0.0.1:${rb}` },
        ];
        const cmd = 'typevisor migrate web --to 127.0.0.1:7481';
        expect(toReal(cmd, ds)).toBe(`typevisor migrate web --to 127.0.0.1:${rb}`);
        const out = `started web on 127.0.0.1:${ra}\n127.0.0.1:${rb} accepted web`;
        expect(toShown(out, ds)).toBe('started web on 127.0.0.1:7480\n127.0.0.1:7481 accepted web');
      }),
    );
  });
});
