import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import {
  commitLog, fileBytes, installLog, makeTvfs, readTvfs, TVFS_DIR_OFFSET, TVFS_ENTRY_SIZE, TVFS_LOG_SECTORS, TVFS_LOG_SLOTS, TVFS_SLOTS, TvfsError, type TvfsInput,
} from '../../vm/devices/tvfs.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const KIB = 1024;

describe('tvfs round trip', () => {
  test('files go one after another after the log (sectors 1..19), each in its capacity, and read back as written', () => {
    const disk = makeTvfs([
      { name: 'poem.txt', data: bytes('so much depends\n') },
      { name: 'big.bin', data: new Uint8Array(1300).fill(7) },
      { name: 'out.txt', data: new Uint8Array(0), capacity: 4 * KIB },
    ], 64 * KIB);
    expect(disk.length).toBe(64 * KIB);
    const fs = readTvfs(disk);
    expect(fs).toEqual({
      version: 2,
      sectors: 128,
      log: { start: 1, sectors: 19, committed: 0 },
      files: [
        { name: 'poem.txt', start: 20, capacity: 1, size: 16 },
        { name: 'big.bin', start: 21, capacity: 3, size: 1300 },
        { name: 'out.txt', start: 24, capacity: 8, size: 0 },
      ],
    });
    expect(new TextDecoder().decode(fileBytes(disk, fs.files[0]!))).toBe('so much depends\n');
    expect(fileBytes(disk, fs.files[1]!)).toEqual(new Uint8Array(1300).fill(7));
  });

  test('any set of files that fits reads back with the same names, sizes and bytes', () => {
    const file = fc.record({
      name: fc.stringMatching(/^[a-z0-9._-]{1,19}$/),
      data: fc.uint8Array({ maxLength: 3000 }),
      extra: fc.nat({ max: 2000 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(file, { selector: (f) => f.name, maxLength: TVFS_SLOTS }), (files) => {
        const inputs: TvfsInput[] = files.map((f) => ({ name: f.name, data: f.data, capacity: f.data.length + f.extra }));
        const disk = makeTvfs(inputs, 256 * KIB);
        const fs = readTvfs(disk);
        expect(fs.files.map((f) => f.name)).toEqual(files.map((f) => f.name));
        fs.files.forEach((f, i) => {
          expect(fileBytes(disk, f)).toEqual(files[i]!.data);
          expect(f.capacity * SECTOR_SIZE).toBeGreaterThanOrEqual(inputs[i]!.capacity!);
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('what makeTvfs refuses', () => {
  test.each([
    ['a name longer than 19 bytes', [{ name: 'a-name-of-twenty-chr', data: bytes('') }], 'tvfs names have at most 19'],
    ['a name with a slash', [{ name: 'dir/file', data: bytes('') }], "may not contain NUL or '/'"],
    ['the same name twice', [{ name: 'a', data: bytes('') }, { name: 'a', data: bytes('') }], '"a" is given twice'],
    ['data over its capacity', [{ name: 'a', data: bytes('hello'), capacity: 2 }], 'more than its capacity 2'],
    ['more than the disk holds', [{ name: 'a', data: new Uint8Array(8 * KIB) }], 'does not fit'],
    ['sixteen files', Array.from({ length: 16 }, (_, i) => ({ name: `f${i}`, data: bytes('') })), 'tvfs has room for 15'],
  ] as const)('%s', (_what, files, message) => {
    expect(() => makeTvfs(files, 16 * KIB)).toThrow(TvfsError);
    expect(() => makeTvfs(files, 16 * KIB)).toThrow(message);
  });

  test('a disk too small for sector 0 and the log', () => {
    expect(() => makeTvfs([], 4 * KIB)).toThrow('a disk of 4096 bytes has no room for tvfs: sector 0 and the log take 10240');
    expect(readTvfs(makeTvfs([], 10 * KIB)).files).toEqual([]);
  });
});

describe('what readTvfs refuses, saying why', () => {
  const good = (): Uint8Array => makeTvfs([{ name: 'a', data: bytes('x') }, { name: 'b', data: bytes('y') }], 16 * KIB);
  const entry = (slot: number, field: number): number => TVFS_DIR_OFFSET + slot * TVFS_ENTRY_SIZE + field;
  const poke = (disk: Uint8Array, at: number, value: number): Uint8Array => {
    new DataView(disk.buffer).setUint32(at, value, true);
    return disk;
  };

  test.each([
    ['a disk that is not tvfs', () => new Uint8Array(8 * KIB), 'not tvfs: sector 0 starts with'],
    ['a disk smaller than a sector', () => new Uint8Array(100), 'smaller than one sector'],
    ['another version', () => poke(good(), 4, 3), 'tvfs version 3 is not supported (this reads versions 1 and 2)'],
    ['a header claiming more sectors than the disk', () => poke(good(), 8, 33), 'spans 33 sectors, the disk has 32'],
    ['a file past the end', () => poke(good(), entry(1, 24), 40), '"b": sectors 21..60 are outside the files\' area (20..31)'],
    ['a file inside the log', () => poke(good(), entry(0, 20), 5), '"a": sectors 5..5 are outside the files\' area (20..31)'],
    ['a log smaller than a transaction', () => poke(good(), 20, 5), 'a log of 5 sectors from sector 1; it needs at least 19'],
    ['a log past the end', () => poke(good(), 16, 20), 'a log of 19 sectors from sector 20'],
    ['a log header committing more than its slots', () => poke(good(), 512, 19), 'says 19 sectors are committed; the log has 18 slots'],
    ['a log slot going home into the log', () => poke(poke(good(), 512, 1), 516, 3), 'slot 0 goes to sector 3, outside the filesystem or inside the log'],
    ['a size over the capacity', () => poke(good(), entry(0, 28), 513), '"a": size 513 is more than its capacity'],
    ['two files sharing sectors', () => poke(good(), entry(1, 20), 20), '"b" and "a" share sectors'],
    ['a free slot with contents', () => poke(good(), entry(5, 24), 1), 'directory slot 5: a free slot'],
  ] as const)('%s', (_what, make, message) => {
    expect(() => readTvfs(make())).toThrow(TvfsError);
    expect(() => readTvfs(make())).toThrow(message);
  });
});

describe('the write-ahead log on the host: what the next boot will see', () => {
  const sector = (fill: number, text = ''): Uint8Array => {
    const s = new Uint8Array(SECTOR_SIZE).fill(fill);
    s.set(bytes(text));
    return s;
  };

  test('a committed but uninstalled write: readTvfs counts it, installLog installs it on a copy, a second install finds nothing', () => {
    const raw = makeTvfs([{ name: 'gen', data: new Uint8Array(1024).fill(0x41), capacity: 2 * KIB }, { name: 'other', data: bytes('kept') }], 32 * KIB);
    const before = raw.slice();
    // The write that rewrote gen with 1536 bytes of 'B': three data sectors and sector 0 (the new size).
    const dir = raw.slice(0, SECTOR_SIZE);
    new DataView(dir.buffer).setUint32(TVFS_DIR_OFFSET + 28, 1536, true);
    commitLog(raw, [{ sector: 20, data: sector(0x42) }, { sector: 21, data: sector(0x42) }, { sector: 22, data: sector(0x42) }, { sector: 0, data: dir }]);
    expect(raw.subarray(20 * SECTOR_SIZE)).toEqual(before.subarray(20 * SECTOR_SIZE)); // no home touched
    expect(readTvfs(raw).log).toEqual({ start: 1, sectors: TVFS_LOG_SECTORS, committed: 4 });
    expect(fileBytes(raw, readTvfs(raw).files[0]!)).toEqual(new Uint8Array(1024).fill(0x41)); // the raw disk: the old generation

    const copy = raw.slice();
    const { disk, installed } = installLog(raw);
    expect(installed).toBe(4);
    expect(raw).toEqual(copy); // the caller's disk is left alone
    const fs = readTvfs(disk);
    expect(fs.log?.committed).toBe(0);
    expect(fileBytes(disk, fs.files[0]!)).toEqual(new Uint8Array(1536).fill(0x42));
    expect(new TextDecoder().decode(fileBytes(disk, fs.files[1]!))).toBe('kept');
    expect(installLog(disk)).toEqual({ disk, installed: 0 });
  });

  test('the log bounds a transaction: commitLog refuses more sectors than the slots', () => {
    const raw = makeTvfs([], 32 * KIB);
    const writes = Array.from({ length: TVFS_LOG_SLOTS + 1 }, (_, i) => ({ sector: 20 + i, data: sector(1) }));
    expect(() => commitLog(raw, writes)).toThrow(`${TVFS_LOG_SLOTS + 1} sectors: the log has ${TVFS_LOG_SLOTS} slots`);
  });

  test('version 1 (no log, files from sector 1) is still read', () => {
    const raw = new Uint8Array(8 * KIB);
    const view = new DataView(raw.buffer);
    raw.set(bytes('TVFS'), 0);
    view.setUint32(4, 1, true);
    view.setUint32(8, 16, true);
    view.setUint32(12, TVFS_SLOTS, true);
    raw.set(bytes('old.txt'), TVFS_DIR_OFFSET);
    view.setUint32(TVFS_DIR_OFFSET + 20, 1, true);
    view.setUint32(TVFS_DIR_OFFSET + 24, 1, true);
    view.setUint32(TVFS_DIR_OFFSET + 28, 5, true);
    raw.set(bytes('hello'), SECTOR_SIZE);
    const fs = readTvfs(raw);
    expect(fs).toEqual({ version: 1, sectors: 16, files: [{ name: 'old.txt', start: 1, capacity: 1, size: 5 }] });
    expect(new TextDecoder().decode(fileBytes(raw, fs.files[0]!))).toBe('hello');
    expect(installLog(raw)).toEqual({ disk: raw, installed: 0 });
  });
});
