/**
 * `typevisor debug` with the gdb commands it shares with the kernel debugger
 * (conditional and temporary breakpoints, finish, until, display, x/NFU),
 * driven through the real command with a script on stdin.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tv-debug-gdb-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** square(n) for n = 1..LIMIT summed into `total`, through a call; exit with the sum. */
const PROG = `; sum of squares
_start:
    li   s0, 0
    li   s1, 1
loop:
    mv   a0, s1
    call square
back:
    add  s0, s0, a0
    la   t1, total
    sw   s0, 0(t1)
    addi s1, s1, 1
    li   t2, 2001
    bne  s1, t2, loop
    li   t0, 1
    andi a0, s0, 0xff
    syscall
square:
    push ra
    mul  a0, a0, a0
    pop  ra
    ret
.data
total: .word 0
`;

const debug = (commands: readonly string[]) => {
  const file = join(tmp, 'squares.s');
  writeFileSync(file, PROG);
  return runCli(['debug', file], { input: commands.map((c) => `${c}\n`).join('') });
};

/** The lines a command printed: after its echo, up to the next prompt. */
function after(stdout: string, command: string, nth = 0): string[] {
  const lines = stdout.split('\n');
  let at = -1;
  for (let i = 0, seen = 0; i < lines.length; i++) if (lines[i] === `(tvdb) ${command}` && seen++ === nth) at = i;
  if (at < 0) throw new Error(`no '${command}' in:\n${stdout}`);
  const out: string[] = [];
  for (let i = at + 1; i < lines.length && !lines[i]!.startsWith('(tvdb) '); i++) out.push(lines[i]!);
  return out;
}

describe('typevisor debug: gdb commands', () => {
  test('break ... if in a loop of 2000 calls stops on the round the condition names; finish returns from the call', () => {
    const r = debug(['break square if a0 == 1500', 'continue', 'print a0', 'finish', 'print/d a0', 'x/1dw total', 'quit']);
    expect(r.stderr).toBe('');
    expect(after(r.stdout, 'continue')[0]).toBe('breakpoint 1 hit (1 time)');
    expect(after(r.stdout, 'print a0')).toEqual(['0x000005dc  1500  1500']);
    const fin = after(r.stdout, 'finish');
    expect(fin[0]).toMatch(/^run till exit from square, back to back \(0x[0-9a-f]{8}\)$/);
    expect(fin.at(-1)).toMatch(/^stopped at back \(0x[0-9a-f]{8}\): add s0, s0, a0/);
    expect(after(r.stdout, 'print/d a0')).toEqual(['2250000']);
    // total holds 1² + … + 1499².
    const sum = (1499 * 1500 * 2999) / 6;
    expect(after(r.stdout, 'x/1dw total')[0]).toMatch(new RegExp(`<total>:  ${sum | 0}$`));
  });

  test('tbreak stops once; display shows at each stop', () => {
    const r = debug(['tbreak back', 'display s1', 'continue', 'continue', 'quit']);
    expect(r.stderr).toBe('');
    expect(after(r.stdout, 'display s1')).toEqual(['1: s1 = 0x00000000 (0)']);
    const first = after(r.stdout, 'continue', 0);
    expect(first[0]).toBe('temporary breakpoint 1 hit (now deleted)');
    expect(first.at(-1)).toBe('1: s1 = 0x00000001 (1)');
    // Gone: the second continue runs to the exit (the sum of squares to 2000, low byte).
    const sum = (2000 * 2001 * 4001) / 6;
    expect(after(r.stdout, 'continue', 1)).toEqual([`program exited with status ${sum & 0xff}`]);
    expect(r.status).toBe(sum & 0xff);
  });

  test('until stops at its place, before the program ends', () => {
    const r = debug(['until back+24', 'print s1', 'quit']);
    expect(after(r.stdout, 'until back+24')[0]).toMatch(/^stopped at back\+0x18 \(0x[0-9a-f]{8}\): bne s1, t2, loop/);
    expect(after(r.stdout, 'print s1')).toEqual(['0x00000002  2  2']);
  });

  test('malformed uses of the new commands get one line each, and the session goes on', () => {
    const r = debug(['x/4q sp', 'break square if', 'break square if a0 ==', 'until', 'print/z 1', 'finish now', 'undisplay 7', 'quit']);
    expect(r.stderr).toBe('');
    expect(after(r.stdout, 'x/4q sp')).toEqual(["x: bad format '/4q': give /NFU — N a count, F one of x d u c s i, U one of b h w (e.g. x/4xw sp)"]);
    expect(after(r.stdout, 'break square if')).toHaveLength(1);
    expect(after(r.stdout, 'break square if a0 ==')[0]).toMatch(/^break: the condition: /);
    expect(after(r.stdout, 'print/z 1')).toEqual(["print: bad format '/z': one of x d u c"]);
    expect(after(r.stdout, 'finish now')).toEqual(['finish takes no arguments']);
    expect(after(r.stdout, 'undisplay 7')).toEqual(["undisplay: there is no display '7'"]);
    expect(r.stdout).not.toMatch(/internal error|at .*\.js:\d+/);
  });
});
