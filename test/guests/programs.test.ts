/**
 * The guest programs suite: every program under guests/programs/ is assembled
 * and run in the process VM, and must do exactly what its inline
 * expectations say (format: test/guests/expectations.ts, and
 * guests/programs/README.md):
 *
 *   ; expect: TEXT                  a line of stdout; stdout is exactly these lines
 *   ; stdin: TEXT                   a line of stdin
 *   ; args: a b c                   arguments after argv[0] (which is the file name)
 *   ; exit: N                       exit status, default 0 (a fault is 128 + cause)
 *   ; expect-stderr-contains: TEXT  stderr holds TEXT; without this stderr must be empty
 *   ; fs: DIR                       test/fixtures/fs/DIR, copied to a temp dir, is --fs
 *   ; expect-file: NAME TEXT        a line of file NAME in that dir after the run
 *   ; kernel: no                    not for the guest-kernel suite (it needs --fs, …)
 *   ; vm: no                        not for this suite (it needs the guest kernel's devices)
 *
 * In-process, stdin arrives a few bytes per read, so a program that assumes
 * one read gets a whole line fails here. A few programs also run through the
 * real CLI (`typevisor run`, built in dist/) with the same expectations.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { assemble, assembleFile, formatDiagnostic } from '../../isa/asm/index.js';
import type { Image } from '../../isa/image.js';
import { ERRNO, OPEN_FLAGS, SEEK_CUR, SEEK_END, SEEK_SET, SYSCALLS } from '../../isa/syscalls.js';
import { exitCode, ProcessVM, type InputSource, type OutputSink, type ProcessResult } from '../../vm/process/index.js';
import { runCli } from '../helpers/cli.js';
import { ExpectationError, FS_FIXTURES_DIR, INCLUDE_DIR, loadPrograms, parseExpectations, PROGRAMS_DIR, type Expectations } from './expectations.js';

/** No program here needs more; a runaway loop ends as `budget` (exit 124) instead of hanging the suite. */
const MAX_INSTRUCTIONS = 5_000_000;
/** Bytes handed to each read of stdin in-process. */
const STDIN_CHUNK = 5;

const programs = loadPrograms();
const byName = (name: string): Expectations => {
  const p = programs.find((x) => x.name === name);
  if (!p) throw new Error(`no program ${name} in ${PROGRAMS_DIR}`);
  return p;
};

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A fresh copy of the program's fixture directory, or undefined when it has none. */
function fsCopy(p: Expectations): string | undefined {
  if (p.fs === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tv-guest-'));
  temps.push(dir);
  cpSync(join(FS_FIXTURES_DIR, p.fs), dir, { recursive: true });
  return dir;
}

function assembled(p: Expectations): Image {
  const r = assembleFile(p.path);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  expect(r.warnings.map((d) => formatDiagnostic(d))).toEqual([]);
  return r.image;
}

function capture(): { readonly sink: OutputSink; text(): string } {
  const chunks: Uint8Array[] = [];
  return { sink: (bytes) => void chunks.push(bytes.slice()), text: () => Buffer.concat(chunks).toString('utf8') };
}

function trickle(text: string): InputSource {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return (max) => {
    const chunk = bytes.subarray(at, at + Math.min(max, STDIN_CHUNK));
    at += chunk.length;
    return chunk;
  };
}

interface Outcome {
  readonly stdout: string;
  /** What a user would see on stderr: the program's own writes, then the fault report. */
  readonly stderr: string;
  readonly status: number | null;
}

function runInProcess(p: Expectations, fsDir: string | undefined): Outcome & { readonly result: ProcessResult; readonly instructions: number } {
  const out = capture();
  const err = capture();
  const vm = new ProcessVM(assembled(p), {
    args: [p.name, ...p.args],
    stdin: trickle(p.stdin),
    stdout: out.sink,
    stderr: err.sink,
    maxInstructions: MAX_INSTRUCTIONS,
    ...(fsDir === undefined ? {} : { fsRoot: fsDir }),
  });
  const result = vm.run();
  const report = result.kind === 'exit' ? '' : `${result.report}\n`;
  return { stdout: out.text(), stderr: err.text() + report, status: exitCode(result), result, instructions: vm.stats().instructions };
}

function runThroughCli(p: Expectations, fsDir: string | undefined): Outcome {
  // From the programs' own folder, so argv[0] is the bare file name as in-process.
  return runCli(['run', p.name, ...(fsDir === undefined ? [] : ['--fs', fsDir]), '--', ...p.args], { cwd: PROGRAMS_DIR, input: p.stdin });
}

/** The checks every run of a program must pass, however it was run. */
function check(p: Expectations, o: Outcome, fsDir: string | undefined): void {
  expect(o.stdout).toBe(p.stdout);
  expect(o.status).toBe(p.exit);
  if (p.stderrContains.length === 0) expect(o.stderr).toBe('');
  for (const s of p.stderrContains) expect(o.stderr).toContain(s);
  for (const [file, text] of p.files) expect(readFileSync(join(fsDir!, file), 'utf8')).toBe(text);
}

describe('every guest program does what its expectations say (process VM)', () => {
  test('there are a dozen or more programs, and each says what it is', () => {
    expect(programs.length).toBeGreaterThanOrEqual(12);
    for (const p of programs) {
      const first = readFileSync(p.path, 'utf8').split('\n')[0]!;
      expect(first, p.name).toMatch(new RegExp(`^; ${p.name.replace('.', '\\.')} — \\S`));
    }
  });

  test('programs that need --fs are kept from the guest-kernel suite', () => {
    for (const p of programs) if (p.fs !== undefined) expect(p.kernel, `${p.name} has '; fs:' so needs '; kernel: no'`).toBe(false);
  });

  test.each(programs.filter((p) => p.vm).map((p) => [p.name, p] as const))('%s', (_name, p) => {
    const fsDir = fsCopy(p);
    const o = runInProcess(p, fsDir);
    expect(o.result.kind, o.result.kind === 'budget' ? o.result.report : '').not.toBe('budget');
    check(p, o, fsDir);
  });
});

describe('through the real CLI, with the same expectations', () => {
  test.each(['hello.s', 'echo.s', 'args.s', 'cat.s', 'copy.s', 'fault-null.s'])('typevisor run %s', (name) => {
    const p = byName(name);
    const fsDir = fsCopy(p);
    check(p, runThroughCli(p, fsDir), fsDir);
  });

  test('cat.s with no arguments copies stdin to stdout', () => {
    const input = 'no files named,\nso cat reads standard input\n';
    const r = runCli(['run', 'cat.s'], { cwd: PROGRAMS_DIR, input });
    expect(r).toEqual({ status: 0, stdout: input, stderr: '' });
  });
});

describe('guests/include/sys.inc matches isa/syscalls.ts', () => {
  const r = assemble(`.include "${join(INCLUDE_DIR, 'sys.inc')}"\n`, { filename: join(PROGRAMS_DIR, 'sys-check.s') });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  const constants = new Map(r.image.symbols.filter((s) => s.kind === 'const').map((s) => [s.name, s.value]));

  const expected = new Map<string, number>([
    ...SYSCALLS.map((s) => [`SYS_${s.name.toUpperCase()}`, s.num] as const),
    ...Object.entries(ERRNO),
    ...Object.entries(OPEN_FLAGS),
    ['SEEK_SET', SEEK_SET], ['SEEK_CUR', SEEK_CUR], ['SEEK_END', SEEK_END],
    // The standard descriptors, as the read and write calls document them.
    ['STDIN', 0], ['STDOUT', 1], ['STDERR', 2],
  ]);

  test('every system call, errno, open flag and whence is defined with its value', () => {
    for (const [name, value] of expected) expect(constants.get(name), name).toBe(value);
  });

  test('it defines nothing the tables do not vouch for', () => {
    expect([...constants.keys()].filter((n) => !expected.has(n))).toEqual([]);
  });
});

describe('the expectation format', () => {
  test('stdout and stdin are the lines given, each with its newline; args split on spaces', () => {
    const p = parseExpectations('/x/t.s', '; t.s — a test\n; expect: one\n; expect:\n; expect:  two \n; stdin: in\n; args: a  b\n; exit: 3\n');
    expect(p).toMatchObject({ name: 't.s', stdout: 'one\n\n two \n', stdin: 'in\n', args: ['a', 'b'], exit: 3, kernel: true, fs: undefined });
  });

  test('expect-file lines gather by file; kernel: no', () => {
    const p = parseExpectations('t.s', '; fs: d\n; expect-file: out.txt a b\n; expect-file: log x\n; expect-file: out.txt c\n; kernel: no\n');
    expect([...p.files]).toEqual([['out.txt', 'a b\nc\n'], ['log', 'x\n']]);
    expect(p.kernel).toBe(false);
  });

  test('vm: no keeps a program from the process VM only', () => {
    expect(parseExpectations('t.s', '; vm: no\n')).toMatchObject({ vm: false, kernel: true });
    expect(parseExpectations('t.s', '; expect: x\n')).toMatchObject({ vm: true });
  });

  test.each([
    ['; expects: hi', `t.s:1: unknown directive '; expects:'`],
    ['; expect-stdout: hi', `t.s:1: unknown directive '; expect-stdout:'`],
    ['; exit-code: 1', `t.s:1: unknown directive '; exit-code:'`],
    ['; stdn: x', `t.s:1: unknown directive '; stdn:'`],
    ['; exit: 1\n; exit: 2', `t.s:2: '; exit:' given twice`],
    ['; exit: -1', `'; exit: -1' is not a status 0..255`],
    ['; kernel: yes', `'; kernel:' takes only 'no'`],
    ['; vm: yes', `'; vm:' takes only 'no'`],
    ['; vn: no', `t.s:1: unknown directive '; vn:'`],
    ['; expect-file: a b', `'; expect-file:' needs a '; fs:' directory`],
  ])('%s is refused', (source, message) => {
    expect(() => parseExpectations('t.s', source)).toThrow(ExpectationError);
    expect(() => parseExpectations('t.s', source)).toThrow(message);
  });

  test('prose comments and indented comments are not directives', () => {
    const p = parseExpectations('t.s', '; Shows: how\n; too: a sentence\n; to: two letters\n    ; expect: nothing\nlabel: ; exit: 9\n');
    expect(p).toMatchObject({ stdout: '', exit: 0 });
  });
});
