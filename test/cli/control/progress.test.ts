/**
 * What `typevisor migrate` draws while it waits: one line redrawn in place on
 * a terminal, plain lines for events otherwise.
 */
import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import type { MigrationEvent } from '../../../hypervisor/control/engine.js';
import { ProgressView } from '../../../cli/control/progress.js';

const plain = new Chalk({ level: 0 });
const events: MigrationEvent[] = [
  { kind: 'phase', id: 'x', phase: 'pre-copy', at: 0 },
  { kind: 'progress', id: 'x', bytes: 1024 * 1024, pagesSent: 256, pagesTotal: 512, at: 1 },
  { kind: 'round', id: 'x', round: 0, pages: 512, dirty: 40, at: 2 },
  { kind: 'phase', id: 'x', phase: 'switchover', at: 3 },
];

function run(tty: boolean, columns = 200): string {
  let out = '';
  const view = new ProgressView((t) => (out += t), tty, plain, () => columns);
  view.status('connecting to 127.0.0.1:7481');
  for (const e of events) view.event(e);
  view.clear();
  return out;
}

describe('the progress view', () => {
  test('not a terminal: a line per status, phase and round; nothing redrawn', () => {
    expect(run(false)).toBe('connecting to 127.0.0.1:7481\nphase pre-copy\nround 0: 512 pages sent, 40 dirtied meanwhile\nphase switchover\n');
  });

  test('a terminal: the bar is redrawn in place (carriage return, erase line) and cleared before a line prints', () => {
    const out = run(true);
    // Redraws are throttled; a phase change always redraws, with the latest counts.
    // After round 0 the bar is the next round's: none of its 40 dirty pages sent yet.
    expect(out).toContain('\r\x1b[2Kswitchover   round 0  ░░░░░░░░░░░░░░░░░░░░░░░░    0%  256 pages sent');
    expect(out).toContain('\r\x1b[2Kphase switchover\n');
    expect(out).not.toContain('round 0: 512 pages sent');
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });

  test('the line fits the terminal: parts drop, then the bar narrows, never wrapping', () => {
    for (const columns of [40, 60, 80, 100]) {
      const redraws = run(true, columns).split('\r\x1b[2K').filter((l) => l !== '' && !l.endsWith('\n'));
      expect(redraws.length).toBeGreaterThan(0);
      for (const l of redraws) expect(l.length, `${columns} columns: ${l}`).toBeLessThan(columns);
    }
    // Wide enough, everything shows.
    expect(run(true, 200)).toMatch(/pages sent {2}[\d.]+ (B|KiB|MiB)\/s {2}1\.0 MiB {2}[\d.]+ s/);
  });

  test('later rounds: the bar follows the round, not the first copy', () => {
    let out = '';
    const view = new ProgressView((t) => (out += t), true, plain, () => 200);
    view.event({ kind: 'phase', id: 'x', phase: 'pre-copy', at: 0 });
    view.event({ kind: 'progress', id: 'x', bytes: 0, pagesSent: 512, pagesTotal: 512, at: 1 });
    view.event({ kind: 'round', id: 'x', round: 0, pages: 512, dirty: 100, at: 2 });
    view.event({ kind: 'progress', id: 'x', bytes: 0, pagesSent: 562, pagesTotal: 512, at: 3 });
    view.event({ kind: 'phase', id: 'x', phase: 'pre-copy', at: 4 });
    expect(out).toContain('round 0  ████████████░░░░░░░░░░░░   50%  562 pages sent');
  });
});
