/**
 * typevisor migrate-compare on the workloads with a device, as a user runs
 * it: the disk writer and the echo service, every strategy, between two real
 * daemons the command starts on 127.0.0.1 — the table gains the disk's and
 * the network's rows, every run is checked (disk byte for byte; every byte
 * echoed once, in order), and the HTML report stacks the disk's bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { STRATEGY_NAMES } from '../../hypervisor/migration/options.js';
import type { Comparison } from '../../hypervisor/lab/compare.js';
import { cli } from '../hypervisor/control/daemons.js';

const dir = mkdtempSync(join(tmpdir(), 'typevisor-compare-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The cells of a table row, by its label. */
const row = (stdout: string, label: string): string[] => {
  const line = stdout.split('\n').find((l) => l.startsWith(`${label} `));
  return line === undefined ? [] : line.slice(label.length).trim().split(/\s{2,}/);
};

describe('migrate-compare --workload disk-writer', () => {
  test('every strategy moves the writer with its disk copied; each run ends with the disk of the guest never migrated', async () => {
    const html = join(dir, 'disk.html');
    // 32 blocks of 8 sectors; migrated after its first few blocks, long before its last.
    const r = await cli(['migrate-compare', '--workload', 'disk-writer', '--param', 'BLOCKS=32,SPIN=300000', '--mem', '2M', '--disk-size', '256K', '--at', '1M', '--html', html], { timeoutMs: 150_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^disk-writer \(BLOCKS=32 .*\), 2\.0 MiB of guest memory, a 256\.0 KiB disk file \(random bytes where the guest does not write; --disk-mode copy\), two typevisor serve daemons over TCP on 127\.0\.0\.1 \(wall time\)/);
    expect(r.stdout.split('\n')[2]!.trim().split(/\s+/)).toEqual([...STRATEGY_NAMES]);
    expect(row(r.stdout, 'disk')).toEqual(STRATEGY_NAMES.map(() => 'file, copy'));
    // The whole disk (random bytes: no piece of zeros to leave out) in round 0 — with the guest running for
    // pre-copy and hybrid, paused for stop-and-copy — then what the guest wrote since; post-copy sends it after the switchover.
    const rounds = row(r.stdout, '  disk rounds');
    STRATEGY_NAMES.forEach((s, i) => {
      if (s === 'post-copy') expect(rounds[i]).toBe('—');
      else if (s === 'stop-and-copy') expect(rounds[i]).toBe('512*');
      else expect(rounds[i]).toMatch(/^512( \d+)*( \d+\*)?$/);
    });
    for (const cell of row(r.stdout, '  sectors sent')) expect(Number(cell)).toBeGreaterThanOrEqual(512);
    expect(row(r.stdout, 'checked')).toEqual(STRATEGY_NAMES.map(() => 'ok'));
    expect(r.stdout).toContain('checked: the migrated guest printed the same and left its disk byte for byte as the same workload never migrated');

    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<th>  disk bytes sent</th>');
    expect(page).toMatch(/<title>[a-z-]+ disk: [\d.]+<\/title>/); // the disk's part of each bytes bar
    expect(page).not.toMatch(/<script|src="http|href="http/);
  }, 160_000);

  test('--disk-mode shared: no sector is sent, the file is handed over; checked the same way', async () => {
    const r = await cli(['migrate-compare', '--workload', 'disk-writer', '--param', 'BLOCKS=32,SPIN=300000', '--mem', '2M', '--disk-size', '256K', '--disk-fill', 'zeros', '--disk-mode', 'shared', '--strategies', 'pre-copy,post-copy', '--no-html'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(row(r.stdout, 'disk')).toEqual(['file, shared', 'file, shared']);
    expect(row(r.stdout, '  disk bytes sent')).toEqual(['0 B', '0 B']);
    expect(row(r.stdout, 'checked')).toEqual(['ok', 'ok']);
  }, 130_000);
});

describe('migrate-compare --workload echo', () => {
  test('every strategy moves the service while a client sends; every byte echoed once, in order, the connection relayed', async () => {
    const r = await cli(['migrate-compare', '--workload', 'echo', '--mem', '2M', '--no-html', '--json'], { timeoutMs: 150_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.runs.map((x) => x.strategy)).toEqual([...STRATEGY_NAMES]);
    expect(c.devices).toEqual({ echo: { intervalMs: 2 } });
    for (const run of c.runs) {
      expect(run.verified).toBe(true);
      expect(run.report.network?.relayedConnections).toBe(1);
      expect(run.echo!.inOrder).toBe(true);
      expect(run.echo!.bytesEchoed).toBe(run.echo!.bytesSent);
      // 100 lines before the move, 100 sent after it.
      expect(run.echo!.lines).toBeGreaterThanOrEqual(200);
      expect(run.echo!.roundTrip.p50Ms).toBeLessThanOrEqual(run.echo!.roundTrip.p99Ms);
      expect(run.echo!.roundTrip.p99Ms).toBeLessThanOrEqual(run.echo!.roundTrip.maxMs);
      expect(run.echo!.maxStallMs).toBeGreaterThan(0);
    }
  }, 160_000);
});

describe('migrate-compare: device options explained', () => {
  test('the disk options belong to the disk writer; bad values are named', async () => {
    const [other, mode, fill, small, echo] = await Promise.all([
      cli(['migrate-compare', '--workload', 'writes', '--disk-mode', 'shared']),
      cli(['migrate-compare', '--workload', 'disk-writer', '--disk-mode', 'mirror']),
      cli(['migrate-compare', '--workload', 'disk-writer', '--disk-fill', 'ones']),
      cli(['migrate-compare', '--workload', 'disk-writer', '--disk-size', '64K']),
      cli(['migrate-compare', '--workload', 'echo', '--param', 'CONNECTIONS=3']),
    ]);
    expect(other.stderr).toBe('error: --disk-mode is for --workload disk-writer (the only workload with a disk), not writes\n');
    expect(mode.stderr).toBe('error: --disk-mode "mirror": choose copy or shared\n');
    expect(fill.stderr).toBe('error: --disk-fill "ones": choose random or zeros\n');
    expect(small.stderr).toBe('error: --disk-size 65536 bytes is smaller than what the disk writer writes (BLOCKS × SECTORS × 512 = 262144 bytes)\n');
    expect(echo.stderr).toBe('error: --workload echo: migrate-compare drives one connection, and the guest powers off after it (CONNECTIONS is 1)\n');
    for (const r of [other, mode, fill, small, echo]) expect(r.status).toBe(1);
  }, 60_000);

  test('a writer that is done before --at is not migrated: the message says what to change', async () => {
    const r = await cli(['migrate-compare', '--workload', 'disk-writer', '--param', 'BLOCKS=2,SPIN=0', '--mem', '2M', '--at', '100M', '--no-html'], { timeoutMs: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: migrate-compare: the disk writer was off after \d+ instructions, before --at 100000000: give it more to write \(--param BLOCKS=…,SPIN=…\) or a smaller --at\n$/);
  }, 70_000);
});
