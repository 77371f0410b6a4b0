/**
 * `typevisor serve` as a user runs it: a real daemon process on 127.0.0.1,
 * real CLI clients, tokens refused and accepted, a clean shutdown.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, cli, spawnDaemon, TOKEN, waitFor } from '../hypervisor/control/daemons.js';

afterEach(cleanup);

describe('typevisor serve', () => {
  test('listens on 127.0.0.1 and says where first', async () => {
    const d = await spawnDaemon();
    expect(d.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(d.log()).toMatch(/^typevisor daemon listening on 127\.0\.0\.1:\d+ \(pid \d+, 256 MiB for VMs on each monitor: native, hosted\)\n/);
  });

  test('a client with the right token is served; a wrong or missing one is refused, and the daemon logs it', async () => {
    const d = await spawnDaemon();
    const ok = await cli(['vm', 'list', '--connect', d.address]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('no VMs (start one: typevisor vm start KERNEL)\n');
    expect(ok.status).toBe(0);

    const wrong = await cli(['vm', 'list', '--connect', d.address, '--token', 'not-it']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toBe(`error: the daemon at ${d.address} refused the connection: wrong token (give the daemon's token with --token or TYPEVISOR_TOKEN)\n`);
    expect(d.log()).toMatch(/refused 127\.0\.0\.1:\d+: wrong token/);

    const none = await cli(['vm', 'list', '--connect', d.address], { token: null });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^error: no token: give the daemon's token with --token TOKEN or in \$TYPEVISOR_TOKEN/);
  });

  test('TYPEVISOR_DAEMON names the daemon when --connect is not given', async () => {
    const d = await spawnDaemon();
    const r = await cli(['vm', 'list'], { env: { TYPEVISOR_DAEMON: d.address } });
    expect(r.status).toBe(0);
  });

  test('no token given: the daemon generates one, prints it, and only that one gets in', async () => {
    const d = await spawnDaemon([], null);
    await waitFor('the generated token', () => d.log().includes('export TYPEVISOR_TOKEN='));
    const m = /export TYPEVISOR_TOKEN=([0-9a-f]{32})/.exec(d.log());
    expect(m).not.toBeNull();
    expect((await cli(['vm', 'list', '--connect', d.address], { token: m![1]! })).status).toBe(0);
    expect((await cli(['vm', 'list', '--connect', d.address], { token: TOKEN })).status).toBe(1);
  });

  test('nothing listening: the client says so and how to start a daemon', async () => {
    const d = await spawnDaemon();
    await d.kill();
    const r = await cli(['vm', 'list', '--connect', d.address]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: no daemon is listening at ${d.address} (start one with: typevisor serve --listen ${d.address})\n`);
  });

  test('a port already taken is an error naming it', async () => {
    const d = await spawnDaemon();
    const r = await cli(['serve', '--listen', d.address, '--token', TOKEN]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: ${d.address} is already in use (another daemon? pick another port with --listen)\n`);
  });

  test('an address beyond this machine must be spelled out, and gets a warning', async () => {
    const d = await spawnDaemon(['--listen', '0.0.0.0:0']);
    expect(d.log()).toMatch(/warning: listening on 0\.0\.0\.0, which other machines can reach: the token is the only protection/);
  });

  test('SIGTERM shuts it down cleanly (exit 0)', async () => {
    const d = await spawnDaemon();
    expect(await d.kill('SIGTERM')).toBe(0);
    expect(d.log()).toMatch(/SIGTERM: shutting down\n$/);
  });

  test('--help explains the token and has examples', async () => {
    const r = await cli(['serve', '--help']);
    expect(r.stdout).toMatch(/--token <token>/);
    expect(r.stdout).toMatch(/Examples:\n {2}export TYPEVISOR_TOKEN=/);
  });
});
