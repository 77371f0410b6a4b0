/** `boot --net-connect` to a port nobody listens on: an error and exit 1, not a boot that exits 0. */
import { createServer, type AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('--net-connect to a closed port fails before booting', async () => {
  const port = await closedPort();
  const r = runCli(['boot', 'guests/kernel/netkernel.s', '--monitor', 'hosted', '--net-connect', `127.0.0.1:${port}`]);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(`error: cannot connect to 127.0.0.1:${port}: connection refused (is anything listening there?)\n`);
  expect(r.stdout).toBe('');
});
