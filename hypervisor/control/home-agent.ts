/**
 * The home agent (as in Mobile IP): what a daemon keeps of a VM's network
 * after the VM has migrated away from it. The guest's clients know this
 * daemon's address; the agent keeps it working for them:
 *
 *   - the connection open at the moment of the move stays here — its socket
 *     is the client's, and TCP cannot move — and its bytes are relayed, both
 *     ways, to the daemon the VM went to, over a control connection that
 *     `vm.net.attach` turns into a raw byte pipe; it lasts until either end
 *     closes;
 *   - the listener stays open too: a client that connects to the old address
 *     after the move is relayed the same way, as a new connection (the
 *     destination also listens on an address of its own, for new clients).
 *
 * The agent stops listening as soon as the daemon the VM went to no longer
 * has it (stopped there, or gone from there without a forwarding address),
 * and when this daemon shuts down. A VM that migrates on (A → B → C) leaves
 * a chain: B's agent forwards what A's relays to it.
 *
 * No byte is lost or repeated across the move: the events the guest had not
 * yet taken at its last pause travel first (in the attach request), and the
 * client's socket was paused from that moment, so its later bytes follow in
 * order; what the guest sends on the destination before the relay is up
 * waits there (VmNet.expectCarried).
 */
import type { Server, Socket } from 'node:net';
import type { NetEvent } from '../core/host.js';
import { formatAddress, type Address } from './address.js';
import { ControlClient } from './client.js';
import { ControlError } from './control-error.js';
import type { NetAttachParams, NetEventWire } from './protocol.js';
import type { ClientTls } from './tls.js';

export interface HomeAgentConfig {
  readonly name: string;
  /** The daemon the VM went to. */
  readonly to: Address;
  /** Its token (the one the migration presented). */
  readonly token: string;
  readonly tls?: ClientTls;
  readonly log: (line: string) => void;
}

export class HomeAgent {
  /** Connections open at the move, relayed since. */
  carried = 0;
  /** Connections made to the old address after the move, relayed since. */
  forwarded = 0;
  private listener: Server | undefined;
  private readonly open = new Set<Socket>();

  constructor(private readonly config: HomeAgentConfig) {}

  /** Keep `listener` (the VM's old one) open, relaying each new peer. */
  keep(listener: Server | undefined): void {
    this.listener = listener;
    listener?.on('connection', (s: Socket) => {
      s.pause();
      void this.relay({ name: this.config.name, events: [], socket: 'new' }, s).then((ok) => {
        if (ok) this.forwarded++;
      });
    });
  }

  /** The events and connection the VM left behind go to it. Resolves with whether a connection is relayed. */
  async carry(events: readonly NetEvent[], connection: Socket | undefined): Promise<boolean> {
    const wire = events.map(toWire);
    const ok = await this.relay({ name: this.config.name, events: wire, socket: connection ? 'carried' : 'none' }, connection);
    if (ok && connection) this.carried++;
    return ok && connection !== undefined;
  }

  /**
   * Relay `socket` (or only `params.events`) to where the VM went; false if
   * that failed (the socket is closed then: its peer sees the connection end).
   */
  async relay(params: NetAttachParams, socket: Socket | undefined): Promise<boolean> {
    const { name, to, token, tls, log } = this.config;
    let client: ControlClient | undefined;
    try {
      client = await ControlClient.connect({ address: to, token, client: 'daemon', ...(tls ? { tls } : {}) });
      const channel = await client.attachNet(params);
      if (!channel) {
        client.close();
        return true;
      }
      if (socket) splice(socket, channel, this.open);
      return true;
    } catch (e) {
      client?.close();
      socket?.destroy();
      const why = e instanceof Error ? e.message : String(e);
      log(`${name}: net: could not relay a connection to ${formatAddress(to)}: ${why}`);
      // The VM is not there any more (and no forwarding address): nobody to relay to.
      if (e instanceof ControlError && (e.code === 'no-such-vm' || e.code === 'no-daemon')) this.stopListening();
      return false;
    }
  }

  /** Stop accepting new peers at the old address (relayed connections go on until they close). */
  stopListening(): void {
    this.listener?.close();
    this.listener = undefined;
  }

  /** The daemon shuts down: everything goes. */
  close(): void {
    this.stopListening();
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  describe(): string {
    return `home agent for ${this.config.name} (at ${formatAddress(this.config.to)}): ${this.carried} connection${this.carried === 1 ? '' : 's'} carried over, ${this.forwarded} forwarded from the old address${this.listener ? '' : ' (no longer listening)'}`;
  }
}

/** Join two sockets: each one's bytes go to the other, and either's end ends both. */
export function splice(a: Socket, b: Socket, open: Set<Socket>): void {
  for (const s of [a, b]) {
    open.add(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.once('close', () => open.delete(s));
  }
  a.pipe(b);
  b.pipe(a);
  a.once('close', () => b.end());
  b.once('close', () => a.end());
  a.resume();
  b.resume();
}

export function toWire(e: NetEvent): NetEventWire {
  return e.kind === 'data' ? { kind: 'data', data: Buffer.from(e.bytes).toString('base64') } : { kind: e.kind };
}

export function fromWire(e: NetEventWire): NetEvent {
  return e.kind === 'data' ? { kind: 'data', bytes: new Uint8Array(Buffer.from(e.data, 'base64')) } : { kind: e.kind };
}
