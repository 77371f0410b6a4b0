/**
 * A guest whose memory is all non-zero data (guests/workloads/fill.s)
 * migrated between two real `typevisor serve` daemons over TCP: it
 * checksums all of its memory again on the destination, and the checksum
 * is the pattern's — every byte arrived, in its place. Moderate size to keep
 * CI fast; no timing thresholds. Build first (npm test does).
 */
import { describe, expect, test } from 'vitest';
import { fillChecksum, filledRows, migrateFilled } from '../../bench/sections/migration-throughput.js';

const MiB = 1024 * 1024;

describe('a guest full of data, migrated between two daemons', () => {
  test('stop-and-copy and post-copy: memory byte-identical on arrival', async () => {
    const r = await migrateFilled({ memSize: 24 * MiB, strategies: ['stop-and-copy', 'post-copy'], loopbackBytes: 8 * MiB });
    expect(r.loopback.rate).toBeGreaterThan(0);
    const expected = fillChecksum(24 * MiB);
    for (const run of r.runs) {
      expect(run.report.outcome, run.strategy).toBe('completed');
      // Nothing went as a zero page: the guest wrote all of RAM past its first 2 MiB.
      expect(run.report.pagesSent - run.report.zeroPages).toBeGreaterThanOrEqual((22 * MiB) / 4096);
      expect(run.before, run.strategy).toBe(expected);
      expect(run.after, run.strategy).toBe(expected);
      expect(run.verified).toBe(true);
    }
    const rows = filledRows(r);
    expect(rows[0]).toEqual(['', 'stop-and-copy, cold', 'post-copy']);
    expect(rows.find((x) => x[0] === '  ÷ raw loopback')?.[1]).toMatch(/^\d+\.\d\d×$/);
  }, 120_000);

  test('the checksum fill.s prints is the one computed here', () => {
    // h = h·31 + word over two words at the start of the pattern, by hand
    const a = 0x80200000;
    const w0 = (a + 0x13579bdf) | 0;
    const w1 = (a + 4 + 0x13579bdf) | 0;
    const h = (Math.imul(w0, 31) + w1) >>> 0;
    expect(fillChecksum(0x200000 + 8)).toBe(h);
  });
});
