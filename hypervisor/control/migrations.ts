/**
 * Migrations between daemons, end to end. The engine (hypervisor/migration)
 * moves the guest; this file makes each daemon's books agree with what it
 * did, whatever happens to the other daemon or the link:
 *
 *   source daemon                                   destination daemon
 *   migrate {name, to, …} from the CLI
 *     ├─ connect, hello with the destination's token ──▶ welcome
 *     ├─ migration.incoming {name, strategy, …} ───────▶ record "incoming"
 *     │◀──────────────────────────────────────────────── ok; the socket is now
 *     │  OutgoingMigration.run ◀══ engine frames ══▶ IncomingMigration.run
 *     ├─ completed: forget the VM here; migration.finish {console} ──▶ keep it
 *     ├─ aborted: the guest runs here, unchanged; the reason is noted ──▶ discard
 *     ├─ interrupted (the link lost after the switchover): kept for --recover
 *     └─ lost: listed as lost, with the reason, on whichever side knows
 *
 * An interrupted migration is finished by `migrate.recover` (a new channel
 * with recover: true, routed to the IncomingMigration waiting for it). If the
 * destination daemon is gone, the guest is lost (its CPU state was there); if
 * the source daemon is gone, the destination is told (`migration.abandon`)
 * and keeps the guest only if it already has every page.
 *
 * A VM's disk (--disk-mode): copied, its sectors moved by the engine with
 * the memory, by the strategy's own logic (source-disk.ts reads them from
 * the dirty-sector log and the file; the destination's ArrivingDisk takes
 * them, and in post-copy makes a guest read wait for a sector still on the
 * source); or, a file both daemons see, shared: nothing is sent, the
 * destination opens the same file. The destination plugs it into the VM the
 * engine creates (disk-host.ts); a copied volume or file becomes the
 * destination's at the commit point (VmDisks.commitArrival).
 */
import type { Socket } from 'node:net';
import { statSync } from 'node:fs';
import { SECTOR_SIZE as SECTOR_BYTES } from '../../vm/devices/disk.js';
import { FileSourceDisk } from './source-disk.js';
import { formatAddress, parseAddress, sameEndpoint, AddressError, type Address } from './address.js';
import { ControlClient } from './client.js';
import { DiskGivingHost } from './disk-host.js';
import type { OpContext } from './daemon.js';
import { ArrivingDisk, IncomingMigration, OutgoingMigration, TcpTransport, WallClock, type DiskReport, type IncomingOutcome, type MigrationEvent, type MigrationOutcome, type MigrationPhase } from './engine.js';
import { ControlError } from './control-error.js';
import { destinationFate } from './destination-fate.js';
import type { VmRecord, VmRegistry } from './registry.js';
import type { ClientTls } from './tls.js';
import type { NetPlane } from './net-plane.js';
import type { Forwarding } from './forwarding.js';
import type { FleetHooks } from './fleet-hooks.js';
import { migrateRequestOptions, type DiskMode, type AbandonParams, type FinishParams, type IncomingParams, type MigrateParams, type RecoverParams, type Result, type VmInfo } from './protocol.js';
import { describeDisk, type DiskInfo, type MovingDisk } from './vm-disks.js';

interface Outgoing {
  readonly migration: OutgoingMigration;
  readonly peer: string;
}

export class MigrationDriver {
  /** Migrations out of this daemon, by VM name, while they run or wait for --recover. */
  private readonly outgoing = new Map<string, Outgoing>();
  /** Migrations into this daemon, by VM name. */
  private readonly incoming = new Map<string, IncomingMigration>();
  /** What each VM migrating out was before (an aborted migration leaves it so). */
  private readonly resumeAs = new Map<string, 'running' | 'paused'>();
  /** The token each destination took (for the console hand-over after a completed migration). */
  private readonly peerTokens = new Map<string, string>();
  /** VMs leaving: their connection events held since the switchover (net-plane.ts). */
  private readonly netHeld = new Map<string, Promise<void>>();
  /** VMs gone: their connections handed to a home agent (at the first sign the guest runs at the destination). */
  private readonly netLeft = new Map<string, Promise<{ relayed: number; listen: string | undefined } | undefined>>();
  /** VMs leaving with a shared disk: what the report says of it (a copied disk the engine reports itself). */
  private readonly diskShared = new Map<string, DiskReport>();

  constructor(
    private readonly host: VmRegistry,
    /** This daemon's HOST:PORT, as the destination will list it. */
    private readonly self: string,
    private readonly log: (line: string) => void,
    /** A daemon with TLS reaches other daemons with it: its certificate as the client's, its CA to check theirs. */
    private readonly tls?: ClientTls,
    /** The VMs' connections: held at the switchover, relayed once the guest runs elsewhere, released if it stays. */
    private readonly net?: NetPlane,
    /** Where VMs that left went (for clients that ask here later). */
    private readonly forwarding?: Forwarding,
    /** In a fleet: the directory entry moves at the commit point, or the migration aborts. */
    private readonly fleet?: FleetHooks,
    /**
     * A migration channel on which nothing has moved for this long while one
     * side waits is dropped (serve --migration-idle-timeout): a source that
     * went quiet mid-frame cannot hold an arriving copy here for ever.
     */
    private readonly idleMs: number = DEFAULT_MIGRATION_IDLE_MS,
  ) {}

  private connect(address: Address, token: string, connectTimeoutMs?: number): Promise<ControlClient> {
    return ControlClient.connect({ address, token, client: 'daemon', ...(this.tls ? { tls: this.tls } : {}), ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}) });
  }

  // ---- source side ---------------------------------------------------------------------

  async migrate(p: MigrateParams, ctx: OpContext): Promise<Result<'migrate'>> {
    const to = this.peerAddress(p.to);
    const peer = formatAddress(to);
    if (sameEndpoint(to, parseAddress(this.self))) throw new ControlError('bad-request', `${peer} is this daemon: migrate to another one`);
    const rec = this.host.record(p.name);
    const state = this.host.stateOf(rec);
    if (rec.migration) throw new ControlError('bad-state', `${p.name} is already migrating (${rec.migration.phase} to ${rec.migration.peer})`);
    if (state !== 'running' && state !== 'paused') throw new ControlError('bad-state', `${p.name} is ${state}: only a running or paused VM can migrate`);
    // (a VM restored lazily: the pages not read from its snapshot yet would leave as zeros)
    const loading = this.host.guest(rec)?.missingCount ?? 0;
    if (loading > 0) throw new ControlError('bad-state', `${p.name} still has ${loading} pages to load from its snapshot; migrate it once they are here`);
    // The disk: copied (its sectors go with the memory, by the strategy's logic) or shared
    // (nothing sent: the same file there, its ownership moving at the commit point).
    const disk = this.host.disks?.info(p.name);
    const diskMode: DiskMode = p.diskMode ?? 'copy';
    const moving = disk ? movingDisk(p.name, disk, diskMode) : undefined;

    await this.fleet?.prepare(p.name, peer);
    ctx.emit({ kind: 'status', message: `connecting to ${peer}` });
    const netSpec = this.net?.specFor(p.name, p.netListen);
    let socket: Socket;
    const copied = moving && diskMode === 'copy' ? this.host.disks?.forCopy(p.name) : undefined;
    if (moving && diskMode === 'copy' && !copied) throw new ControlError('bad-state', `${p.name}'s disk is not open here`);
    if (moving) {
      ctx.emit({
        kind: 'status',
        message: diskMode === 'shared'
          ? `${p.name}'s disk ${describeDisk(disk!)} is shared: the destination opens the same file`
          : `${p.name}'s ${disk!.kind} disk (${moving.sectors} sectors) goes with its memory, ${p.strategy}`,
      });
    }
    this.diskShared.delete(p.name);
    if (moving && diskMode === 'shared') {
      this.diskShared.set(p.name, { mode: 'shared', kind: moving.kind, diskBytes: moving.sectors * SECTOR_BYTES, bytesSent: 0, sectorsSent: 0, zeroSectors: 0, rounds: [], pausedSectors: 0, pausedMs: 0, fetched: 0, pushed: 0, readStalls: 0, stallMs: 0 });
    }
    try {
      socket = await this.openChannel(to, p.toToken, {
        name: p.name, from: this.self, strategy: p.strategy, monitor: p.monitor ?? rec.monitor, kernel: rec.kernel, memSize: rec.memSize, share: rec.share, recover: false,
        ...(netSpec ? { net: netSpec } : {}),
        ...(moving ? { disk: { ...moving, mode: diskMode } } : {}),
      });
    } catch (e) {
      // Nothing has moved: the guest goes on here, with its disk as it was.
      this.diskShared.delete(p.name);
      throw e;
    }
    ctx.emit({ kind: 'status', message: `${peer} accepted ${p.name}; ${p.strategy} begins` });
    this.log(`${p.name}: ${p.strategy} to ${peer}`);

    rec.migration = { role: 'source', peer, strategy: p.strategy, phase: 'setup' };
    rec.note = undefined;
    this.incoming.delete(p.name); // how it arrived here no longer matters: it leaves
    const before = rec.lifecycle === 'paused' ? 'paused' : 'running';
    this.host.setLifecycle(rec, 'migrating-out');
    this.resumeAs.set(p.name, before);
    const out = new OutgoingMigration({
      host: this.host.hostFor(rec.monitor),
      vm: p.name,
      strategy: p.strategy,
      options: migrateRequestOptions(p),
      clock: new WallClock(),
      onEvent: (e) => this.sourceEvent(rec, e, ctx, peer, p.toToken),
      ...(this.fleet ? { beforeCommit: (id: string) => this.fleet!.commit(p.name, id, peer) } : {}),
      ...(copied ? { disk: new FileSourceDisk(copied) } : {}),
    });
    this.outgoing.set(p.name, { migration: out, peer });
    ctx.onCancel((why) => {
      // A client that merely went away does not stop a migration; Ctrl-C does.
      if (why === 'cancel' && out.cancel('Ctrl-C on typevisor migrate')) ctx.emit({ kind: 'status', message: 'cancelling: the guest stays on the source' });
    });
    const params: IncomingParams = { name: p.name, from: this.self, strategy: p.strategy, monitor: p.monitor ?? rec.monitor, kernel: rec.kernel, memSize: rec.memSize, share: rec.share, recover: true };
    const outcome = await this.settleOut(rec, out.run(channel(socket, this.idleMs)), peer);
    if (outcome.kind !== 'aborted') return outcome;
    // Aborted after the state went over: the destination may hold a paused copy, waiting for a
    // reconnection that will never come. Tell it to discard it (the engine answers with CANCEL).
    if (outcome.phase === 'switchover') await this.tellDiscard(out, to, p.toToken, params);
    // Then ask it what it holds, before migrate answers: what the user reads is what happened there.
    const destination = await destinationFate(outcome.cause, peer, this.self, p.name, () => this.connect(to, p.toToken, FATE_CONNECT_MS));
    this.log(`${p.name}: ${destination.says}`);
    return { ...outcome, destination };
  }

  async recover(p: RecoverParams, ctx: OpContext): Promise<MigrationOutcome> {
    const rec = this.host.record(p.name);
    const entry = this.outgoing.get(p.name);
    if (!entry || rec.migration?.phase !== 'interrupted') {
      throw new ControlError('bad-state', `${p.name} has no interrupted migration on this daemon${rec.migration ? ` (it is ${rec.migration.phase})` : ''}`);
    }
    const peer = formatAddress(this.peerAddress(p.to));
    if (peer !== entry.peer) throw new ControlError('bad-request', `${p.name} was migrating to ${entry.peer}, not ${peer}`);
    ctx.emit({ kind: 'status', message: `reconnecting to ${peer}` });
    let socket: Socket;
    try {
      socket = await this.openChannel(this.peerAddress(p.to), p.toToken, {
        name: p.name, from: this.self, strategy: rec.migration.strategy, monitor: rec.monitor, kernel: rec.kernel, memSize: rec.memSize, share: rec.share, recover: true,
      });
    } catch (e) {
      // No daemon listening there (it died), or one that never heard of the
      // guest (it restarted): the guest's CPU state went with it.
      const gone = e instanceof ControlError && e.code === 'no-daemon';
      if (gone || (e instanceof ControlError && e.code === 'no-such-vm')) {
        const reason = gone ? `the destination daemon ${peer} is gone` : `the destination daemon ${peer} no longer knows it (it restarted)`;
        this.host.remember(rec);
        return this.settleOut(rec, Promise.resolve(entry.migration.abandon(reason)), peer);
      }
      throw e;
    }
    ctx.emit({ kind: 'status', message: `${peer} took the migration back up` });
    setPhase(rec, 'post-copy');
    return this.settleOut(rec, entry.migration.recover(channel(socket, this.idleMs)), peer);
  }

  private sourceEvent(rec: VmRecord, e: MigrationEvent, ctx: OpContext, peer: string, token: string): void {
    if (e.kind === 'phase') {
      this.phaseChanged(rec, e.phase);
      // Paused here for the last time: its connection events wait for the outcome.
      const guest = this.host.guest(rec);
      if (e.phase === 'switchover' && guest && this.net && !this.netHeld.has(rec.name)) this.netHeld.set(rec.name, this.net.hold(rec.name, guest));
      // Post-copy: the guest runs at the destination from now on; so do its connections.
      if (e.phase === 'post-copy') this.leaveNet(rec.name, peer, token);
    }
    ctx.emit({ kind: 'migration', event: e });
  }

  /** Hand the VM's connections to a home agent relaying them to `peer` (once). */
  private leaveNet(name: string, peer: string, token: string): Promise<{ relayed: number; listen: string | undefined } | undefined> {
    let left = this.netLeft.get(name);
    if (!left) {
      const held = this.netHeld.get(name) ?? Promise.resolve();
      left = held.then(() => this.net?.handOff(name, peer, token));
      left.catch((e: unknown) => this.log(`${name}: net: ${(e as Error).message}`));
      this.netLeft.set(name, left);
    }
    return left;
  }

  private async settleOut(rec: VmRecord, running: Promise<MigrationOutcome>, peer: string): Promise<MigrationOutcome> {
    let outcome: MigrationOutcome;
    try {
      outcome = await running;
    } catch (e) {
      // The engine promises outcomes, not exceptions; if one escapes anyway the
      // guest must not be left half-moved in our books: say what we know.
      this.outgoing.delete(rec.name);
      rec.migration = undefined;
      throw e;
    }
    const name = rec.name;
    switch (outcome.kind) {
      case 'completed': {
        this.outgoing.delete(name);
        this.log(`${name}: migrated to ${peer}`);
        // A VM with a network device: its connections go to a home agent, and the report says how many.
        const net = this.net ? await this.leaveNet(name, peer, this.peerTokens.get(peer) ?? '').catch(() => undefined) : undefined;
        if (net) outcome = { ...outcome, report: { ...outcome.report, network: { relayedConnections: net.relayed, listen: net.listen ?? null } } };
        const shared = this.diskShared.get(name);
        if (shared) outcome = { ...outcome, report: { ...outcome.report, disk: shared } };
        this.diskShared.delete(name);
        this.netHeld.delete(name);
        this.netLeft.delete(name);
        await this.sendConsole(rec, peer); // before migrate answers: a console opened there next has the history
        this.forwarding?.remember(name, peer); // before the console ends: a follower is told where it went
        this.host.forget(name, `migrated to ${peer} (follow it there: typevisor vm console ${name} --connect ${peer})`);
        break;
      }
      case 'aborted':
        this.outgoing.delete(name);
        this.diskShared.delete(name);
        // The guest stays: what its connections said meanwhile goes to it, in order.
        await this.netHeld.get(name)?.catch(() => undefined);
        this.netHeld.delete(name);
        this.net?.release(name, this.host.guest(rec));
        rec.migration = undefined;
        // The engine resumed the guest it had paused; one paused before the migration stays paused.
        this.host.setLifecycle(rec, this.resumeAs.get(name) ?? 'running');
        if (rec.lifecycle === 'paused') void this.host.guest(rec)?.pause();
        this.resumeAs.delete(name);
        rec.note = `migration to ${peer} aborted: ${outcome.reason}`;
        this.log(`${name}: ${rec.note}`);
        break;
      case 'interrupted':
      case 'lost':
        this.afterSwitchover(rec, outcome.kind, outcome.reason, this.outgoing, `${rec.migration?.strategy ?? 'migration'} to ${peer}`);
        break;
    }
    return outcome;
  }

  /** Best effort, a few tries while the destination notices the broken link: its copy of an aborted migration goes. */
  private async tellDiscard(out: OutgoingMigration, to: Address, token: string, params: IncomingParams): Promise<void> {
    const peer = formatAddress(to);
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const socket = await this.openChannel(to, token, params);
        await out.recover(channel(socket, this.idleMs));
        this.log(`${params.name}: told ${peer} to discard its copy`);
        return;
      } catch (e) {
        if (e instanceof ControlError && e.code === 'no-daemon') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.log(`${params.name}: could not tell ${peer} to discard its copy (it discards it when the source is declared gone)`);
  }

  /** The console output the guest wrote here goes with it (best effort: it is for people). */
  private async sendConsole(rec: VmRecord, peer: string): Promise<void> {
    const bytes = rec.console.contents();
    const token = this.peerTokens.get(peer);
    if (token === undefined) return;
    try {
      const c = await this.connect(parseAddress(peer), token);
      await c.request('migration.finish', { name: rec.name, console: Buffer.from(bytes).toString('base64'), consoleTotal: rec.console.total }).finally(() => c.close());
    } catch (e) {
      this.log(`${rec.name}: could not hand its console history to ${peer}: ${(e as Error).message}`);
    }
  }

  private async openChannel(to: Address, token: string, params: IncomingParams): Promise<Socket> {
    let client: ControlClient;
    try {
      client = await this.connect(to, token);
    } catch (e) {
      // The destination's refusal speaks to whoever connects to it ("give --token"); here
      // that is this daemon, and the token is the one the user gave with --to-token.
      if (e instanceof ControlError && e.refusal === 'bad-token') {
        throw new ControlError('refused', `the destination ${formatAddress(to)} refused the token: give its token with --to-token (without it, --token's is used)`, undefined, e.refusal);
      }
      throw e;
    }
    this.peerTokens.set(formatAddress(to), token);
    // A destination that welcomes us and then never answers must not hold migrate for ever.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ControlError('timeout', `the destination ${formatAddress(to)} did not answer ${params.recover ? 'the recovery' : 'the migration request'} within ${this.idleMs / 1000} s (serve --migration-idle-timeout): ${params.recover ? `${params.name} stays as it was here; try --recover again` : `nothing was moved, ${params.name} runs here unchanged`}`)), this.idleMs);
    });
    try {
      return await Promise.race([client.openMigrationChannel(params), silence]);
    } catch (e) {
      client.close();
      // Connected, then lost while it prepared the arrival (killed as it made room for a disk,
      // say): said as an abort says it, with what became of its copy, not as a bare
      // "connection closed" that leaves the user to guess where the guest is.
      if (e instanceof ControlError && e.code === 'connection' && !params.recover) {
        const peer = formatAddress(to);
        const fate = await destinationFate('link', peer, this.self, params.name, () => this.connect(to, token, FATE_CONNECT_MS));
        throw new ControlError('connection', `aborted during setup: ${params.name} is running on ${this.self}, unchanged; ${fate.says}`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private peerAddress(text: string): Address {
    try {
      return parseAddress(text);
    } catch (e) {
      if (e instanceof AddressError) throw new ControlError('bad-request', `--to: ${e.message}`);
      throw e;
    }
  }

  // ---- destination side ----------------------------------------------------------------

  async incomingChannel(p: IncomingParams, ctx: OpContext): Promise<Record<string, never>> {
    if (p.recover) {
      const inc = this.incoming.get(p.name);
      const rec = this.host.has(p.name) ? this.host.record(p.name) : undefined;
      // A completed one too: the guest runs here, but the source may never have heard (COMPLETE lost).
      const completed = inc?.phase === 'completed' && rec !== undefined && rec.lost === undefined;
      if (!inc || !rec || (rec.migration?.phase !== 'interrupted' && !completed)) throw new ControlError('no-such-vm', `no interrupted migration of ${p.name} on this daemon`);
      ctx.handOver();
      ctx.after(() => {
        if (completed) this.log(`${p.name}: ${p.from} reconnected; the migration had completed here: telling it so`);
        else {
          setPhase(rec, 'post-copy');
          this.log(`${p.name}: ${p.from} reconnected; post-copy goes on`);
        }
        void this.settleIn(rec, inc.recover(channel(ctx.socket, this.idleMs)));
      });
      return {};
    }
    const rec = this.host.expectIncoming(p.name, p.monitor, p.kernel, p.memSize, p.share, { role: 'destination', peer: p.from, strategy: p.strategy, phase: 'setup' });
    this.forwarding?.forget(p.name);
    try {
      // Its listener is bound before the source is told yes: one that cannot bind fails the migration at once.
      await this.net?.arriving(p.name, p.net);
    } catch (e) {
      this.host.forget(p.name, 'its network could not be set up here');
      throw e;
    }
    let host = this.host.hostFor(rec.monitor);
    let arriving: ArrivingDisk | undefined;
    if (p.disk !== undefined) {
      // Copy: an empty disk the engine fills with the sectors as they come (the guest's reads wait
      // for any still on the source after a post-copy switchover). Shared: the file both daemons see.
      // Either way the VM the engine creates here gets it.
      try {
        if (!this.host.disks) throw new ControlError('bad-request', 'this daemon gives its VMs no disks');
        if (p.disk.mode === 'shared') {
          host = new DiskGivingHost(host, p.name, this.host.disks.adoptShared(p.name, p.disk).backend);
        } else {
          const d = this.host.disks.prepareArrival(p.name, p.disk);
          arriving = new ArrivingDisk(d.backend, d.store);
          host = new DiskGivingHost(host, p.name, arriving);
        }
      } catch (e) {
        this.host.forget(p.name, 'its disk could not be set up here');
        throw e;
      }
    }
    ctx.handOver();
    ctx.after(() => {
      this.log(`${p.name}: arriving from ${p.from} (${p.strategy})`);
      const inc = new IncomingMigration({
        host,
        // The VM is created under the name and size announced and checked above, whatever HELLO says.
        rename: p.name,
        memSize: p.memSize,
        clock: new WallClock(),
        output: (b) => rec.console.write(b),
        ...(this.net?.has(p.name) ? { netOutput: this.net.sink(p.name) } : {}),
        ...(arriving ? { disk: arriving } : {}),
        onEvent: (e) => {
          if (e.kind === 'phase') this.phaseChanged(rec, e.phase);
        },
      });
      this.incoming.set(p.name, inc);
      void this.settleIn(rec, inc.run(channel(ctx.socket, this.idleMs)));
    });
    return {};
  }

  private async settleIn(rec: VmRecord, running: Promise<IncomingOutcome>): Promise<IncomingOutcome> {
    const name = rec.name;
    let outcome: IncomingOutcome;
    try {
      outcome = await running;
    } catch (e) {
      // The engine promises outcomes; one that throws still must not leave a half-copy listed.
      outcome = { kind: 'aborted', vm: name, reason: `the destination failed: ${(e as Error).message}` };
    }
    const from = rec.migration?.peer ?? '?';
    switch (outcome.kind) {
      case 'completed':
        // Kept (not deleted): if the source never heard COMPLETE, its --recover asks us again.
        if (!rec.migration) break; // told a recovering source it had completed: nothing changes here
        rec.migration = undefined;
        // The commit point: a copied volume or file becomes this daemon's.
        try {
          this.host.disks?.commitArrival(name);
        } catch (e) {
          this.log(`${name}: its disk could not be put in place: ${(e as Error).message}`);
        }
        if (rec.lifecycle === 'arriving') this.host.setLifecycle(rec, 'running');
        rec.note = `migrated here from ${from}`;
        this.log(`${name}: arrived from ${from}, running`);
        break;
      case 'aborted':
        this.incoming.delete(name);
        this.host.forget(name, `migration aborted: ${outcome.reason}`);
        this.log(`${name}: incoming migration from ${from} aborted (${outcome.reason})${/discarded/.test(outcome.reason) ? '' : '; copy discarded'}`);
        break;
      case 'interrupted':
      case 'lost':
        this.afterSwitchover(rec, outcome.kind, outcome.reason, this.incoming, `${rec.migration?.strategy ?? 'migration'} from ${from}`);
        break;
    }
    return outcome;
  }

  private phaseChanged(rec: VmRecord, phase: MigrationPhase): void {
    // The engine discards the VM when a guest is lost: keep its counts for vm list.
    this.host.remember(rec);
    setPhase(rec, phase);
  }

  /**
   * The link broke after the switchover, on either side: an interrupted
   * migration stays registered for --recover; a lost guest is listed as lost.
   */
  private afterSwitchover(rec: VmRecord, kind: 'interrupted' | 'lost', reason: string, registry: Map<string, unknown>, what: string): void {
    setPhase(rec, kind);
    if (kind === 'interrupted') return this.log(`${rec.name}: ${what} interrupted: ${reason}; waiting for --recover`);
    registry.delete(rec.name);
    this.netHeld.delete(rec.name);
    this.netLeft.delete(rec.name);
    this.host.markLost(rec.name, reason);
  }

  /** The source daemon is gone: keep the guest if every page is here, else report it lost. */
  async abandon(p: AbandonParams): Promise<VmInfo> {
    const inc = this.incoming.get(p.name);
    const rec = this.host.record(p.name);
    if (!inc || rec.migration?.phase !== 'interrupted') throw new ControlError('bad-state', `${p.name} has no interrupted migration on this daemon`);
    this.log(`${p.name}: the source is gone (${p.reason})`);
    this.host.remember(rec);
    await this.settleIn(rec, Promise.resolve(inc.declareSourceGone()));
    return this.host.info(p.name);
  }

  finish(p: FinishParams): Record<string, never> {
    if (this.host.has(p.name) && p.console) this.host.record(p.name).console.prepend(Buffer.from(p.console, 'base64'), p.consoleTotal);
    return {};
  }
}

/**
 * How long a migration channel may stay silent while a side waits on it.
 * Between two daemons that are alive nothing waits this long: frames flow
 * back to back, and a capped link (migrate --bandwidth) sends a whole frame,
 * then sleeps frame ÷ cap — 26 s for a 256 KiB PAGES frame at 10 KB/s, so
 * 30 s admits any cap above about 9 KB/s. Only a stopped, wedged or hostile
 * peer is silent that long.
 */
export const DEFAULT_MIGRATION_IDLE_MS = 30_000;

/** Asking a destination what it holds after an abort: a stopped one must not hold migrate's answer long. */
const FATE_CONNECT_MS = 3_000;

function setPhase(rec: VmRecord, phase: MigrationPhase): void {
  if (rec.migration) rec.migration = { ...rec.migration, phase };
}

/** The engine's transport over a socket the control protocol handed over (paused; see LineReader.detach). */
function channel(socket: Socket, idleMs: number): TcpTransport {
  const t = new TcpTransport(socket, undefined, { idleMs });
  socket.resume();
  return t;
}

/** What the destination is told of a disk, checked against the mode first. */
function movingDisk(vm: string, disk: DiskInfo, mode: DiskMode): MovingDisk {
  if (mode === 'shared' && disk.kind !== 'file') {
    const why = disk.kind === 'volume'
      ? `its disk is volume ${disk.name}, in this daemon's state directory, which no other daemon uses`
      : 'its disk is transient, in this daemon\'s state directory';
    throw new ControlError('bad-request', `--disk-mode shared: ${vm} cannot share its disk: ${why}; use --disk-mode copy (the default)`);
  }
  switch (disk.kind) {
    case 'transient':
      return { kind: 'transient', sectors: disk.sectors };
    case 'volume':
      return { kind: 'volume', name: disk.name, sectors: disk.sectors, generation: disk.generation };
    case 'file': {
      const st = statSync(disk.path);
      return { kind: 'file', path: disk.path, sectors: disk.sectors, dev: st.dev, ino: st.ino };
    }
  }
}
