/**
 * typevisor migrate-compare, as a user runs it: the side-by-side table on
 * stdout, the HTML report on disk with its charts and the table's numbers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'typevisor-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ARGS = ['migrate-compare', '--workload', 'incrementer', '--param', 'WS_PAGES=64,PASSES=300,SPIN=4', '--mem', '4M', '--link', '1GB/s,0.1ms', '--at', '100k'];

describe('typevisor migrate-compare', () => {
  const html = join(dir, 'report.html');
  const r = runCli([...ARGS, '--html', html]);

  test('prints every strategy side by side, each checked against the unmigrated run', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^incrementer \(WS_PAGES=64 PASSES=300 SPIN=4 .*\), 4\.0 MiB of guest memory, link 1 GB\/s with 0\.1 ms latency \(simulated\)/);
    expect(lines[2]).toMatch(/^\s+stop-and-copy\s+pre-copy\s+post-copy\s+hybrid$/);
    expect(r.stdout).toMatch(/^downtime \(virtual ms\)(\s+[\d.]+){4}$/m);
    expect(r.stdout).toMatch(/^checked(\s+ok){4}$/m);
    expect(r.stdout).toContain(`report: ${html}`);
  });

  test('writes an HTML report with charts and the table\'s numbers', () => {
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page.match(/<svg /g)?.length).toBe(4);
    for (const title of ['Pages per round', 'Downtime (virtual ms)', 'Guest progress over time', 'Bytes sent (MiB)']) expect(page).toContain(title);
    expect(page).not.toMatch(/<script|src="http|href="http/); // opens from disk, on its own
    const row = (label: string): string[] => r.stdout.split('\n').find((l) => l.startsWith(label))!.slice(label.length).trim().split(/\s{2,}/);
    for (const label of ['downtime (virtual ms)', 'total (virtual ms)', 'pages sent', 'bytes sent']) {
      const cells = row(label);
      expect(cells).toHaveLength(4);
      expect(page).toContain(`<th>${label}</th>${cells.map((c) => `<td>${c}</td>`).join('')}`);
    }
  });

  test('the same numbers on every run', () => {
    const again = runCli([...ARGS, '--no-html', '--no-verify']);
    const table = (s: string): string => s.split('\n').filter((l) => /^(total|downtime|bytes|pages|rounds)/.test(l)).join('\n');
    expect(table(again.stdout)).toBe(table(r.stdout));
  });

  test('--json prints every report', () => {
    const j = runCli([...ARGS, '--no-html', '--no-verify', '--strategies', 'post-copy', '--json']);
    const data = JSON.parse(j.stdout) as { runs: { strategy: string; report: { version: number; pagesSent: number; pages: number; clock: string } }[] };
    expect(data.runs.map((x) => x.strategy)).toEqual(['post-copy']);
    expect(data.runs[0]!.report).toMatchObject({ version: 1, clock: 'virtual', pages: 1024, pagesSent: 1024 });
  });

  test('bad options are explained', () => {
    expect(runCli(['migrate-compare', '--link', 'fast']).stderr).toMatch(/'fast' is not a rate/);
    expect(runCli(['migrate-compare', '--strategies', 'teleport']).stderr).toMatch(/no strategy named 'teleport'/);
    expect(runCli(['migrate-compare', '--param', 'NOPE=1']).stderr).toMatch(/workload writes has no parameter NOPE/);
  });
});

describe('typevisor migrate-compare --real', () => {
  test('migrates between two typevisor serve daemons over TCP on 127.0.0.1 and checks each run', () => {
    const r = runCli(['migrate-compare', '--workload', 'incrementer', '--param', 'WS_PAGES=64,PASSES=2000,SPIN=4', '--mem', '4M', '--at', '100k', '--strategies', 'pre-copy,post-copy', '--real', '--no-html']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/two typevisor serve daemons over TCP on 127\.0\.0\.1 \(wall time\)/);
    expect(r.stdout).toMatch(/^downtime \(ms\)(\s+[\d.]+){2}$/m);
    expect(r.stdout).toMatch(/^checked(\s+ok){2}$/m);
    expect(r.stdout).toMatch(/wall time between two processes: they vary from run to run/);
  });
});
