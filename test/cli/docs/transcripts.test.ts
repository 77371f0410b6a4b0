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
import { findBlocks, keepLines, maskVarying, normalise, parseDaemons, parseKeep, parseOptions, regenerate, sessionCommands } from '../../../cli/docs/transcripts.js';
import { drive, dueEvents } from '../../../cli/docs/drive.js';
import { REPO_ROOT } from '../../helpers/cli.js';

describe('README transcripts', () => {
  // The (slow) blocks — migrations, disks, snapshots: host time decides what
  // they print, and they take minutes — are checked by `npm run docs:check -- --all`.
  test('every marked transcript but the slow ones matches what its command prints now (up to timings, ports and its declared vary)', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(findBlocks(readme).filter((b) => b.kind === 'transcript').length).toBeGreaterThanOrEqual(8);
    const { drifted } = regenerate(readme, { all: false });
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

describe('sessions, vary and events', () => {
  test('options: lines, vary, ctrl-c, kill and slow, in any order; anything else that looks like one is refused', () => {
    const o = parseOptions('typevisor migrate web --to 127.0.0.1:7481 (slow) (ctrl-c after: phase pre-copy) (vary: round, total, INSTRUCTIONS) (lines 1-3)');
    expect(o).toEqual({
      what: 'typevisor migrate web --to 127.0.0.1:7481',
      keep: [{ from: 1, to: 3 }],
      vary: ['round', 'total', 'INSTRUCTIONS'],
      events: [{ action: 'ctrl-c', after: 'phase pre-copy' }],
      slow: true,
    });
    expect(parseOptions('x (kill %2 after: phase post-copy)').events).toEqual([{ action: 'kill', daemon: '%2', after: 'phase post-copy' }]);
    expect(parseOptions('echo (hello)').what).toBe('echo (hello)');
    expect(() => parseOptions('x (kill after: y)')).toThrow(/kill NAME after: TEXT/);
    expect(() => parseOptions('x (slow down)')).toThrow(/takes nothing/);
  });

  test('a session marker takes its commands from the block; run markers are lines of their own', () => {
    const md = ['<!-- run: touch x -->', '<!-- session (vary: pid) -->', '```console', '$ echo a', 'a', '$ export X=1', '```'].join('\n');
    const blocks = findBlocks(md);
    expect(blocks.map((b) => b.kind)).toEqual(['run', 'session']);
    expect(blocks[1]!.vary).toEqual(['pid']);
    expect(sessionCommands(blocks[1]!.body)).toEqual(['echo a', 'export X=1']);
    expect(() => findBlocks(['<!-- session -->', '```console', 'no commands', '```'].join('\n'))).toThrow(/needs its commands/);
    expect(() => findBlocks(['<!-- session (lines 1) -->', '```console', '$ echo', '```'].join('\n'))).toThrow(/marker of its own/);
  });

  test('a vary field masks every number after its label on its lines, whatever the numbers, and no other line', () => {
    const nat = fc.nat({ max: 10_000_000 });
    fc.assert(
      fc.property(nat, nat, nat, nat, (a, b, c, d) => {
        const text = (x: number, y: number): string => `round ${x}: ${y} pages sent, ${x + 1} MiB\nstatus 7`;
        expect(normalise(text(a, b), ['round'])).toBe(normalise(text(c, d), ['round']));
        if (b !== d) expect(normalise(`round ${a}\nstatus ${b}`, ['round'])).not.toBe(normalise(`round ${c}\nstatus ${d}`, ['round']));
      }),
    );
  });

  test('varying counts of alike lines and of numbers in a row count once; a different word still drifts', () => {
    const three = 'round 0: 1024 pages sent\nround 1: 129 pages sent\nround 2: 30 pages sent\nrounds 1024 129 30*';
    const two = 'round 0: 1024 pages sent\nround 1: 15 pages sent\nrounds 1024 15*';
    expect(normalise(three, ['round'])).toBe(normalise(two, ['round']));
    expect(normalise(three)).not.toBe(normalise(two));
    expect(normalise('converged yes', ['converged'])).not.toBe(normalise('converged no', ['converged']));
    expect(normalise('dirty rate (pages/s)   —', ['dirty rate'])).toBe(normalise('dirty rate (pages/s)   514', ['dirty rate']));
    expect(normalise('remote faults —')).not.toBe(normalise('remote faults 3'));
  });

  test('a vary column masks the number under its header in the rows below it, not the other columns', () => {
    const table = (n: number, mem: number): string[] => ['NAME  MEMORY  INSTRUCTIONS  NOTE', `web   ${mem} MiB  ${String(n).padStart(12)}  restarted 3`, '', 'after 5'];
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        expect(normalise(table(a, 4).join('\n'), ['INSTRUCTIONS'])).toBe(normalise(table(b, 4).join('\n'), ['INSTRUCTIONS']));
      }),
    );
    expect(maskVarying(table(1, 4), ['INSTRUCTIONS'])[1]).toBe(`web   4 MiB  ${' '.repeat(11)}#  restarted 3`);
    expect(maskVarying(table(1, 4), ['INSTRUCTIONS'])).not.toEqual(maskVarying(table(1, 8), ['INSTRUCTIONS']));
  });

  test('events fire once each, on a whole line that contains their text', () => {
    const events = [{ action: 'ctrl-c' as const, after: 'phase pre-copy' }];
    expect(dueEvents('phase setup\nphase pre-co', events, new Set())).toEqual([]);
    expect(dueEvents('phase setup\nphase pre-copy\n', events, new Set())).toEqual([0]);
    expect(dueEvents('phase setup\nphase pre-copy\n', events, new Set([0]))).toEqual([]);
  });

  test('Ctrl-C reaches the whole foreground job once the line appears, and shows as ^C', async () => {
    const out = await drive({
      command: `trap 'echo interrupted; exit 130' INT; echo ready; while :; do sleep 0.05; done`,
      events: [{ action: 'ctrl-c', after: 'ready' }],
      timeoutMs: 20_000,
    });
    expect(out).toBe('ready\n^Cinterrupted\n');
  }, 30_000);

  test('a session runs its commands in one folder: export lasts, serve & starts a daemon, kill %1 stops it', () => {
    const md = [
      '<!-- session (vary: pid) -->',
      '```console',
      '$ export GREETING=hello',
      '$ echo "$GREETING" > g.txt; cat g.txt',
      '$ typevisor serve --listen 127.0.0.1:7499 &',
      '$ typevisor vm list --connect 127.0.0.1:7499',
      '$ kill -9 %1',
      '```',
    ].join('\n');
    const { markdown } = regenerate(md);
    const body = markdown.split('\n').slice(2, -1);
    expect(body[0]).toBe('$ export GREETING=hello');
    expect(body.slice(1, 3)).toEqual(['$ echo "$GREETING" > g.txt; cat g.txt', 'hello']);
    expect(body[3]).toBe('$ typevisor serve --listen 127.0.0.1:7499 &');
    expect(body[4]).toMatch(/^typevisor daemon listening on 127\.0\.0\.1:7499 \(pid \d+,/);
    expect(body.slice(5)).toEqual(['$ typevisor vm list --connect 127.0.0.1:7499', 'no VMs (start one: typevisor vm start KERNEL)', '$ kill -9 %1']);
  }, 60_000);

  test('a second terminal: background, typed input and its later output', () => {
    const md = [
      '<!-- ports: 7000 -->',
      '<!-- transcript: sh -c \'echo up; read x; echo done\' (background t until: up) -->',
      '```console',
      '```',
      '<!-- transcript: cat (type: one | two) -->',
      '```console',
      '```',
      '<!-- output: t (vary: done) -->',
      '```console',
      '```',
    ].join('\n');
    const blocks = findBlocks(md);
    expect(blocks.map((b) => b.kind)).toEqual(['ports', 'transcript', 'transcript', 'output']);
    expect(blocks[1]!.background).toEqual({ name: 't', until: 'up' });
    expect(blocks[2]!.input).toEqual(['one', 'two']);
    expect(blocks[3]!.vary).toEqual(['done']);
    const { markdown } = regenerate(md);
    // The background command's input is empty: it reads end of file and goes on.
    expect(markdown.split('\n').filter((l) => !l.startsWith('<!--') && !l.startsWith('```'))).toEqual([
      "$ sh -c 'echo up; read x; echo done'",
      'up',
      '$ cat',
      'one',
      'one',
      'two',
      'two',
      'done',
    ]);
    expect(() => regenerate(['<!-- output: nobody -->', '```console', '```'].join('\n'))).toThrow(/no background terminal/);
  }, 60_000);
});
