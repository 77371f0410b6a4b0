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

function run(tty: boolean): string {
  let out = '';
  const view = new ProgressView((t) => (out += t), tty, plain);
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
    expect(out).toContain('\r\x1b[2Kswitchover   round 0  ████████████░░░░░░░░░░░░   50%  256 pages sent  1.0 MiB');
    expect(out).toContain('\r\x1b[2Kphase switchover\n');
    expect(out).not.toContain('round 0: 512 pages sent');
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });
});
