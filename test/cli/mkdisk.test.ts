import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { commitLog, makeTvfs, readTvfs } from '../../vm/devices/tvfs.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-mkdisk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POEM = join(dir, 'poem.txt');
writeFileSync(POEM, 'so much depends\nupon\n');

describe('typevisor mkdisk / diskls / diskcat', () => {
  test('mkdisk copies files in under their base names, with room where asked, and lists the result', () => {
    const disk = join(dir, 'd.img');
    const r = runCli(['mkdisk', '-o', disk, '--size', '32K', POEM, `${join(dir, 'out.txt')}:2K`]);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe([
      `${disk}: tvfs, 64 sectors (32 KiB), 2 files`,
      'name          size  capacity  sectors',
      'poem.txt        21       512  20..20',
      'out.txt          0      2048  21..24',
      '',
    ].join('\n'));
    expect(readFileSync(disk).length).toBe(32 * 1024);
    expect(readTvfs(readFileSync(disk)).files.map((f) => f.name)).toEqual(['poem.txt', 'out.txt']);
    expect(runCli(['diskls', disk]).stdout).toBe(r.stdout);
    expect(runCli(['diskcat', disk, 'poem.txt'])).toEqual({ status: 0, stdout: 'so much depends\nupon\n', stderr: '' });
  });

  test.each([
    [['mkdisk', '-o', join(dir, 'x.img'), join(dir, 'absent.txt')], 'absent.txt: no such file (to make an empty file on the disk, give it a capacity'],
    [['mkdisk', '-o', join(dir, 'x.img'), '--size', '1000', POEM], '--size "1000" is not a disk size'],
    [['mkdisk', '-o', join(dir, 'x.img'), '--size', '12K', `${POEM}:4K`], '"poem.txt" does not fit'],
    [['mkdisk', '-o', join(dir, 'x.img'), '--size', '8K', POEM], 'has no room for tvfs: sector 0 and the log take 10240'],
    [['diskls', POEM], 'not tvfs: the disk is 21 bytes, smaller than one sector'],
    [['diskcat', join(dir, 'nothing.img'), 'a'], 'cannot read'],
  ])('%j fails with a reason', (args, message) => {
    const r = runCli(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });

  test('diskcat names what the disk has when the file is not there', () => {
    const disk = join(dir, 'e.img');
    runCli(['mkdisk', '-o', disk, '--size', '16K', POEM]);
    const r = runCli(['diskcat', disk, 'nope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no file "nope" (it has: poem.txt)');
  });

  test('a disk left with a committed, uninstalled write (killed after the commit point): diskls and diskcat show it installed, the file is not changed', () => {
    const disk = join(dir, 'log.img');
    const raw = makeTvfs([{ name: 'gen', data: new Uint8Array(SECTOR_SIZE).fill(0x41) }], 16 * 1024);
    commitLog(raw, [{ sector: 20, data: new Uint8Array(SECTOR_SIZE).fill(0x42) }]);
    writeFileSync(disk, raw);
    const ls = runCli(['diskls', disk]);
    expect(ls.status).toBe(0);
    expect(ls.stdout).toContain('log: a committed write of 1 sector, not yet installed; shown installed (the next boot installs it)\n');
    expect(runCli(['diskcat', disk, 'gen']).stdout).toBe('B'.repeat(SECTOR_SIZE));
    expect(readFileSync(disk)).toEqual(Buffer.from(raw));
  });

  test('a tvfs version 1 disk (before the log) is still listed and read, with a note that the kernel refuses it', () => {
    const disk = join(dir, 'v1.img');
    const raw = new Uint8Array(8 * 1024);
    const view = new DataView(raw.buffer);
    raw.set(Buffer.from('TVFS'), 0);
    view.setUint32(4, 1, true);
    view.setUint32(8, 16, true);
    view.setUint32(12, 15, true);
    raw.set(Buffer.from('old.txt'), 0x20);
    view.setUint32(0x20 + 20, 1, true);
    view.setUint32(0x20 + 24, 1, true);
    view.setUint32(0x20 + 28, 3, true);
    raw.set(Buffer.from('old'), SECTOR_SIZE);
    writeFileSync(disk, raw);
    expect(runCli(['diskls', disk]).stdout).toContain('version 1, without a log: the guest kernel refuses it (make a new disk with typevisor mkdisk)\n');
    expect(runCli(['diskcat', disk, 'old.txt']).stdout).toBe('old');
  });
});
