/**
 * The network side of a daemon's VMs: each VM's host end (VmNet), the home
 * agents of VMs that left (HomeAgent), and the relayed connections arriving
 * for VMs that came here (`vm.net.attach`). The registry keeps the VMs; this
 * keeps their connections; migrations.ts tells it when a VM leaves, stays or
 * arrives.
 */
import type { Socket } from 'node:net';
import type { Guest } from '../core/host.js';
import { parseAddress } from './address.js';
import { ControlError } from './control-error.js';
import { fromWire, HomeAgent } from './home-agent.js';
import type { NetAttachParams, NetSpec } from './protocol.js';
import type { ClientTls } from './tls.js';
import { VmNet } from './vm-net.js';

/** Where a migrating VM's destination listens unless told: loopback, any free port. */
export const DEFAULT_NET_LISTEN = '127.0.0.1:0';

export class NetPlane {
  private readonly nets = new Map<string, VmNet>();
  private readonly agents = new Map<string, HomeAgent>();

  constructor(
    private readonly guestOf: (name: string) => Guest | undefined,
    private readonly log: (line: string) => void,
    private readonly tls?: ClientTls,
  ) {}

  /** Cable a VM (before it starts, so a listener that cannot bind refuses the start). */
  async open(name: string, spec: NetSpec, dial = true): Promise<VmNet> {
    this.drop(name);
    const net = await VmNet.open(name, spec, () => this.guestOf(name), this.log, dial);
    this.nets.set(name, net);
    if (spec.mode === 'listen') this.log(`${name}: net: listening on ${net.address}`);
    return net;
  }

  /** Where a VM's device sends its bytes (whatever VmNet it has when they come). */
  sink(name: string): (bytes: Uint8Array) => void {
    return (bytes) => this.nets.get(name)?.fromGuest(bytes);
  }

  has(name: string): boolean {
    return this.nets.has(name);
  }

  /** The VM is gone from here (stopped, discarded, lost): its listener and connection close. */
  drop(name: string): void {
    this.nets.get(name)?.close();
    this.nets.delete(name);
  }

  describe(name: string): string | undefined {
    return this.nets.get(name)?.describe();
  }

  /** What a migration's destination is to listen on: the spec for IncomingParams.net. */
  specFor(name: string, netListen: string | undefined): NetSpec | undefined {
    const net = this.nets.get(name);
    if (!net) return undefined;
    if (net.mode === 'connect') return { mode: 'connect', address: net.address };
    return { mode: 'listen', address: netListen ?? DEFAULT_NET_LISTEN };
  }

  // ---- a VM leaving ---------------------------------------------------------------------

  /** Its last pause here: hold its connection events. */
  hold(name: string, guest: Guest): Promise<void> {
    return this.nets.get(name)?.hold(guest) ?? Promise.resolve();
  }

  /** It stays (the migration failed): the held events go to it. */
  release(name: string, guest: Guest | undefined): void {
    if (guest) this.nets.get(name)?.release(guest);
  }

  /**
   * It runs at `to` now: its events, connection and listener go to a home
   * agent that relays them there. Resolves with the connections relayed.
   */
  async handOff(name: string, to: string, token: string): Promise<{ relayed: number; listen: string | undefined } | undefined> {
    const net = this.nets.get(name);
    if (!net) return undefined;
    this.nets.delete(name);
    const out = net.handOff();
    this.agents.get(name)?.stopListening();
    const agent = new HomeAgent({ name, to: parseAddress(to), token, log: this.log, ...(this.tls ? { tls: this.tls } : {}) });
    this.agents.set(name, agent);
    agent.keep(out.listener);
    const relayed = await agent.carry(out.events, out.connection);
    this.log(`${name}: net: ${relayed ? '1 connection' : 'no connection'} relayed to ${to}${out.listen ? `; ${out.listen} forwards new ones there` : ''}`);
    return { relayed: relayed ? 1 : 0, listen: out.listen };
  }

  // ---- a VM arriving -----------------------------------------------------------------------

  /**
   * Cable an arriving VM as its source was; a connection may be on its way.
   * One that connected out does not connect again from here: its one
   * connection is the source's, relayed.
   */
  async arriving(name: string, spec: NetSpec | undefined): Promise<VmNet | undefined> {
    if (!spec) return undefined;
    const net = await this.open(name, spec, spec.mode === 'listen');
    net.expectCarried();
    return net;
  }

  /**
   * `vm.net.attach`: for a VM here, its events and connection; for one that
   * left, relayed on to where it went. Throws (before the socket is taken)
   * if neither.
   */
  attach(p: NetAttachParams): (socket: Socket | undefined) => void {
    const net = this.nets.get(p.name);
    if (net) return (socket) => net.attach(p.events.map(fromWire), socket, p.socket);
    const agent = this.agents.get(p.name);
    if (agent) return (socket) => void agent.relay(p, socket);
    throw new ControlError('no-such-vm', `no VM named ${p.name} with a network device on this daemon`);
  }

  close(): void {
    for (const n of this.nets.values()) n.close();
    for (const a of this.agents.values()) a.close();
    this.nets.clear();
    this.agents.clear();
  }
}
