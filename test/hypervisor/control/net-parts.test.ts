/**
 * The parts of a daemon's network side and of a client following a VM, one
 * by one: forwarding addresses (bounded in number and in time), console
 * offsets that mean the same on both daemons, the request checks, and a VM's
 * host end holding and releasing its connection around a migration that fails.
 */
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Guest, NetEvent } from '../../../hypervisor/core/host.js';
import { ConsoleLog } from '../../../hypervisor/control/console-log.js';
import { Forwarding } from '../../../hypervisor/control/forwarding.js';
import { checkParams } from '../../../hypervisor/control/params.js';
import type { Request } from '../../../hypervisor/control/protocol.js';
import { VmNet } from '../../../hypervisor/control/vm-net.js';
import { waitFor } from './daemons.js';

describe('Forwarding: where VMs that left went', () => {
  test('an entry lasts its time to live, then is forgotten', () => {
    let now = 1000;
    const f = new Forwarding(60_000, 10, () => now);
    f.remember('web', '127.0.0.1:7481');
    expect(f.where('web')).toEqual({ to: '127.0.0.1:7481', at: 1000 });
    now += 60_000;
    expect(f.where('web')?.to).toBe('127.0.0.1:7481');
    now += 1;
    expect(f.where('web')).toBeUndefined();
  });

  test('property: never more than its bound; the newest entries are the ones kept', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (names, max) => {
        const f = new Forwarding(Infinity, max);
        names.forEach((n, i) => f.remember(n, `127.0.0.1:${7000 + i}`));
        expect(f.size).toBeLessThanOrEqual(max);
        const newest = [...new Set([...names].reverse())].slice(0, max);
        for (const n of newest) expect(f.where(n)?.to).toBe(`127.0.0.1:${7000 + names.lastIndexOf(n)}`);
      }),
    );
  });
});

describe('ConsoleLog offsets across a migration', () => {
  test('property: the destination, given the source\'s past and total, serves from any offset what the source had there', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { minLength: 1, maxLength: 10 }), fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { maxLength: 10 }), fc.integer({ min: 16, max: 200 }), fc.nat(), async (before, after, window, pick) => {
        const source = new ConsoleLog(window);
        for (const b of before) {
          source.write(b);
          source.flush();
        }
        const dest = new ConsoleLog(window);
        for (const b of after) dest.write(b); // the guest writes there before the past arrives
        dest.flush();
        dest.prepend(source.contents(), source.total);
        const all = Buffer.concat([...before, ...after]);
        expect(dest.total).toBe(all.length);
        const since = pick % (all.length + 1);
        const got = dest.since(since);
        // What is kept from `since` on is exactly the stream's bytes there (the window may start later).
        expect(got.at).toBeGreaterThanOrEqual(since);
        expect(Buffer.from(got.bytes).equals(all.subarray(got.at))).toBe(true);
      }),
    );
  });

  test('followers get each chunk with its offset', () => {
    const log = new ConsoleLog();
    const seen: [string, number][] = [];
    log.write(Buffer.from('ab'));
    log.flush();
    log.follow((b, at) => seen.push([Buffer.from(b).toString(), at]));
    log.write(Buffer.from('cde'));
    log.flush();
    expect(seen).toEqual([['cde', 2]]);
  });
});

describe('requests about the network are checked field by field', () => {
  const req = (op: string, params: Record<string, unknown>) => ({ type: 'request', id: 1, op, params }) as unknown as Request;
  test.each([
    [req('vm.start', { kernel: 'k', image: '', memSize: 4096, share: 1, net: { mode: 'listen' } }), 'net .address must be a HOST:PORT string'],
    [req('vm.start', { kernel: 'k', image: '', memSize: 4096, share: 1, net: { mode: 'serve', address: '1' } }), 'net .mode must be listen or connect'],
    [req('vm.start', { kernel: 'k', image: '', memSize: 4096, share: 1, net: { mode: 'listen', address: '1', extra: 1 } }), 'net has an unknown field "extra"'],
    [req('vm.net.attach', { name: 'v', events: [{ kind: 'data', data: '!!' }], socket: 'none' }), 'events [0] must be {kind: connected|closed} or {kind: data, data: base64}'],
    [req('vm.net.attach', { name: 'v', events: {}, socket: 'none' }), 'events must be an array'],
    [req('vm.net.attach', { name: 'v', events: [], socket: 'both' }), 'socket must be one of carried, new, none'],
    [req('vm.console', { name: 'v', history: true, since: -1 }), 'since must be a whole number ≥ 0'],
  ])('%#: %s', (r, why) => {
    expect(checkParams(r)).toBe(why);
  });
  test('good ones pass', () => {
    expect(checkParams(req('vm.net.attach', { name: 'v', events: [{ kind: 'connected' }, { kind: 'data', data: 'aGk=' }, { kind: 'closed' }], socket: 'carried' }))).toBeUndefined();
    expect(checkParams(req('vm.start', { kernel: 'k', image: '', memSize: 4096, share: 1, net: { mode: 'connect', address: '127.0.0.1:7000' } }))).toBeUndefined();
  });
});

/** Just enough of a Guest for its network: events recorded, some left "undelivered" for takeNetPending. */
function fakeGuest(): Guest & { events: NetEvent[]; undelivered: NetEvent[] } {
  const g = {
    events: [] as NetEvent[],
    undelivered: [] as NetEvent[],
    netEvent(e: NetEvent) {
      g.events.push(e);
    },
    takeNetPending() {
      return Promise.resolve(g.undelivered.splice(0));
    },
  };
  return g as unknown as Guest & { events: NetEvent[]; undelivered: NetEvent[] };
}

const dataOf = (events: readonly NetEvent[]): string => events.map((e) => (e.kind === 'data' ? Buffer.from(e.bytes).toString() : `<${e.kind}>`)).join('');

describe('VmNet: a VM\'s host end', () => {
  test('a migration that fails: held events (the undelivered first) go back to the guest in order, and the connection flows again', async () => {
    const guest = fakeGuest();
    const net = await VmNet.open('v', { mode: 'listen', address: '127.0.0.1:0' }, () => guest, () => {});
    const [host, port] = [net.address.split(':')[0]!, Number(net.address.split(':')[1])];
    const peer: Socket = await new Promise((r) => {
      const s = connect({ host, port }, () => r(s));
    });
    peer.write('one');
    await waitFor('the first bytes', () => dataOf(guest.events) === '<connected>one');
    guest.undelivered.push(...guest.events.splice(1)); // as if the monitor had not given them to the device yet
    await net.hold(guest);
    peer.write('two');
    await new Promise((r) => setTimeout(r, 50));
    expect(dataOf(guest.events)).toBe('<connected>'); // held: nothing reaches the guest
    net.release(guest);
    peer.write('three');
    await waitFor('everything, in order', () => dataOf(guest.events) === '<connected>onetwothree');
    let echoed = '';
    peer.on('data', (d: Buffer) => (echoed += d.toString()));
    net.fromGuest(Buffer.from('back'));
    await waitFor('the guest\'s bytes to reach the peer', () => echoed === 'back');
    peer.destroy();
    await waitFor('the close', () => dataOf(guest.events).endsWith('<closed>'));
    net.close();
  });

  test('a second peer while the guest has one is turned away; a listener off loopback needs public', async () => {
    const guest = fakeGuest();
    const net = await VmNet.open('v', { mode: 'listen', address: '127.0.0.1:0' }, () => guest, () => {});
    const port = Number(net.address.split(':')[1]);
    const first = connect(port, '127.0.0.1');
    await waitFor('the first peer', () => net.connections === 1);
    const second = connect(port, '127.0.0.1');
    await waitFor('the second turned away', () => net.refused === 1);
    first.destroy();
    second.destroy();
    net.close();
    await expect(VmNet.open('v', { mode: 'listen', address: '10.1.2.3:7000' }, () => guest, () => {})).rejects.toThrow('is not a loopback address');
  });
});
