import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readImage } from '../../isa/image.js';
import { CLI_MAIN, REPO_ROOT, runCli } from '../helpers/cli.js';

let dir: string;

/** `npm test` builds first; when this file runs on its own, build if the CLI is older than its sources. */
function ensureBuilt(): void {
  const sources = ['cli/commands/asm.ts', 'isa/asm/index.ts', 'isa/asm/assembler.ts'].map((p) => join(REPO_ROOT, p));
  const built = join(REPO_ROOT, 'dist/cli/commands/asm.js');
  const stale = !existsSync(built) || !existsSync(CLI_MAIN) || sources.some((s) => statSync(s).mtimeMs > statSync(built).mtimeMs);
  if (stale) spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', REPO_ROOT], { stdio: 'ignore' });
}

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'typevisor-asm-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const HELLO = [
  '; print a greeting and exit',
  '_start:',
  '    li t0, 3          ; write',
  '    li a0, 1',
  '    la a1, msg',
  '    li a2, len',
  '    syscall',
  '    li t0, 1          ; exit',
  '    li a0, 0',
  '    syscall',
  '.data',
  'msg: .ascii "hello\\n"',
  'len = . - msg',
].join('\n');

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('typevisor asm', () => {
  test('writes FILE.img next to FILE.s and prints nothing when not on a terminal', () => {
    const src = write('hello.s', HELLO);
    const r = runCli(['asm', src]);
    expect(r).toMatchObject({ status: 0, stdout: '', stderr: '' });
    const img = readImage(readFileSync(join(dir, 'hello.img')));
    expect(img.entry).toBe(0x1000);
    expect(img.sections.map((s) => [s.name, s.addr, s.size])).toEqual([['.text', 0x1000, 40], ['.data', 0x2000, 6]]);
    expect(new TextDecoder().decode(img.sections[1]!.data)).toBe('hello\n');
    expect(img.symbols).toContainEqual({ name: 'len', value: 6, kind: 'const' });
  });

  test('-o chooses the output; --listing prints the listing on stdout', () => {
    const src = write('listed.s', HELLO);
    const out = join(dir, 'other.img');
    const r = runCli(['asm', src, '-o', out, '--listing']);
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(r.stdout).toContain('00001000                              2  _start:');
    expect(r.stdout).toMatch(/^00001008 {2}0000051b {25}lui a1, 0$/m);
    expect(r.stdout).toContain('\n00002000  68 65 6c 6c 6f 0a          12  msg: .ascii "hello\\n"\n');
  });

  test('on errors: every diagnostic on stderr, a count, exit 1, and nothing written', () => {
    const src = write('bad.s', 'start:\n    ad a0, a1, a2\n    addi a0, a0, 70000\n    j strat\n');
    const r = runCli(['asm', src]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe([
      `${src}:2:5: error: unknown instruction 'ad'; did you mean 'add'?`,
      '    ad a0, a1, a2',
      '    ^~',
      `${src}:3:18: error: immediate 70000 does not fit in 16 signed bits (-32768..32767)`,
      '    addi a0, a0, 70000',
      '                 ^~~~~',
      `${src}:4:7: error: undefined symbol 'strat'; did you mean 'start'?`,
      '    j strat',
      '      ^~~~~',
      '3 errors',
      '',
    ].join('\n'));
    expect(existsSync(join(dir, 'bad.img'))).toBe(false);
  });

  test('on errors an existing output file is left exactly as it was', () => {
    const src = write('keep.s', 'nop\nbogus\n');
    const out = write('keep.img', 'previous contents');
    const r = runCli(['asm', src]);
    expect(r.status).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous contents');
  });

  test('warnings go to stderr and the image is still written', () => {
    const src = write('warn.s', '.global missing\nnop\n');
    const r = runCli(['asm', src]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`${src}:1:9: warning: '.global missing' names a symbol that is never defined\n.global missing\n        ^~~~~~~\n`);
    expect(existsSync(join(dir, 'warn.img'))).toBe(true);
  });

  test('includes resolve relative to the including file, and their errors name the included file', () => {
    write('inc-lib.s', 'helper:\n    ret\n    addi a0, a0\n');
    const src = write('inc-main.s', '.include "inc-lib.s"\n_start: call helper\n');
    const r = runCli(['asm', src], { cwd: tmpdir() });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'inc-lib.s')}:3:5: error: 'addi' takes 3 operands (rd, rs1, imm), found 2`);
    expect(r.stderr).toContain(`${src}:1:1: note: in file included from here`);
  });

  test('a missing source file is one clear error', () => {
    const r = runCli(['asm', join(dir, 'nope.s')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${join(dir, 'nope.s')}:1:1: error: cannot read '${join(dir, 'nope.s')}': no such file\n1 error\n`);
  });

  test('input built to exhaust the assembler gets diagnostics, not a stack overflow or a hang', () => {
    const src = join(dir, 'huge.s');
    writeFileSync(src, `.data\n.word ${'('.repeat(100_000)}1${')'.repeat(100_000)}\n.include "/dev/zero"\n.ascii "${'x'.repeat(130_000)}"\n`);
    const r = runCli(['asm', src]);
    expect(r.status).toBe(1);
    const heads = r.stderr.split('\n').filter((l) => l.includes(': error: '));
    expect(heads).toEqual([
      `${src}:2:263: error: expressions nest more than 256 deep`,
      `${src}:3:10: error: cannot include '/dev/zero': it is a character device, not a regular file`,
    ]);
    expect(r.stderr).not.toContain('Maximum call stack');
  });

  test('refuses to overwrite its own source', () => {
    const src = write('self.s', 'nop');
    const r = runCli(['asm', src, '-o', src]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('would overwrite the source');
    expect(readFileSync(src, 'utf8')).toBe('nop');
  });

  test('--help explains the command with an example', () => {
    const r = runCli(['asm', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: typevisor asm [options] <file>');
    expect(r.stdout).toContain('$ typevisor asm hello.s');
    expect(r.stdout).toContain('--listing');
  });
});
