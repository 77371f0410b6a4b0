/** `typevisor boot` given a user program instead of a kernel: a clear stop, not a silent spin. */
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

test('booting a user program ends with the trap loop explained (exit 125)', () => {
  const r = runCli(['boot', 'guests/programs/hello.s']);
  expect(r.status).toBe(125);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^stopped: the guest is in a trap loop: .*`typevisor run FILE`/);
});
