/**
 * The inline expectations of the guest programs (guests/programs/*.s), as in
 * clox's test suite: each program carries what it should do in comments, and
 * one runner checks them. A directive is a comment line that starts in column
 * 0 with `; key:`; the text after `key: ` is the value. A `; word:` line whose
 * word is close to a key (`; expects:`, `; exit-code:`) is an error, so a
 * misspelt directive cannot pass silently; other words are prose.
 *
 *   ; expect: TEXT                  a line of stdout (stdout is these lines, each ending in "\n")
 *   ; stdin: TEXT                   a line of stdin (each given a "\n"; none: stdin is empty)
 *   ; args: a b c                   the arguments after argv[0] (split on spaces)
 *   ; exit: N                       the exit status a shell sees (default 0)
 *   ; expect-stderr-contains: TEXT  stderr (and, in-process, the fault report) contains TEXT;
 *                                   without any, stderr must be empty
 *   ; fs: DIR                       copy test/fixtures/fs/DIR to a temp dir and grant it (--fs)
 *   ; expect-file: NAME TEXT        a line of the file NAME in that dir after the run
 *   ; kernel: no                    cannot run under the guest kernel (say why on the line after)
 *   ; vm: no                        cannot run in the process VM (it needs the kernel's devices; say why)
 *
 * argv[0] is the program's file name (`args.s`), whoever runs it. This module
 * only reads the expectations; the suites that run programs (the process VM
 * here, the guest kernel later) share it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROGRAMS_DIR = fileURLToPath(new URL('../../guests/programs', import.meta.url));
export const INCLUDE_DIR = fileURLToPath(new URL('../../guests/include', import.meta.url));
export const FS_FIXTURES_DIR = fileURLToPath(new URL('../fixtures/fs', import.meta.url));

export interface Expectations {
  /** The file name, e.g. `hello.s`: argv[0] and the test's name. */
  readonly name: string;
  readonly path: string;
  readonly stdout: string;
  readonly stdin: string;
  readonly args: readonly string[];
  readonly exit: number;
  readonly stderrContains: readonly string[];
  /** A directory under test/fixtures/fs, or undefined when the program gets no --fs. */
  readonly fs: string | undefined;
  /** Expected contents of files in the fs directory after the run, by name. */
  readonly files: ReadonlyMap<string, string>;
  /** False for `; kernel: no`. */
  readonly kernel: boolean;
  /** False for `; vm: no`. */
  readonly vm: boolean;
}

export class ExpectationError extends Error {
  override readonly name = 'ExpectationError';
}

const DIRECTIVE = /^;\s*([a-z]+(?:-[a-z]+)*):(?: (.*))?$/;
const KEYS = ['expect', 'stdin', 'args', 'exit', 'expect-stderr-contains', 'fs', 'expect-file', 'kernel', 'vm'] as const;
type Key = (typeof KEYS)[number];
const SINGLE: readonly Key[] = ['args', 'exit', 'fs', 'kernel', 'vm'];

/** Edit distance, for telling a misspelt key from prose that happens to end in a colon. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

/** A key that shares a known key's first word (`expect-stdout`) or is a typo of one (`expct`). */
function looksLikeKey(word: string): boolean {
  // A two-letter key (`vm`) tolerates one typo, or every short word would look like it.
  return KEYS.some((k) => word.split('-')[0] === k.split('-')[0] || distance(word, k) <= Math.min(2, k.length - 1));
}

const lines = (list: readonly string[]): string => list.map((l) => `${l}\n`).join('');

export function parseExpectations(path: string, source: string): Expectations {
  const name = basename(path);
  const found = new Map<Key, string[]>();
  source.split('\n').forEach((raw, index) => {
    const m = DIRECTIVE.exec(raw.replace(/\r$/, ''));
    if (!m) return;
    const where = `${name}:${index + 1}`;
    const key = m[1] as Key;
    if (!KEYS.includes(key)) {
      if (looksLikeKey(m[1]!)) throw new ExpectationError(`${where}: unknown directive '; ${m[1]}:' (known: ${KEYS.join(', ')})`);
      return;
    }
    const list = found.get(key) ?? [];
    if (list.length > 0 && SINGLE.includes(key)) throw new ExpectationError(`${where}: '; ${key}:' given twice`);
    list.push(m[2] ?? '');
    found.set(key, list);
  });
  const one = (key: Key): string | undefined => found.get(key)?.[0];

  const exitText = one('exit') ?? '0';
  if (!/^\d+$/.test(exitText) || Number(exitText) > 255) throw new ExpectationError(`${name}: '; exit: ${exitText}' is not a status 0..255`);
  const kernel = one('kernel');
  if (kernel !== undefined && kernel !== 'no') throw new ExpectationError(`${name}: '; kernel:' takes only 'no'`);
  const vm = one('vm');
  if (vm !== undefined && vm !== 'no') throw new ExpectationError(`${name}: '; vm:' takes only 'no'`);

  const fileLines = new Map<string, string[]>();
  for (const spec of found.get('expect-file') ?? []) {
    const m = /^(\S+)(?: (.*))?$/.exec(spec);
    if (!m) throw new ExpectationError(`${name}: '; expect-file: ${spec}' wants a file name and a line`);
    fileLines.set(m[1]!, [...(fileLines.get(m[1]!) ?? []), m[2] ?? '']);
  }
  const fs = one('fs');
  if (fileLines.size > 0 && fs === undefined) throw new ExpectationError(`${name}: '; expect-file:' needs a '; fs:' directory`);

  return {
    name,
    path,
    stdout: lines(found.get('expect') ?? []),
    stdin: lines(found.get('stdin') ?? []),
    args: (one('args') ?? '').split(' ').filter((a) => a !== ''),
    exit: Number(exitText),
    stderrContains: found.get('expect-stderr-contains') ?? [],
    fs,
    files: new Map([...fileLines].map(([file, text]) => [file, lines(text)])),
    kernel: kernel !== 'no',
    vm: vm !== 'no',
  };
}

/** Every program under guests/programs, in name order, with its expectations. */
export function loadPrograms(): Expectations[] {
  return readdirSync(PROGRAMS_DIR)
    .filter((f) => f.endsWith('.s'))
    .sort()
    .map((f) => {
      const path = join(PROGRAMS_DIR, f);
      return parseExpectations(path, readFileSync(path, 'utf8'));
    });
}
