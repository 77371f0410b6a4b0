/**
 * The store client against a real etcd: compare-and-swap decides between two
 * writers, a lease's keys vanish with it, and an endpoint that is not there
 * is an error naming it, not a hang. Records read back are checked field by
 * field.
 */
import { describe, expect, test } from 'vitest';
import { EtcdClient, EtcdError, parseEndpoints, prefixEnd } from '../../../hypervisor/cluster/etcd.js';
import { Directory } from '../../../hypervisor/cluster/directory.js';
import { parseHost, parseVm, type VmEntry } from '../../../hypervisor/cluster/records.js';
import { etcdForSuite, etcdMissing } from '../../helpers/etcd.js';
import { closedPort } from '../../helpers/closed-port.js';

const entry = (host: string): VmEntry => ({ name: 'web', host, address: '127.0.0.1:1', state: 'running', memSize: 4096, share: 1, kernel: 'k.s', instructions: 0 });

describe.skipIf(etcdMissing() !== undefined)('the etcd client, on a real etcd', () => {
  const suite = etcdForSuite();

  test('a directory entry changes owner only by a swap on the revision read: of two racing writers, one wins', async () => {
    const d = new Directory(suite.client());
    expect(await d.claim(entry('a'))).toBe(true);
    expect(await d.claim(entry('b'))).toBe(false);
    const read = (await d.get('web'))!;
    const results = await Promise.all([d.swap(read, entry('b')), d.swap(read, entry('c'))]);
    expect(results.filter((r) => r)).toHaveLength(1);
    const now = (await d.get('web'))!;
    expect(now.entry.host).toBe(results[0] ? 'b' : 'c');
    expect(await d.remove(read)).toBe(false); // an old revision removes nothing
    expect(await d.remove(now)).toBe(true);
    expect(await d.get('web')).toBeUndefined();
  });

  test('keys under a lease vanish once it expires; renewing an expired lease answers 0', async () => {
    const lease = await suite.client().grant(1);
    await suite.client().put('/t/leased', 'x', lease);
    expect(await suite.client().keepAlive(lease)).toBeGreaterThan(0);
    expect((await suite.client().range('/t/'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await suite.client().get('/t/leased')).toBeUndefined();
    expect(await suite.client().keepAlive(lease)).toBe(0);
    await suite.client().revoke(lease); // already gone: not an error
  });

  test('a dead endpoint is skipped for a live one', async () => {
    const both = new EtcdClient([`http://127.0.0.1:${await closedPort()}`, suite.etcd().url]);
    await both.put('/t/k', 'v');
    expect((await both.get('/t/k'))?.value).toBe('v');
  });
});

describe('the etcd client without etcd', () => {
  test('nothing listening: one error naming the endpoint', async () => {
    const port = await closedPort();
    const c = new EtcdClient([`http://127.0.0.1:${port}`], 500);
    const e = await c.get('/x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EtcdError);
    expect((e as EtcdError).message).toBe(`etcd unreachable (http://127.0.0.1:${port}: ECONNREFUSED)`);
  });

  test('--cluster URLs are checked', () => {
    expect(parseEndpoints('http://127.0.0.1:2379, http://10.0.0.2:2379/')).toEqual(['http://127.0.0.1:2379', 'http://10.0.0.2:2379']);
    expect(() => parseEndpoints('ftp://127.0.0.1:2379')).toThrow('--cluster: ftp://127.0.0.1:2379: only http:// and https:// endpoints');
    expect(() => parseEndpoints('nope')).toThrow('--cluster: "nope" is not a URL (e.g. http://127.0.0.1:2379)');
    expect(() => parseEndpoints(' , ')).toThrow('--cluster: give at least one etcd URL');
  });

  test('a prefix\'s range end is the next key after every key with the prefix', () => {
    expect(prefixEnd('/typevisor/vms/').toString()).toBe('/typevisor/vms0');
    expect(prefixEnd('ab').toString()).toBe('ac');
  });

  test('records read back are checked field by field', () => {
    expect(parseVm('/typevisor/vms/x', '{')).toMatch(/^\/typevisor\/vms\/x: not JSON/);
    expect(parseVm('/typevisor/vms/x', '[]')).toBe('/typevisor/vms/x: not a JSON object');
    expect(parseVm('/typevisor/vms/x', JSON.stringify({ ...entry('a'), host: 3 }))).toBe('/typevisor/vms/x: field host is not a string');
    expect(parseVm('/typevisor/vms/x', JSON.stringify({ ...entry('a'), share: -1 }))).toBe('/typevisor/vms/x: field share is not a whole number ≥ 0');
    expect(parseVm('/typevisor/vms/x', JSON.stringify({ ...entry('a'), restarted: { from: 1 } }))).toBe('/typevisor/vms/x: field restarted is not {from, instructions, …}');
    expect(parseVm('/typevisor/vms/x', JSON.stringify(entry('a')))).toEqual(entry('a'));
    expect(parseHost('/typevisor/hosts/a', JSON.stringify({ name: 'a', address: 'x', startedAt: '', capacity: 1, used: 0, load: 0, vms: 0, pid: 1.5 }))).toBe('/typevisor/hosts/a: field pid is not a whole number ≥ 0');
  });
});
