/**
 * The placement rule and the rebalance plan, as properties over random
 * fleets: the chosen host is the best by the documented order; a plan only
 * moves running VMs to hosts with room, never widens the spread, and stops
 * balanced or when no single move would narrow it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { free, place } from '../../../hypervisor/cluster/placement.js';
import { planRebalance } from '../../../hypervisor/cluster/rebalance.js';
import type { HostRecord, VmEntry } from '../../../hypervisor/cluster/records.js';

const MiB = 1024 * 1024;

const host = (name: string, capacity: number, used: number, load: number): HostRecord => ({ name, address: `127.0.0.1:${7000 + name.charCodeAt(0)}`, capacity, used, load, vms: 0, pid: 1, startedAt: '' });

const hostsArb = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 5 })
  .chain((names) => fc.tuple(...names.map((n) => fc.record({ capacity: fc.integer({ min: 1, max: 8 }), used: fc.integer({ min: 0, max: 8 }), load: fc.integer({ min: 0, max: 4 }) }).map((r) => host(n, r.capacity * MiB, Math.min(r.used, r.capacity) * MiB, r.load)))));

describe('placement: most free memory, then lowest load, then name', () => {
  test('the chosen host fits, and no fitting host is better by the rule', () => {
    fc.assert(
      fc.property(hostsArb, fc.integer({ min: 1, max: 8 }), (hosts, mem) => {
        const p = place(hosts, mem * MiB);
        const fits = hosts.filter((h) => free(h) >= mem * MiB);
        if (fits.length === 0) {
          expect('none' in p).toBe(true);
          return;
        }
        if (!('host' in p)) throw new Error('no host chosen although one fits');
        const c = p.host;
        expect(free(c)).toBeGreaterThanOrEqual(mem * MiB);
        for (const h of fits) {
          expect(free(h) <= free(c)).toBe(true);
          if (free(h) === free(c)) expect(h.load >= c.load).toBe(true);
          if (free(h) === free(c) && h.load === c.load) expect(h.name >= c.name).toBe(true);
        }
      }),
    );
  });

  test('spot checks of the ties', () => {
    expect(place([host('b', 8 * MiB, 0, 0), host('a', 8 * MiB, 0, 0)], MiB)).toMatchObject({ host: { name: 'a' } });
    expect(place([host('a', 8 * MiB, 0, 3), host('b', 8 * MiB, 0, 1)], MiB)).toMatchObject({ host: { name: 'b' } });
    expect(place([host('a', 8 * MiB, 0, 3), host('b', 8 * MiB, MiB, 0)], MiB)).toMatchObject({ host: { name: 'a' } });
    expect(place([], MiB)).toEqual({ none: 'no live host in the cluster (start one: typevisor serve --cluster URL)' });
    expect(place([host('a', 2 * MiB, MiB, 0)], 4 * MiB)).toEqual({ none: `no host has ${4 * MiB} bytes free (the most is ${MiB} on a)` });
  });
});

const vmsArb = (hosts: readonly HostRecord[]) =>
  fc.array(
    fc.record({ host: fc.constantFrom(...hosts.map((h) => h.name)), share: fc.integer({ min: 1, max: 4 }), mem: fc.integer({ min: 1, max: 2 }), running: fc.boolean() }),
    { maxLength: 12 },
  ).map((vs) => vs.map((v, i): VmEntry => ({ name: `v${i}`, host: v.host, address: '', state: v.running ? 'running' : 'paused', memSize: v.mem * MiB, share: v.share, kernel: 'k', instructions: 0 })));

describe('rebalance plan', () => {
  test('moves running VMs to hosts with room, never widens the spread, and stops balanced or stuck', () => {
    const fleet = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 }).map((ns) => ns.map((n) => host(n, 64 * MiB, 0, 0)));
    fc.assert(
      fc.property(fleet.chain((hs) => fc.tuple(fc.constant(hs), vmsArb(hs), fc.integer({ min: 0, max: 3 }))), ([hosts, vms, threshold]) => {
        const withUse = hosts.map((h) => ({ ...h, used: vms.filter((v) => v.host === h.name).reduce((n, v) => n + v.memSize, 0) }));
        const plan = planRebalance(withUse, vms, threshold);
        const load = new Map(hosts.map((h) => [h.name, 0]));
        const where = new Map(vms.map((v) => [v.name, v.host]));
        for (const v of vms) if (v.state === 'running') load.set(v.host, load.get(v.host)! + v.share);
        const spread = (): number => Math.max(...load.values()) - Math.min(...load.values());
        expect(plan.spreadBefore).toBe(spread());
        for (const m of plan.moves) {
          const v = vms.find((x) => x.name === m.vm)!;
          expect(v.state).toBe('running');
          expect(where.get(m.vm)).toBe(m.from);
          const before = spread();
          load.set(m.from, load.get(m.from)! - v.share);
          load.set(m.to, load.get(m.to)! + v.share);
          where.set(m.vm, m.to);
          expect(spread()).toBeLessThanOrEqual(before);
          expect([load.get(m.from), load.get(m.to)]).toEqual([m.fromLoad, m.toLoad]);
        }
        expect(plan.spreadAfter).toBe(spread());
        if (plan.spreadAfter > threshold) {
          // Stuck: no running VM on the most loaded host (the first by name) has a share below the gap to the least loaded one.
          const hi = [...load.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
          const lo = Math.min(...load.values());
          const movable = vms.filter((v) => v.state === 'running' && where.get(v.name) === hi[0] && v.share < hi[1] - lo);
          expect(movable).toEqual([]);
        }
      }),
    );
  });

  test('six VMs on one of three hosts: four moves, two on each', () => {
    const hosts = ['a', 'b', 'c'].map((n) => host(n, 64 * MiB, 0, 0));
    const vms = [1, 2, 3, 4, 5, 6].map((i): VmEntry => ({ name: `t${i}`, host: 'a', address: '', state: 'running', memSize: 2 * MiB, share: 1, kernel: 'k', instructions: 0 }));
    const plan = planRebalance(hosts, vms);
    expect(plan.moves.map((m) => `${m.vm}:${m.from}>${m.to}`)).toEqual(['t1:a>b', 't2:a>c', 't3:a>b', 't4:a>c']);
    expect([plan.spreadBefore, plan.spreadAfter]).toEqual([6, 0]);
  });
});
