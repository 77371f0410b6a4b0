/**
 * Network: one byte-stream connection at a time — a second UART whose far
 * end is a peer that comes and goes.
 *
 *   +0x00 TX      write: send the low byte to the peer (dropped when none is connected)
 *   +0x04 RX      read: the next received byte, or -1 when the queue is empty
 *   +0x08 STATUS  read: bit 0 a byte is waiting, bit 1 the transmitter is ready
 *                 (a peer is connected), bit 2 a peer is connected, bit 3 the
 *                 peer closed the connection (set until the next one opens).
 *                 Reading STATUS acknowledges the connection-change interrupt.
 *   +0x0c CTRL    read/write: bit 0 raise the network interrupt while a byte is
 *                 waiting or the connection changed since STATUS was last read
 *
 * The interrupt is level-triggered, as the console's is: a driver that leaves
 * bytes in the queue must switch it off (CTRL = 0) until it can take them, or
 * it fires again at once.
 *
 * The host side (a NetBackend: the hosted monitor's TCP socket) calls
 * connect(), receive() and peerClosed(); transmitted bytes go to its
 * `transmit`. Without a backend the device is a card with no cable: never
 * connected, nothing received. The queue, the flags and the counters are its
 * whole state; the connection itself is a host resource, re-bound (or not)
 * wherever the state is restored.
 */
import { Irq } from '../../isa/csr.js';
import { NET_BASE } from '../memmap.js';
import type { Device, DeviceHost } from '../device.js';

export const NET_TX = 0x00;
export const NET_RX = 0x04;
export const NET_STATUS = 0x08;
export const NET_CTRL = 0x0c;

export const NET_STATUS_RX = 1;
export const NET_STATUS_TX_READY = 2;
export const NET_STATUS_CONNECTED = 4;
export const NET_STATUS_CLOSED = 8;

/** Largest receive queue the device keeps; further bytes wait in the host. */
export const NET_QUEUE_MAX = 4096;

/** A network device's whole state. */
export interface NetState {
  /** The receive queue, oldest byte first (at most NET_QUEUE_MAX). */
  readonly rx: Uint8Array;
  /** CTRL bit 0. */
  readonly irqEnabled: boolean;
  readonly connected: boolean;
  /** The peer went away. */
  readonly closed: boolean;
  /** The connection changed and STATUS has not been read since. */
  readonly changed: boolean;
  /** Statistics: bytes sent, received, and sent while nobody was connected. */
  readonly transmitted: number;
  readonly received: number;
  readonly dropped: number;
}

/** Where transmitted bytes go (the host's end of the connection). */
export interface NetBackend {
  transmit(byte: number): void;
}

export class NetDevice implements Device<NetState> {
  readonly name = 'net';
  readonly base = NET_BASE;
  private host: DeviceHost | undefined;
  private rx: number[] = [];
  private irqEnabled = false;
  private connected = false;
  private closed = false;
  /** The connection changed and STATUS has not been read since (it holds the interrupt up). */
  private changed = false;
  /** Bytes sent and received, and sent while nobody was connected. */
  transmitted = 0;
  received = 0;
  dropped = 0;

  constructor(private backend: NetBackend | undefined = undefined) {}

  attach(host: DeviceHost): void {
    this.host = host;
  }

  /** Re-bind the host end (after a restore elsewhere). */
  setBackend(backend: NetBackend | undefined): void {
    this.backend = backend;
  }

  // ---- the host's side ---------------------------------------------------------

  /** A peer connected: a fresh connection, nothing closed. */
  connect(): void {
    this.connected = true;
    this.closed = false;
    this.changed = true;
    this.updateIrq();
  }

  /** Bytes from the peer. Returns how many were taken (the queue is bounded). */
  receive(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, NET_QUEUE_MAX - this.rx.length);
    for (let i = 0; i < n; i++) this.rx.push(bytes[i]!);
    this.received += n;
    this.updateIrq();
    return n;
  }

  /** The peer went away (or the connection failed): nothing more will come on it. */
  peerClosed(): void {
    this.connected = false;
    this.closed = true;
    this.changed = true;
    this.updateIrq();
  }

  get pendingInput(): number {
    return this.rx.length;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Every received byte has been read and every connection change seen (STATUS read since). */
  get settled(): boolean {
    return this.rx.length === 0 && !this.changed;
  }

  // ---- the guest's side ---------------------------------------------------------

  read(offset: number): number {
    switch (offset) {
      case NET_RX: {
        const b = this.rx.shift();
        this.updateIrq();
        return b ?? -1;
      }
      case NET_STATUS: {
        if (this.changed) {
          this.changed = false;
          this.updateIrq();
        }
        return (this.rx.length > 0 ? NET_STATUS_RX : 0) | (this.connected ? NET_STATUS_TX_READY | NET_STATUS_CONNECTED : 0) | (this.closed ? NET_STATUS_CLOSED : 0);
      }
      case NET_CTRL:
        return this.irqEnabled ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, value: number): void {
    if (offset === NET_TX) {
      if (this.connected && this.backend) {
        this.transmitted++;
        this.backend.transmit(value & 0xff);
      } else this.dropped++;
    } else if (offset === NET_CTRL) {
      this.irqEnabled = (value & 1) !== 0;
      this.updateIrq();
    }
  }

  save(): NetState {
    return {
      rx: Uint8Array.from(this.rx),
      irqEnabled: this.irqEnabled,
      connected: this.connected,
      closed: this.closed,
      changed: this.changed,
      transmitted: this.transmitted,
      received: this.received,
      dropped: this.dropped,
    };
  }

  restore(state: NetState): void {
    this.rx = Array.from(state.rx);
    this.irqEnabled = state.irqEnabled;
    this.connected = state.connected;
    this.closed = state.closed;
    this.changed = state.changed;
    this.transmitted = state.transmitted;
    this.received = state.received;
    this.dropped = state.dropped;
    this.updateIrq();
  }

  private updateIrq(): void {
    if (!this.host) return;
    if (this.irqEnabled && (this.rx.length > 0 || this.changed)) this.host.raiseIrq(Irq.NET);
    else this.host.lowerIrq(Irq.NET);
  }
}
