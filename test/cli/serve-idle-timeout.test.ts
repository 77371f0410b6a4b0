/**
 * `typevisor serve --migration-idle-timeout`: checked before the daemon
 * starts, and explained in --help.
 */
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('serve --migration-idle-timeout', () => {
  test.each([
    ['abc', "error: --migration-idle-timeout: 'abc' is not a duration (try 0.5ms, 200us, 2s)\n"],
    ['10', 'error: --migration-idle-timeout: at least 100ms (a live peer can be that slow to answer a frame)\n'],
    ['100000s', 'error: --migration-idle-timeout: at most 24h\n'],
  ])('%s is refused in one line, before anything listens', (value, message) => {
    const r = runCli(['serve', '--listen', '127.0.0.1:0', '--token', 'tok-0123456789', '--migration-idle-timeout', value]);
    expect(r.stderr).toBe(message);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
  });

  test('--help says what it does, its default, and shows it in an example', () => {
    const r = runCli(['serve', '--help']);
    expect(r.stdout).toMatch(/--migration-idle-timeout <duration>\s+abort a migration whose peer sends\s+nothing/);
    expect(r.stdout).toMatch(/\(default: "30s"\)/);
    expect(r.stdout).toMatch(/before the commit point\s+the arriving copy is discarded/);
    expect(r.stdout).toContain('typevisor serve --migration-idle-timeout 120s');
  });
});
