/**
 * The VMs one daemon hosts, on whichever monitors it was given (core's
 * VmHost: native, hosted — this file never knows which is which), and what
 * the control plane keeps beside each — the monitor it runs on, its
 * lifecycle (core/lifecycle.ts), the kernel it came from, its console output
 * and who follows it, the migration it is part of, and, for a guest a
 * migration could not complete, that it is lost and why.
 *
 * Every name the protocol shows comes from here, so `vm list` on two daemons
 * tells one consistent story: a guest is `running` on at most one of them.
 */
import type { Image } from '../../isa/image.js';
import { BootError } from '../../vm/bare.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { MonitorConfigError, type Guest, type MonitorKind, type VmHost } from '../core/host.js';
import { transition, type Lifecycle } from '../core/lifecycle.js';
import type { VmOutcome } from '../core/monitor-run.js';
import { VmStats } from '../core/stats.js';
import { ConsoleLog } from './console-log.js';
import type { MigrationPhase } from './engine.js';
import { ControlError } from './control-error.js';
import type { RestartInfo, VmInfo, VmMigrationInfo, VmState, VmStatsInfo } from './protocol.js';
import { describeDisk, type DiskInfo, type DiskRequest, type VmDisks } from './vm-disks.js';

/** Machine RAM a daemon reserves for its VMs, per monitor (shadow tables included). */
export const DEFAULT_CAPACITY = 256 * 1024 * 1024;

/** The monitors a daemon runs VMs on. */
export type Hosts = Readonly<Partial<Record<MonitorKind, VmHost>>>;

export interface RegistryOptions {
  readonly log?: (line: string) => void;
  /** A VM left this daemon's books (stopped, migrated away, discarded, lost): what else it held here goes. */
  readonly onGone?: (name: string) => void;
  /** Where VMs' disks come from (none: VMs get no disk). */
  readonly disks?: VmDisks;
}

export interface StartSpec {
  readonly name?: string;
  readonly kernel: string;
  readonly image: Image;
  readonly memSize: number;
  readonly share: number;
  readonly monitor: MonitorKind;
  /** Where its network device's bytes go (control/vm-net.ts). */
  readonly netOutput?: (bytes: Uint8Array) => void;
  readonly disk?: DiskRequest;
}

/** What the control plane keeps for one VM. */
export interface VmRecord {
  readonly name: string;
  /** The monitor it runs on here. */
  readonly monitor: MonitorKind;
  /** Where it is in its life: changed only through setLifecycle (the transition function). */
  lifecycle: Lifecycle;
  readonly kernel: string;
  readonly memSize: number;
  readonly share: number;
  readonly console: ConsoleLog;
  /** Called with a reason when the VM's console will say no more here. */
  readonly consoleEnders: Set<(reason: string) => void>;
  migration: VmMigrationInfo | undefined;
  /** The last thing worth saying about it (a migration that was aborted, and why). */
  note: string | undefined;
  /** Set once it cannot be completed anywhere. */
  lost: string | undefined;
  /** Counts kept when the VM leaves the monitor but the record stays (lost). */
  lastInstructions: number;
  lastVirtualTime: number;
  /** The kernel it booted here, for the debugger's symbols (none when it arrived by migration). */
  image?: Image;
  /** Set when it was restarted from a snapshot after its host died (snapshots.ts). */
  restarted?: RestartInfo;
}

/** Source-side phases in which the guest is still running here. */
const SOURCE_RUNNING: ReadonlySet<MigrationPhase> = new Set<MigrationPhase>(['setup', 'pre-copy']);
/** Destination-side phases before the guest first runs here. */
const DEST_ARRIVING: ReadonlySet<MigrationPhase> = new Set<MigrationPhase>(['setup', 'pre-copy', 'switchover']);

export class VmRegistry {
  /**
   * While set, no VM here is resumed (vm resume, a snapshot's resume after its
   * copy): why. A fleet's host sets it when it loses its lease (fencing: another
   * host may be restarting its VMs) and clears it once it has rejoined.
   */
  holdPaused: string | undefined;
  private readonly records = new Map<string, VmRecord>();
  private readonly log: (line: string) => void;
  private readonly onGone: (name: string) => void;
  /** Each VM's disk, opened at start and released when the VM is forgotten. */
  readonly disks: VmDisks | undefined;
  private serving: Promise<void> | undefined;

  /**
   * This daemon's HOST:PORT once it listens (set by the service): the
   * recovery command a paused source VM shows must name it with --connect,
   * or pasted elsewhere it would ask the default daemon.
   */
  address: string | undefined;

  constructor(
    readonly hosts: Hosts,
    options: RegistryOptions = {},
  ) {
    this.log = options.log ?? (() => {});
    this.onGone = options.onGone ?? (() => {});
    this.disks = options.disks;
    for (const host of Object.values(hosts)) host.onVmEnd = (name, outcome) => this.ended(name, outcome);
  }

  /** The monitors VMs can run on here, in a stable order. */
  get monitors(): MonitorKind[] {
    return (Object.keys(this.hosts) as MonitorKind[]).sort();
  }

  /** The host for a monitor kind, or a clear refusal. */
  hostFor(kind: MonitorKind): VmHost {
    const h = this.hosts[kind];
    if (!h) throw new ControlError('bad-request', `this daemon does not run ${kind} VMs (it runs ${this.monitors.join(', ')})`);
    return h;
  }

  /** The VM itself, while it is on its host here. */
  guest(rec: VmRecord): Guest | undefined {
    return this.hosts[rec.monitor]?.find(rec.name);
  }

  /** Run every monitor until close(). */
  serve(): Promise<void> {
    this.serving ??= Promise.all(Object.values(this.hosts).map((h) => h.serve())).then(() => undefined);
    return this.serving;
  }

  async close(): Promise<void> {
    for (const rec of this.records.values()) this.endConsole(rec, 'the daemon is shutting down');
    await Promise.all(Object.values(this.hosts).map((h) => h.close()));
    this.disks?.releaseAll();
    await this.serving;
  }

  /** Move a VM along its lifecycle (refused, with what is allowed, if the move is not one). */
  setLifecycle(rec: VmRecord, to: Lifecycle): void {
    rec.lifecycle = transition(rec.name, rec.lifecycle, to);
  }

  // ---- lifecycle ------------------------------------------------------------------

  start(spec: StartSpec): VmInfo {
    const name = spec.name ?? this.freeName();
    if (this.records.has(name)) throw new ControlError('name-taken', `a VM named ${name} already exists on this daemon (pick another --name)`);
    const host = this.hostFor(spec.monitor);
    const rec = this.newRecord(name, spec.monitor, spec.kernel, spec.memSize, spec.share);
    rec.image = spec.image;
    if (spec.disk && !this.disks) throw new ControlError('bad-request', 'this daemon gives its VMs no disks');
    const disk = spec.disk ? this.disks!.open(name, spec.disk) : undefined;
    try {
      host.add({
        name, image: spec.image, memSize: spec.memSize, share: spec.share, output: (b) => rec.console.write(b),
        ...(spec.netOutput ? { netOutput: spec.netOutput } : {}),
        ...(disk ? { disk: disk.backend } : {}),
      });
    } catch (e) {
      this.disks?.release(name);
      if (e instanceof MonitorConfigError) throw new ControlError('no-room', e.message);
      if (e instanceof BootError) throw new ControlError('bad-image', e.message);
      throw e;
    }
    this.setLifecycle(rec, 'running');
    this.records.set(name, rec);
    this.log(`${name}: started (${spec.kernel}, ${spec.memSize / 1024} KiB, ${spec.monitor} monitor${disk ? `, ${describeDisk(disk.info)}` : ''})`);
    return this.info(name);
  }

  /**
   * A VM brought back from a snapshot (snapshots.ts): created empty and paused
   * on its host (arriving, every page missing), filled by `fill`, then
   * running. If `fill` fails the VM goes and nothing is left of it.
   */
  async startRestored(
    spec: Omit<StartSpec, 'image' | 'disk'> & { readonly name: string; readonly disk?: (name: string) => { readonly backend: DiskBackend; readonly info: DiskInfo } },
    fill: (guest: Guest) => Promise<void>,
  ): Promise<VmRecord> {
    const { name } = spec;
    if (this.records.has(name)) throw new ControlError('name-taken', `a VM named ${name} already exists on this daemon (pick another --name)`);
    const host = this.hostFor(spec.monitor);
    const rec = this.newRecord(name, spec.monitor, spec.kernel, spec.memSize, spec.share);
    if (spec.disk && !this.disks) throw new ControlError('bad-request', 'this daemon gives its VMs no disks');
    // (the disk is opened, and a transient one filled, before the guest exists: it is there at its first instruction)
    const disk = spec.disk?.(name);
    let guest: Guest;
    try {
      guest = host.add({ name, memSize: spec.memSize, share: spec.share, output: (b) => rec.console.write(b), ...(disk ? { disk: disk.backend } : {}) });
    } catch (e) {
      this.disks?.release(name);
      if (e instanceof MonitorConfigError) throw new ControlError('no-room', e.message);
      throw e;
    }
    this.setLifecycle(rec, 'arriving');
    this.records.set(name, rec);
    try {
      await fill(guest);
    } catch (e) {
      this.records.delete(name);
      if (host.find(name) === guest) host.remove(name);
      this.disks?.release(name);
      throw e;
    }
    this.setLifecycle(rec, 'running');
    guest.resume();
    this.log(`${name}: restored (${spec.kernel}, ${spec.memSize / 1024} KiB, ${spec.monitor} monitor${disk ? `, ${describeDisk(disk.info)}` : ''})`);
    return rec;
  }

  /** A record for a guest arriving by migration (the engine creates the VM itself). */
  expectIncoming(name: string, monitor: MonitorKind, kernel: string, memSize: number, share: number, migration: VmMigrationInfo): VmRecord {
    if (this.records.has(name)) throw new ControlError('name-taken', `a VM named ${name} already exists on the destination daemon`);
    this.hostFor(monitor);
    const rec = this.newRecord(name, monitor, kernel, memSize, share);
    this.setLifecycle(rec, 'arriving');
    rec.migration = migration;
    this.records.set(name, rec);
    return rec;
  }

  stop(name: string): VmInfo {
    const rec = this.record(name);
    if (rec.migration && !rec.lost) throw new ControlError('bad-state', `${name} is part of a migration (${rec.migration.phase}); cancel it first (Ctrl-C on typevisor migrate)`);
    const info = this.info(name);
    this.forget(name, 'stopped');
    this.log(`${name}: stopped`);
    return info;
  }

  /** Drop a VM and its record: stopped, migrated away, or a copy that was discarded. */
  forget(name: string, consoleReason: string): void {
    const rec = this.records.get(name);
    if (!rec) return;
    if (this.guest(rec)) this.hostFor(rec.monitor).remove(name);
    this.disks?.release(name); // after the guest is off its host: no request of its can reach the disk now
    if (rec.lifecycle !== 'lost') this.setLifecycle(rec, 'stopped');
    this.endConsole(rec, consoleReason);
    this.records.delete(name);
    this.onGone(name);
  }

  async pause(name: string): Promise<VmInfo> {
    const rec = this.record(name);
    const guest = this.settled(rec, 'pause');
    if (rec.lifecycle === 'running') this.setLifecycle(rec, 'paused');
    await guest.pause();
    return this.info(name);
  }

  resume(name: string): VmInfo {
    const rec = this.record(name);
    if (this.holdPaused !== undefined) throw new ControlError('bad-state', `${name} stays paused: ${this.holdPaused}`);
    const guest = this.settled(rec, 'resume');
    if (rec.lifecycle === 'paused') this.setLifecycle(rec, 'running');
    guest.resume();
    return this.info(name);
  }

  input(name: string, bytes: Uint8Array | null): void {
    const rec = this.record(name);
    const guest = this.guest(rec);
    if (!guest) throw new ControlError('bad-state', `${name} is ${this.stateOf(rec)} here; its console takes no input`);
    guest.input(bytes);
  }

  /**
   * Plug a disk into a VM that has none, as it runs (hot-plug: its device's
   * CAPACITY changes from 0; a guest kernel that looks for its disk only at
   * boot will not see it).
   */
  attachDisk(name: string, req: DiskRequest): VmInfo {
    const rec = this.record(name);
    const guest = this.settled(rec, 'attach a disk to');
    if (!this.disks) throw new ControlError('bad-request', 'this daemon gives its VMs no disks');
    const disk = this.disks.open(name, req);
    guest.setDisk(disk.backend);
    this.log(`${name}: disk attached (${req.kind === 'volume' ? `volume ${req.name}` : req.kind})`);
    return this.info(name);
  }

  /** Pull a VM's disk out; only while it does not run (paused or off), so no write of its is cut short. */
  detachDisk(name: string): void {
    const rec = this.record(name);
    const state = this.stateOf(rec);
    if (state !== 'paused' && state !== 'off') {
      throw new ControlError('bad-state', `${name} is ${state}: pulling its disk out now could cut a write short; pause it first (typevisor vm pause ${name}) or stop it`);
    }
    this.guest(rec)?.setDisk(undefined);
    this.disks?.release(name);
    this.log(`${name}: disk detached`);
  }

  /** Keep the VM's counts in its record, for when the engine discards the VM but the record stays (lost). */
  remember(rec: VmRecord): void {
    const guest = this.guest(rec);
    if (!guest) return;
    rec.lastInstructions = guest.instructions;
    rec.lastVirtualTime = guest.time;
  }

  /** Mark a guest lost: it stays listed, with the reason, until vm stop. */
  markLost(name: string, reason: string): void {
    const rec = this.records.get(name);
    if (!rec) return;
    this.remember(rec);
    if (this.guest(rec)) this.hostFor(rec.monitor).remove(name);
    this.setLifecycle(rec, 'lost');
    rec.lost = reason;
    this.endConsole(rec, `lost: ${reason}`);
    this.onGone(name);
    this.log(`${name}: LOST: ${reason}`);
  }

  /**
   * Stop a VM that cannot go on here (a lazily restored guest whose memory
   * cannot be read from its file): it stays listed as off, with the reason,
   * until vm stop.
   */
  markFailed(name: string, reason: string): void {
    const rec = this.records.get(name);
    if (!rec || rec.lifecycle === 'lost' || rec.lifecycle === 'stopped' || rec.lifecycle === 'failed') return;
    this.remember(rec);
    if (this.guest(rec)) this.hostFor(rec.monitor).remove(name);
    this.setLifecycle(rec, 'failed');
    rec.note = reason;
    this.endConsole(rec, `failed: ${reason}`);
    this.log(`${name}: FAILED: ${reason}`);
  }

  // ---- looking ----------------------------------------------------------------------

  record(name: string): VmRecord {
    const rec = this.records.get(name);
    if (!rec) throw new ControlError('no-such-vm', `no VM named ${name} on this daemon${this.records.size > 0 ? ` (it has ${[...this.records.keys()].join(', ')})` : ''}`);
    return rec;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  list(): VmInfo[] {
    return [...this.records.keys()].map((n) => this.info(n));
  }

  info(name: string): VmInfo {
    const rec = this.record(name);
    const guest = this.guest(rec);
    const outcome = guest?.outcome();
    const state = this.stateOf(rec);
    const reason = rec.lost ?? outcomeReason(outcome) ?? this.pauseReason(rec, state) ?? rec.note;
    const disk = this.disks?.info(name);
    return {
      name,
      state,
      lifecycle: rec.lifecycle,
      monitor: rec.monitor,
      kernel: rec.kernel,
      memSize: rec.memSize,
      share: rec.share,
      instructions: guest ? guest.instructions : rec.lastInstructions,
      virtualTime: guest ? guest.time : rec.lastVirtualTime,
      ...(outcome?.kind === 'poweroff' ? { status: outcome.status } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(rec.migration ? { migration: rec.migration } : {}),
      ...(disk ? { disk } : {}),
      ...(rec.restarted ? { restarted: rec.restarted } : {}),
    };
  }

  stats(name: string): VmStatsInfo {
    const info = this.info(name);
    const rec = this.record(name);
    const guest = this.guest(rec);
    const s = guest?.stats();
    return {
      ...info,
      consoleBytes: rec.console.total,
      consoleFollowers: rec.console.followerCount,
      dirtyPages: guest ? guest.countDirty() : 0,
      counts: (s ?? new VmStats()).toRecord(),
    };
  }

  /**
   * Follow a VM's console (`at`: each chunk's offset in all it ever wrote).
   * History: what is kept, or from offset `since` on. `onEnd` is called once,
   * with why and the offset reached, when it will say no more here.
   */
  follow(name: string, history: boolean, onData: (b: Uint8Array, at: number) => void, onEnd: (reason: string, offset: number) => void, since?: number): () => void {
    const rec = this.record(name);
    if (history || since !== undefined) {
      const past = rec.console.since(since ?? 0);
      if (past.bytes.length > 0) onData(past.bytes, past.at);
    }
    const ended = this.endedReason(rec);
    if (ended !== undefined) {
      onEnd(ended, rec.console.total);
      return () => {};
    }
    const unfollow = rec.console.follow(onData);
    const ender = (reason: string): void => {
      unfollow();
      onEnd(reason, rec.console.total);
    };
    rec.consoleEnders.add(ender);
    return () => {
      unfollow();
      rec.consoleEnders.delete(ender);
    };
  }

  endConsole(rec: VmRecord, reason: string): void {
    rec.console.flush(); // the last bytes before the end reach the followers first
    const enders = [...rec.consoleEnders];
    rec.consoleEnders.clear();
    for (const e of enders) e(reason);
  }

  // ---- inside --------------------------------------------------------------------------

  /** What vm list shows: the lifecycle, with what the monitor says of a VM that is on it. */
  stateOf(rec: VmRecord): VmState {
    const m = rec.migration;
    switch (rec.lifecycle) {
      case 'lost':
        return 'lost';
      case 'stopped':
      case 'failed':
        return 'off';
      case 'arriving':
        if (!m || DEST_ARRIVING.has(m.phase)) return 'incoming';
        break;
      case 'migrating-out':
        if (m && SOURCE_RUNNING.has(m.phase)) return 'migrating';
        break;
      default:
        break;
    }
    const guest = this.guest(rec);
    if (!guest) return rec.lifecycle === 'arriving' ? 'incoming' : 'paused';
    switch (guest.state()) {
      case 'running':
      case 'waiting':
      case 'stalled':
        return 'running';
      case 'paused':
        return 'paused';
      default:
        return 'off';
    }
  }

  private pauseReason(rec: VmRecord, state: VmState): string | undefined {
    const m = rec.migration;
    if (state !== 'paused' || !m) return undefined;
    if (m.phase === 'interrupted') {
      return m.role === 'source'
        ? `${m.strategy} link to ${m.peer} lost; finish with: typevisor migrate ${rec.name} --recover --to ${m.peer}${this.address ? ` --connect ${this.address}` : ''}`
        : `${m.strategy} link to ${m.peer} lost; waiting for the source to reconnect (typevisor migrate ${rec.name} --recover)`;
    }
    if (m.role === 'source') return `switched over to ${m.peer}; serving its remaining pages`;
    return undefined;
  }

  /** Why a console has nothing more to say here, or undefined while it may. */
  private endedReason(rec: VmRecord): string | undefined {
    if (rec.lost !== undefined) return `lost: ${rec.lost}`;
    const o = this.guest(rec)?.outcome();
    return o ? (outcomeReason(o) ?? o.kind) : undefined;
  }

  private ended(name: string, outcome: VmOutcome): void {
    const rec = this.records.get(name);
    if (!rec) return;
    const why = outcomeReason(outcome) ?? outcome.kind;
    if (rec.lifecycle !== 'lost' && rec.lifecycle !== 'stopped') this.setLifecycle(rec, outcome.kind === 'failed' ? 'failed' : 'stopped');
    this.log(`${name}: ${why}`);
    this.endConsole(rec, why);
  }

  private settled(rec: VmRecord, what: string): Guest {
    if (rec.lost !== undefined) throw new ControlError('bad-state', `${rec.name} is lost (${rec.lost}); vm stop removes it`);
    if (rec.migration) throw new ControlError('bad-state', `cannot ${what} ${rec.name} during its migration (${rec.migration.phase})`);
    const guest = this.guest(rec);
    if (!guest) throw new ControlError('bad-state', `${rec.name} is not running here`);
    return guest;
  }

  private newRecord(name: string, monitor: MonitorKind, kernel: string, memSize: number, share: number): VmRecord {
    return { name, monitor, lifecycle: 'created', kernel, memSize, share, console: new ConsoleLog(), consoleEnders: new Set(), migration: undefined, note: undefined, lost: undefined, lastInstructions: 0, lastVirtualTime: 0 };
  }

  /** The name a VM started without one gets: vm1, vm2, … (the first free). */
  freeName(): string {
    for (let i = 1; ; i++) if (!this.records.has(`vm${i}`)) return `vm${i}`;
  }
}

function outcomeReason(o: VmOutcome | undefined): string | undefined {
  switch (o?.kind) {
    case undefined:
      return undefined;
    case 'poweroff':
      return `powered off, status ${o.status}`;
    case 'failed':
      return `stopped by the monitor: ${o.reason}`;
    case 'stuck':
      return `stuck: ${o.reason}`;
    case 'budget':
      return 'instruction limit reached';
  }
}
