/** The recovery command migrate prints after a post-copy link break: pasted as printed, it reaches the source. */
import { Command } from 'commander';
import { expect, test } from 'vitest';
import { recoveryCommand } from '../../cli/control/recovery.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/cli.js';

test('it names the source daemon with --connect, and the destination with --to', () => {
  const line = recoveryCommand('web', '127.0.0.1:7481', '127.0.0.1:7480');
  // Parse it as the migrate command's options would be parsed.
  const seen: Record<string, unknown> = {};
  const program = new Command().exitOverride();
  program.command('migrate').argument('<vm>').option('--recover').option('--to <addr>').option('--connect <addr>')
    .action((vm: string, o: Record<string, unknown>) => Object.assign(seen, { vm, ...o }));
  program.parse(line.split(' ').slice(1), { from: 'user' });
  expect(seen).toEqual({ vm: 'web', recover: true, to: '127.0.0.1:7480', connect: '127.0.0.1:7481' });
});

test('the reason an interrupted migration reports (printed by migrate, shown by vm list) does not name the engine\'s recover()', () => {
  const text = readFileSync(join(REPO_ROOT, 'hypervisor/migration/outgoing.ts'), 'utf8');
  const reasons = text.split('\n').filter((l) => l.includes('after the switchover:') && !/^\s*(\/\/|\*)/.test(l));
  expect(reasons.length).toBeGreaterThan(0);
  expect(reasons.filter((l) => l.includes('recover()'))).toEqual([]);
});
