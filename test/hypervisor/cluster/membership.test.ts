/**
 * Membership's view of its own lease, against a real etcd. A daemon continued
 * after SIGSTOP must count its lease lost from the first moment it runs, in
 * whichever timer fires first — not only once the renewal timer got round to
 * it — and the epoch tells work that read the directory before the loss that
 * its view is stale.
 */
import { describe, expect, test } from 'vitest';
import { EtcdClient } from '../../../hypervisor/cluster/etcd.js';
import { Membership } from '../../../hypervisor/cluster/membership.js';
import type { HostRecord } from '../../../hypervisor/cluster/records.js';
import { etcdForSuite, etcdMissing } from '../../helpers/etcd.js';

const record = (name: string): HostRecord => ({ name, address: '127.0.0.1:1', capacity: 1 << 20, used: 0, load: 0, vms: 0, pid: process.pid, startedAt: new Date(0).toISOString() });

describe.skipIf(etcdMissing() !== undefined)('membership, on a real etcd', () => {
  const suite = etcdForSuite();

  test('a lease a whole TTL past its last renewal is lost at once, before any timer notices; the epoch moves when it is', async () => {
    const events: string[] = [];
    const realNow = Date.now;
    const m = new Membership(suite.client(), 1, () => record('m1'), {
      log: (line) => events.push(line),
      onLost: () => void events.push('lost'),
      onRegained: () => void events.push('regained'),
    });
    await m.join();
    try {
      expect(m.alive).toBe(true);
      const epoch = m.epoch;
      // The process as SIGCONT finds it: the clock has moved on, no timer has run yet.
      const skew = 1500;
      Date.now = () => realNow() + skew;
      expect(m.alive).toBe(false);
      expect(m.leaseId).toBeUndefined();
      expect(events).not.toContain('lost');
      // Then the renewal timer runs: it counts the lease lost (once), rejoins, and the epoch has moved.
      const until = realNow() + 5000;
      while (!events.includes('regained') && realNow() < until) await new Promise((r) => setTimeout(r, 50));
      expect(events.filter((e) => e === 'lost')).toHaveLength(1);
      expect(events).toContain('regained');
      expect(m.epoch).toBe(epoch + 1);
      expect(m.alive).toBe(true);
    } finally {
      Date.now = realNow;
      await m.leave();
    }
  });
});
