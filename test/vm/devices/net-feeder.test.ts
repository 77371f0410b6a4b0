/**
 * The network device's events, split where a VM leaves: what the device
 * holds goes in its saved state, what still waits in the feeder is taken back
 * (`take`) and given to the feeder beside the restored device. The guest must
 * read the same bytes as if the VM had never moved — none lost, none twice.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NET_RX, NET_STATUS, NET_STATUS_CLOSED, NetDevice } from '../../../vm/devices/net.js';
import { NetFeeder, type NetEvent } from '../../../vm/devices/net-feeder.js';

/** Read up to `n` bytes the device holds. */
function readBytes(net: NetDevice, n: number, into: number[]): void {
  for (let i = 0; i < n; i++) {
    const b = net.read(NET_RX);
    if (b < 0) return;
    into.push(b);
  }
}

describe('NetFeeder across a move', () => {
  test('frozen while paused: events queue, none reach the device', () => {
    const net = new NetDevice({ transmit: () => undefined });
    const feeder = new NetFeeder(net);
    feeder.frozen = true;
    feeder.push({ kind: 'connected' });
    feeder.push({ kind: 'data', bytes: Uint8Array.of(1, 2, 3) });
    expect(net.pendingInput).toBe(0);
    expect(net.isConnected).toBe(false);
    const taken = feeder.take();
    expect(taken).toEqual([{ kind: 'connected' }, { kind: 'data', bytes: Uint8Array.of(1, 2, 3) }]);
    expect(feeder.pending).toBe(false);
  });

  test('property: save the device, take the feeder, restore both elsewhere: the guest reads every byte once, in order', () => {
    const chunk = fc.uint8Array({ minLength: 1, maxLength: 3000 });
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(5000), { minLength: 1, maxLength: 30 }), fc.nat(), (chunks, reads, cut) => {
        const events: NetEvent[] = [{ kind: 'connected' }, ...chunks.map((bytes) => ({ kind: 'data' as const, bytes })), { kind: 'closed' }];
        const at = cut % (events.length + 1);
        const read: number[] = [];
        // The source: events up to the cut arrive, the guest reads some as they do.
        const a = new NetDevice({ transmit: () => undefined });
        const fa = new NetFeeder(a);
        events.slice(0, at).forEach((e, i) => {
          fa.push(e);
          readBytes(a, reads[i % reads.length]!, read);
          fa.pump();
        });
        // It pauses and leaves: the device's state and the feeder's events go.
        fa.frozen = true;
        const state = a.save();
        const taken = fa.take();
        // The destination: the device restored, the taken events first, then the rest.
        const b = new NetDevice({ transmit: () => undefined });
        b.restore(state);
        const fb = new NetFeeder(b);
        for (const e of [...taken, ...events.slice(at)]) fb.push(e);
        for (let guard = 0; fb.pending || b.pendingInput > 0; guard++) {
          readBytes(b, 4096, read);
          fb.pump();
          if (guard > 10_000) throw new Error('the feeder never drained');
        }
        expect(Buffer.from(read).equals(Buffer.concat(chunks))).toBe(true);
        expect(b.read(NET_STATUS) & NET_STATUS_CLOSED).toBe(NET_STATUS_CLOSED);
      }),
      { numRuns: 200 },
    );
  });
});
