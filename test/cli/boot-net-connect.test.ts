/** `boot --net-connect` to a port nobody listens on: an error and exit 1, not a boot that exits 0. */
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedPort } from '../helpers/closed-port.js';

test('--net-connect to a closed port fails before booting', async () => {
  const port = await closedPort();
  const r = runCli(['boot', 'guests/kernel/netkernel.s', '--monitor', 'hosted', '--net-connect', `127.0.0.1:${port}`]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`error: cannot connect to 127.0.0.1:${port}: connection refused (is anything listening there?)\n`);
  expect(r.stdout).toBe('');
});
