/**
 * The network connection's events on their way to the NetDevice, in the
 * order the host saw them: connected, bytes, closed — and perhaps another
 * connection after that.
 *
 * The device's receive queue is bounded, so bytes that do not fit wait here.
 * A new connection waits too, until the guest has taken every byte of the
 * old one and seen it close (read STATUS): otherwise the new peer's bytes
 * would run on from the old peer's and the guest would never see the end of
 * the first stream.
 *
 * What waits here is not part of the device's state (a snapshot of the VM
 * does not have it): a monitor stops pumping while its VM is paused, so that
 * the events still here when the VM leaves can be taken back (`take`) and
 * handed, in order, to wherever the VM goes next.
 */
import type { NetDevice } from './net.js';

export type NetEvent =
  | { readonly kind: 'connected' }
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'closed' };

export class NetFeeder {
  private readonly queue: NetEvent[] = [];
  /** Set while the VM is paused: events queue up, none reach the device. */
  frozen = false;

  constructor(private readonly net: NetDevice) {}

  push(event: NetEvent): void {
    this.queue.push(event);
    this.pump();
  }

  /** Deliver what the device can take now. */
  pump(): void {
    if (this.frozen) return;
    while (this.queue.length > 0) {
      const e = this.queue[0]!;
      if (e.kind === 'data') {
        const took = this.net.receive(e.bytes);
        if (took < e.bytes.length) {
          this.queue[0] = { kind: 'data', bytes: e.bytes.subarray(took) };
          return;
        }
      } else if (e.kind === 'closed') {
        this.net.peerClosed();
      } else {
        if (!this.net.settled) return;
        this.net.connect();
      }
      this.queue.shift();
    }
  }

  /** Events are still waiting for the device. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Every event not yet delivered, oldest first; none wait here afterwards. */
  take(): NetEvent[] {
    return this.queue.splice(0).map((e) => (e.kind === 'data' ? { kind: 'data', bytes: e.bytes.slice() } : e));
  }
}
