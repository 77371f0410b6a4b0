/**
 * Host input on its way to a console device. The device's receive queue is
 * bounded (as a UART's FIFO is); what does not fit waits here until the guest
 * has read enough, so a large paste or a piped file loses nothing.
 */
import type { ConsoleDevice } from './console.js';

export class ConsoleFeeder {
  private readonly pending: Uint8Array[] = [];
  /** No more input will come (stdin ended). */
  closed = true;

  constructor(private readonly console: ConsoleDevice) {}

  /** Queue host bytes; `null` means input has ended. */
  push(bytes: Uint8Array | null): void {
    if (bytes === null) {
      this.closed = true;
      this.pump();
      return;
    }
    this.closed = false;
    if (bytes.length > 0) this.pending.push(bytes.slice());
    this.pump();
  }

  /** Move as much as fits into the device. */
  pump(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const took = this.console.input(head);
      if (took === head.length) this.pending.shift();
      else {
        this.pending[0] = head.subarray(took);
        return;
      }
    }
    // Everything delivered and nothing more to come: tell the device.
    if (this.closed && this.pending.length === 0) this.console.endInput();
  }

  /** Input is buffered here or may still arrive. */
  get live(): boolean {
    return !this.closed || this.pending.length > 0;
  }
}
