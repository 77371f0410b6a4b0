/** What `disasm` says about a file that is not an image: one clear line, the right words. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('disasm on what is not an image', () => {
  test('a missing file: "no such file", not ENOENT and a syscall name', () => {
    const r = runCli(['disasm', 'nosuch.img'], { cwd: mkdtempSync(join(tmpdir(), 'tv-dis-')) });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error: nosuch.img: cannot read: no such file\n');
  });

  test('a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-dis-'));
    const r = runCli(['disasm', dir]);
    expect(r.stderr).toBe(`error: ${dir}: cannot read: it is a directory\n`);
  });

  test('a text file that is not named as source is not called "assembly source"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-dis-'));
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    const r = runCli(['disasm', 'passwd'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('passwd is a text file, not a typevisor image');
    expect(r.stderr).not.toContain('looks like assembly source');
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });

  test('a file named as source still gets the asm-first hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-dis-'));
    writeFileSync(join(dir, 'p.s'), 'halt\n');
    expect(runCli(['disasm', 'p.s'], { cwd: dir }).stderr).toContain('p.s looks like assembly source');
  });
});
