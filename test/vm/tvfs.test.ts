import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { fileBytes, makeTvfs, readTvfs, TVFS_DIR_OFFSET, TVFS_ENTRY_SIZE, TVFS_SLOTS, TvfsError, type TvfsInput } from '../../vm/devices/tvfs.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const KIB = 1024;

describe('tvfs round trip', () => {
  test('files go one after another from sector 1, each in its capacity, and read back as written', () => {
    const disk = makeTvfs([
      { name: 'poem.txt', data: bytes('so much depends\n') },
      { name: 'big.bin', data: new Uint8Array(1300).fill(7) },
      { name: 'out.txt', data: new Uint8Array(0), capacity: 4 * KIB },
    ], 64 * KIB);
    expect(disk.length).toBe(64 * KIB);
    const fs = readTvfs(disk);
    expect(fs).toEqual({
      sectors: 128,
      files: [
        { name: 'poem.txt', start: 1, capacity: 1, size: 16 },
        { name: 'big.bin', start: 2, capacity: 3, size: 1300 },
        { name: 'out.txt', start: 5, capacity: 8, size: 0 },
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
    expect(() => makeTvfs(files, 4 * KIB)).toThrow(TvfsError);
    expect(() => makeTvfs(files, 4 * KIB)).toThrow(message);
  });
});

describe('what readTvfs refuses, saying why', () => {
  const good = (): Uint8Array => makeTvfs([{ name: 'a', data: bytes('x') }, { name: 'b', data: bytes('y') }], 8 * KIB);
  const entry = (slot: number, field: number): number => TVFS_DIR_OFFSET + slot * TVFS_ENTRY_SIZE + field;
  const poke = (disk: Uint8Array, at: number, value: number): Uint8Array => {
    new DataView(disk.buffer).setUint32(at, value, true);
    return disk;
  };

  test.each([
    ['a disk that is not tvfs', () => new Uint8Array(8 * KIB), 'not tvfs: sector 0 starts with'],
    ['a disk smaller than a sector', () => new Uint8Array(100), 'smaller than one sector'],
    ['another version', () => poke(good(), 4, 2), 'tvfs version 2 is not supported'],
    ['a header claiming more sectors than the disk', () => poke(good(), 8, 17), 'spans 17 sectors, the disk has 16'],
    ['a file past the end', () => poke(good(), entry(1, 24), 40), '"b": sectors 2..41 are outside the filesystem'],
    ['a size over the capacity', () => poke(good(), entry(0, 28), 513), '"a": size 513 is more than its capacity'],
    ['two files sharing sectors', () => poke(good(), entry(1, 20), 1), '"b" and "a" share sectors'],
    ['a free slot with contents', () => poke(good(), entry(5, 24), 1), 'directory slot 5: a free slot'],
  ] as const)('%s', (_what, make, message) => {
    expect(() => readTvfs(make())).toThrow(TvfsError);
    expect(() => readTvfs(make())).toThrow(message);
  });
});
