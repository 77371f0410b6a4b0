/**
 * The fleet's commands when something is wrong — no fleet named, a bad URL,
 * an etcd that is not there, a bad lease — each one clear line and exit
 * status 1, with no etcd needed. (A daemon that cannot reach etcd does not
 * start: it would otherwise run VMs no one can find.)
 */
import { describe, expect, test } from 'vitest';
import { cli } from '../hypervisor/control/daemons.js';
import { closedPort } from '../helpers/closed-port.js';

describe('fleet errors, one line each', () => {
  test('cluster ls without a fleet, with a bad URL, with no etcd listening', async () => {
    expect(await cli(['cluster', 'ls'])).toMatchObject({ status: 1, stdout: '', stderr: 'error: which fleet? give --cluster URL (its etcd, e.g. http://127.0.0.1:2379) or set $TYPEVISOR_CLUSTER\n' });
    expect((await cli(['cluster', 'vms', '--cluster', 'nope'])).stderr).toBe('error: --cluster: "nope" is not a URL (e.g. http://127.0.0.1:2379)\n');
    const port = await closedPort();
    expect((await cli(['cluster', 'vms', '--cluster', `http://127.0.0.1:${port}`])).stderr).toBe(`error: etcd unreachable (http://127.0.0.1:${port}: ECONNREFUSED)\n`);
    expect((await cli(['vm', 'stats', 'web', '--cluster', `http://127.0.0.1:${port}`])).stderr).toBe(`error: etcd unreachable (http://127.0.0.1:${port}: ECONNREFUSED)\n`);
    expect((await cli(['vm', 'stop', 'web', '--cluster', `http://127.0.0.1:${port}`, '--connect', '127.0.0.1:7480'])).stderr).toBe('error: give --cluster or --connect, not both\n');
  });

  test('serve --cluster: a bad lease is refused, and an unreachable etcd stops the daemon from starting', async () => {
    expect((await cli(['serve', '--listen', '127.0.0.1:0', '--cluster', 'http://127.0.0.1:2379', '--cluster-lease', '0'])).stderr).toBe('error: --cluster-lease: a whole number of seconds from 1 to 3600\n');
    const port = await closedPort();
    const r = await cli(['serve', '--listen', '127.0.0.1:0', '--token', 'tok', '--cluster', `http://127.0.0.1:${port}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`error: --cluster: etcd unreachable (http://127.0.0.1:${port}: ECONNREFUSED)\n`);
    expect(r.stdout).not.toContain('typevisor daemon listening');
  });
});
