/**
 * The disk-migration bench section end to end, small: the disk writer
 * migrated between two real daemons with its disk copied and shared; the
 * guest must finish on the destination with every block it wrote checked,
 * and the copy must have sent the whole (random) disk. No timing thresholds.
 * Build first.
 */
import { describe, expect, test } from 'vitest';
import { measureDiskMigration } from '../../bench/sections/disk-migration.js';

describe('a guest writing its disk, migrated with it', () => {
  test('copy sends every sector of the disk and shared none; the guest checks its blocks on the destination both times', async () => {
    const MiB = 1024 * 1024;
    const [copy, shared] = await measureDiskMigration({ memBytes: 4 * MiB, diskBytes: 4 * MiB, strategies: ['pre-copy'], modes: ['copy', 'shared'], writer: { BLOCKS: 64, SPIN: 400_000 } });
    expect(copy).toMatchObject({ strategy: 'pre-copy', mode: 'copy', verified: true });
    expect(copy!.diskBytesSent).toBeGreaterThanOrEqual(4 * MiB);
    expect(copy!.diskRounds[0]).toEqual({ sectors: 8192, paused: false }); // round 0, the whole disk, with the guest running
    expect(copy!.downtimeMs).not.toBeNull();
    expect(shared).toMatchObject({ strategy: 'pre-copy', mode: 'shared', verified: true, diskBytesSent: 0, diskRounds: [] });
  }, 90_000);
});
