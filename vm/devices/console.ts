/**
 * Console: a byte-wide transmitter and a receive queue with an interrupt.
 *
 *   +0x00 TX      write: send the low byte
 *   +0x04 RX      read: the next received byte, or -1 when the queue is empty
 *   +0x08 STATUS  read: bit 0 a byte is waiting, bit 1 the transmitter is ready (always),
 *                 bit 2 input has ended (the host closed it) and the queue is empty.
 *                 Reading STATUS acknowledges the end-of-input interrupt.
 *   +0x0c CTRL    read/write: bit 0 raise the console interrupt while a byte is waiting
 *
 * Received bytes come from the host (`input()`); transmitted bytes go to the
 * host's sink. When the host's input ends (`endInput()`), the device raises its
 * interrupt once more so a driver waiting for input learns there will be none.
 * The queue, the control bit and the end-of-input flags are its whole state.
 */
import { Irq } from '../../isa/csr.js';
import { CONSOLE_BASE } from '../memmap.js';
import type { Device, DeviceHost } from '../device.js';

export const CONSOLE_TX = 0x00;
export const CONSOLE_RX = 0x04;
export const CONSOLE_STATUS = 0x08;
export const CONSOLE_CTRL = 0x0c;

/** Largest receive queue the device keeps; further input waits in the host. */
export const CONSOLE_QUEUE_MAX = 4096;

export type ConsoleSink = (byte: number) => void;

/** A console's whole state. */
export interface ConsoleState {
  /** The receive queue, oldest byte first (at most CONSOLE_QUEUE_MAX). */
  readonly rx: Uint8Array;
  /** CTRL bit 0. */
  readonly irqEnabled: boolean;
  /** The host's input has ended. */
  readonly ended: boolean;
  /** The end has not been acknowledged by a STATUS read yet. */
  readonly endPending: boolean;
  /** Bytes sent (statistics). */
  readonly transmitted: number;
}

export class ConsoleDevice implements Device<ConsoleState> {
  readonly name = 'console';
  readonly base = CONSOLE_BASE;
  private host: DeviceHost | undefined;
  private rx: number[] = [];
  private irqEnabled = false;
  /** The host's input has ended. */
  private ended = false;
  /** The end has not been acknowledged by a STATUS read yet (it holds the interrupt up). */
  private endPending = false;
  /** Bytes sent, for statistics. */
  transmitted = 0;

  constructor(private sink: ConsoleSink = () => {}) {}

  attach(host: DeviceHost): void {
    this.host = host;
  }

  setSink(sink: ConsoleSink): void {
    this.sink = sink;
  }

  /** Queue bytes from the host. Returns how many were taken (the queue is bounded). */
  input(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, CONSOLE_QUEUE_MAX - this.rx.length);
    for (let i = 0; i < n; i++) this.rx.push(bytes[i]!);
    this.updateIrq();
    return n;
  }

  /** No more input will come (stdin closed). */
  endInput(): void {
    if (this.ended) return;
    this.ended = true;
    this.endPending = true;
    this.updateIrq();
  }

  get pendingInput(): number {
    return this.rx.length;
  }

  read(offset: number): number {
    switch (offset) {
      case CONSOLE_RX: {
        const b = this.rx.shift();
        this.updateIrq();
        return b ?? -1;
      }
      case CONSOLE_STATUS: {
        const endedNow = this.ended && this.rx.length === 0;
        if (endedNow && this.endPending) {
          this.endPending = false;
          this.updateIrq();
        }
        return (this.rx.length > 0 ? 1 : 0) | 2 | (endedNow ? 4 : 0);
      }
      case CONSOLE_CTRL:
        return this.irqEnabled ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, value: number): void {
    if (offset === CONSOLE_TX) {
      this.transmitted++;
      this.sink(value & 0xff);
    } else if (offset === CONSOLE_CTRL) {
      this.irqEnabled = (value & 1) !== 0;
      this.updateIrq();
    }
  }

  save(): ConsoleState {
    return { rx: Uint8Array.from(this.rx), irqEnabled: this.irqEnabled, ended: this.ended, endPending: this.endPending, transmitted: this.transmitted };
  }

  restore(state: ConsoleState): void {
    this.rx = Array.from(state.rx);
    this.irqEnabled = state.irqEnabled;
    this.ended = state.ended;
    this.endPending = state.endPending;
    this.transmitted = state.transmitted;
    this.updateIrq();
  }

  private updateIrq(): void {
    if (!this.host) return;
    if (this.irqEnabled && (this.rx.length > 0 || (this.endPending && this.ended))) this.host.raiseIrq(Irq.CONSOLE);
    else this.host.lowerIrq(Irq.CONSOLE);
  }
}
