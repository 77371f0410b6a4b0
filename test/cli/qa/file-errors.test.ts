/**
 * A file that cannot be read or written, worded for the person who named it.
 * Before: "EISDIR: illegal operation on a directory, read", "ENOTDIR: not a
 * directory, scandir 'x'", and for asm -o into a missing folder the name of
 * the temporary file asm writes first ('/nowhere/.x.img.1234.tmp').
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-file-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const src = join(dir, 'p.s');
writeFileSync(src, '_start: li t0, 1\n        syscall\n');
const plain = join(dir, 'plain.txt');
writeFileSync(plain, 'not a folder\n');
const missing = join(dir, 'nowhere');

describe('files that cannot be used', () => {
  test.each<[string[], string]>([
    [['image', 'inspect', dir], `error: cannot read ${dir}: it is a directory\n`],
    [['image', 'ls', plain], `error: cannot list ${plain}: not a directory\n`],
    [['boot', '--restore', dir], `error: cannot read ${dir}: it is a directory\n`],
    [['asm', src, '-o', join(missing, 'x.img')], `error: cannot write ${join(missing, 'x.img')}: no such directory ${missing}\n`],
    [['asm', src, '-o', dir], `error: cannot write ${dir}: it is a directory\n`],
    [['mkdisk', '-o', join(missing, 'd.img'), src], `error: cannot write ${join(missing, 'd.img')}: no such directory ${missing}\n`],
    [['mkdisk', '-o', join(dir, 'd.img'), dir], `error: ${dir}: cannot read: it is a directory\n`],
    [['volume', 'create', 'v', '--from', dir, '--connect', '127.0.0.1:1', '--token', 't'], `error: cannot read ${dir}: it is a directory\n`],
  ])('%j', (args, stderr) => {
    const r = runCli(args);
    expect(r.stderr).toBe(stderr);
    expect(r.status).toBe(1);
  });
});
