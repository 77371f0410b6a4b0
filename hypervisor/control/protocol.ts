/**
 * The control protocol: how `typevisor vm …` and `typevisor migrate …` talk to
 * a daemon (`typevisor serve`), and how two daemons open a migration channel.
 *
 * JSON lines over TCP, one message per line (README.md in this folder has a
 * worked session):
 *
 *   client                                         daemon
 *     │── hello {version, token} ──────────────────▶│  first line, always
 *     │◀───────────── welcome {daemon} | refused ───│  refused: the socket closes
 *     │── request {id, op, …params} ───────────────▶│
 *     │◀──────────── event {id, event} (0 or more) ─│  streams: console, migrate
 *     │◀─────────── response {id, ok, result|error} ─│  one per request, last
 *     │── cancel {id} ─────────────────────────────▶│  ends a stream early
 *
 * Requests may overlap (ids tell them apart). One request changes the
 * channel: `migration.incoming`, sent by a source daemon to a destination
 * daemon; after its ok response both ends stop reading lines and the socket
 * carries the migration engine's binary frames instead.
 */
import type { DiskInfo, DiskRequest, MovingDisk } from './vm-disks.js';
import type { DamagedVolume, Volume } from './volume-store.js';
import type { MonitorKind } from '../core/host.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { VmStatsRecord } from '../core/stats.js';
import type { MigrationEvent, MigrationOptions, MigrationOutcome as EngineOutcome, MigrationPhase, StrategyName } from './engine.js';

/**
 * What `migrate` ends with: the engine's outcome; an aborted one also says
 * what became of the destination's copy (destination-fate.ts), which the
 * engine alone cannot tell (a dead destination and a cut cable look alike).
 */
export type MigrationOutcome = EngineOutcome & { readonly destination?: DestinationFate };

/** After an aborted migration, the destination daemon as the source found it when it asked. */
export interface DestinationFate {
  /**
   * gone: nothing listens there (it died; no copy left); discarded: it lists
   * no copy; holding: it still lists a paused copy (never resumed without the
   * source's GO; dropped once it notices the link is gone); unknown: it could not be asked.
   */
  readonly state: 'gone' | 'discarded' | 'holding' | 'unknown';
  /** One clause for people: what stopped the migration and what the destination did. */
  readonly says: string;
}

export const PROTOCOL_VERSION = 1;
export const DEFAULT_PORT = 7480;
export const DEFAULT_HOST = '127.0.0.1';
/** Longest line either side accepts (a kernel image travels base64 in vm.start). */
export const MAX_LINE_BYTES = 48 * 1024 * 1024;

// ---- connecting ---------------------------------------------------------------

export interface Hello {
  readonly type: 'hello';
  readonly version: number;
  readonly token: string;
  /** Who is calling, for the daemon's log: "cli", "daemon". */
  readonly client: string;
}

export interface DaemonInfo {
  readonly version: number;
  readonly pid: number;
  /** HOST:PORT the daemon listens on. */
  readonly listen: string;
  readonly startedAt: string;
}

export interface Welcome {
  readonly type: 'welcome';
  readonly daemon: DaemonInfo;
}

/** busy: too many connections are waiting to say hello; try again. */
export type RefusalCode = 'bad-token' | 'bad-version' | 'bad-hello' | 'busy';

export interface Refused {
  readonly type: 'refused';
  readonly code: RefusalCode;
  readonly reason: string;
}

// ---- VMs ------------------------------------------------------------------------

/**
 * What a VM on this daemon is doing.
 *  - running: scheduled (it may be idle in wfi, waiting for its timer or input)
 *  - paused: kept, not scheduled (vm pause, or post-copy waiting for its peer)
 *  - migrating: running here while its memory is copied out (pre-copy)
 *  - incoming: a copy arriving from another daemon; not running yet
 *  - off: powered off (status), failed or stuck (reason); kept until vm stop
 *  - lost: a migration can no longer be completed; the reason says why
 */
export type VmState = 'running' | 'paused' | 'migrating' | 'incoming' | 'off' | 'lost';

export interface VmMigrationInfo {
  readonly role: 'source' | 'destination';
  /** The other daemon, HOST:PORT. */
  readonly peer: string;
  readonly strategy: StrategyName;
  readonly phase: MigrationPhase;
}

export interface VmInfo {
  readonly name: string;
  readonly state: VmState;
  /** Where it is in its life (core/lifecycle.ts); `state` is what vm list shows of it. */
  readonly lifecycle: Lifecycle;
  /** The monitor it runs on. */
  readonly monitor: MonitorKind;
  /** The kernel file it was started from (for people), or where it came from. */
  readonly kernel: string;
  readonly memSize: number;
  readonly share: number;
  readonly instructions: number;
  readonly virtualTime: number;
  /** Exit status once powered off. */
  readonly status?: number;
  /** Why it is paused, off, failed or lost. */
  readonly reason?: string;
  readonly migration?: VmMigrationInfo;
  /** Its network device's host end, for people: `listening on 127.0.0.1:7000, 1 connection…`. */
  readonly net?: string;
  /** Its disk and what it is bound to (none: no disk). */
  readonly disk?: DiskInfo;
  /** Brought back from a snapshot after its host died (vm restore --restart): which file, and where it resumed. */
  readonly restarted?: RestartInfo;
}

/** A VM restarted from a snapshot: the file, and the instruction count the snapshot was taken at. */
export interface RestartInfo {
  readonly file: string;
  readonly instructions: number;
}

/** The last periodic snapshot of a VM (serve --snapshot-every; snapshot-schedule.ts). */
export interface PeriodicSnapshotInfo {
  /** The period, ms. */
  readonly everyMs: number;
  /** Where its snapshots go: DIR/NAME.tvsn. */
  readonly file: string;
  /** The last one written (none yet: absent). */
  readonly last?: {
    /** When it was complete under its name (ISO 8601). */
    readonly takenAt: string;
    readonly instructions: number;
    readonly bytes: number;
    /** How long the guest was paused for it, ms. */
    readonly pausedMs: number;
    readonly totalMs: number;
  };
  /** Why the last attempt failed, when it did (the VM ran on). */
  readonly error?: string;
}

export interface VmStatsInfo extends VmInfo {
  readonly consoleBytes: number;
  /** Clients following the console live (typevisor vm console). */
  readonly consoleFollowers: number;
  readonly counts: VmStatsRecord;
  readonly dirtyPages: number;
  /** Its periodic snapshots, on a daemon started with --snapshot-every. */
  readonly periodicSnapshot?: PeriodicSnapshotInfo;
}

// ---- the network -------------------------------------------------------------------

/**
 * A VM's network device cabled to the host: listening on ADDRESS (one peer at
 * a time; loopback unless `public`) or connecting to it once at start.
 */
export interface NetSpec {
  readonly mode: 'listen' | 'connect';
  /** HOST:PORT (port 0 when listening: any free one). */
  readonly address: string;
  readonly public?: boolean;
}

/** A connection event on the wire (control/vm-net.ts): bytes are base64. */
export type NetEventWire = { readonly kind: 'connected' } | { readonly kind: 'data'; readonly data: string } | { readonly kind: 'closed' };

/**
 * Sent by the daemon a VM left to the daemon it went to (or on to where it
 * went next): connection events for the guest's device, and perhaps a
 * connection. `socket`: `carried`, the connection open at the move (the
 * guest already sees it connected), `new`, a peer that connected to the old
 * address since, or `none`, only the events. With a socket, once answered ok
 * the channel carries that connection's bytes, raw, both ways.
 */
export interface NetAttachParams {
  readonly name: string;
  readonly events: readonly NetEventWire[];
  readonly socket: 'carried' | 'new' | 'none';
}

// ---- migration ------------------------------------------------------------------

/**
 * The engine's knobs a client may set for one migration (the engine's
 * MigrationOptions; absent: its default). On the wire they sit beside the
 * other MigrateParams fields. A bandwidth is a positive rate; absent: as
 * fast as the link goes.
 */
export type MigrateRequestOptions = Partial<Pick<MigrationOptions, 'bandwidth' | 'downtimeLimitMs' | 'maxRounds' | 'onStall'>>;

/** The knobs a client may set, out of engine options (a bandwidth of 0, no cap, is the same as none). */
export function migrateRequestOptions(o: Partial<MigrationOptions>): MigrateRequestOptions {
  return {
    ...(o.bandwidth ? { bandwidth: o.bandwidth } : {}),
    ...(o.downtimeLimitMs !== undefined ? { downtimeLimitMs: o.downtimeLimitMs } : {}),
    ...(o.maxRounds !== undefined ? { maxRounds: o.maxRounds } : {}),
    ...(o.onStall !== undefined ? { onStall: o.onStall } : {}),
  };
}

export interface MigrateParams extends MigrateRequestOptions {
  readonly name: string;
  /** The destination daemon, HOST:PORT. */
  readonly to: string;
  /** The destination daemon's token (the source daemon presents it). */
  readonly toToken: string;
  readonly strategy: StrategyName;
  /** The monitor it runs on at the destination; absent: the same as here. */
  readonly monitor?: MonitorKind;
  /** Where the destination listens for the guest's new connections (a VM with --net-listen); absent: 127.0.0.1, any free port. */
  readonly netListen?: string;
  /** A VM with a disk: copy its sectors (the default) or hand over the file both daemons see (shared). */
  readonly diskMode?: DiskMode;
}

/** How a VM's disk goes with it (migrate --disk-mode). */
export type DiskMode = 'copy' | 'shared';

export interface RecoverParams {
  readonly name: string;
  readonly to: string;
  readonly toToken: string;
}

/** Sent by a source daemon to a destination daemon; the channel then carries frames. */
export interface IncomingParams {
  readonly name: string;
  /** The source daemon, HOST:PORT, for the destination's vm list. */
  readonly from: string;
  readonly strategy: StrategyName;
  /** The monitor the guest is to run on at the destination. */
  readonly monitor: MonitorKind;
  readonly kernel: string;
  readonly memSize: number;
  readonly share: number;
  /** Resume an interrupted post-copy migration of this VM instead of starting one. */
  readonly recover: boolean;
  /** Its network device's host end at the destination (absent: not cabled). */
  readonly net?: NetSpec;
  /** Its disk: copied (its sectors come with the engine's frames) or shared (the same file); the arriving VM gets it. */
  readonly disk?: MovingDisk & { readonly mode: DiskMode };
}

/**
 * Sent to a destination when the source daemon is gone for good: the guest
 * resumes there if it has all of it, else it is reported lost.
 */
export interface AbandonParams {
  readonly name: string;
  readonly reason: string;
}

/** Sent by the source daemon after a completed migration: the console output the guest wrote there. */
export interface FinishParams {
  readonly name: string;
  /** base64 */
  readonly console: string;
  /** Bytes the console had ever written on the source (its window may have dropped the oldest): offsets stay the same there. */
  readonly consoleTotal?: number;
}

// ---- snapshots ------------------------------------------------------------------

export interface SnapshotParams {
  readonly name: string;
  /** Where the daemon writes the file: an absolute path on the daemon's machine (the CLI resolves it). */
  readonly path: string;
  /** Copy its memory while it runs (pre-copy rounds over the dirty log), pausing only for the rest. */
  readonly live: boolean;
  /** Stop the VM once saved (else it resumes, unless it was paused already). */
  readonly stop: boolean;
}

export interface SnapshotResult {
  readonly name: string;
  readonly path: string;
  /** Bytes in the file. */
  readonly bytes: number;
  readonly pages: number;
  /** Pages stored (not zero). */
  readonly pagesPresent: number;
  readonly instructions: number;
  /** Live rounds after the first copy (0: paused for the whole copy). */
  readonly rounds: number;
  readonly pagesCopied: number;
  /** How long the guest was paused for the copy, and the whole operation (file written and synced), ms. */
  readonly pausedMs: number;
  readonly totalMs: number;
  readonly stopped: boolean;
  /** The disk the snapshot carries (snapshot-disks.ts): none, a volume by reference, or a transient disk by value. */
  readonly disk?: SnapshotDiskInfo;
}

/** A snapshot's disk, for people: which volume and generation, or how much of a transient disk it holds. */
export type SnapshotDiskInfo =
  | { readonly kind: 'volume'; readonly name: string; readonly generation: number }
  | { readonly kind: 'transient'; readonly sectors: number; readonly sectorsStored: number };

export interface RestoreParams {
  /** The snapshot file: an absolute path on the daemon's machine. */
  readonly path: string;
  /** What to call the VM; absent: the name it had when saved. */
  readonly name?: string;
  /** Resume at once, reading memory from the file as the guest touches it. */
  readonly lazy: boolean;
  /** The monitor to run it on; absent: the one it was saved on (native for a bare-machine snapshot). */
  readonly monitor?: MonitorKind;
  readonly share: number;
  /** Attach the snapshot's volume even if its generation has moved on since (another VM had it, or this one went on). */
  readonly force?: boolean;
  /** How many instances of this snapshot the client is starting (vm start --from --count): a volume can go to one only. */
  readonly instances?: number;
  /** It is the VM of a host that died, brought back: keep its name, and mark it restarted (VmInfo.restarted). */
  readonly restart?: boolean;
}

export interface RestoreResult extends VmInfo {
  /** From reading the file to the guest resumed, ms (a lazy restore resumes before its memory is loaded). */
  readonly restoreMs: number;
  readonly pagesPresent: number;
  /** The instruction count it was saved at (where it resumed). */
  readonly savedAt: number;
}

// ---- the operations ---------------------------------------------------------------

/** Every request: its parameters, its result, and whether it streams events. */
export interface Ops {
  'daemon.info': { params: Record<string, never>; result: DaemonInfo };
  'vm.start': {
    params: { readonly name?: string; readonly kernel: string; readonly image: string; readonly memSize: number; readonly share: number; readonly monitor?: MonitorKind; readonly net?: NetSpec; readonly disk?: DiskRequest };
    result: VmInfo;
  };
  'vm.list': { params: Record<string, never>; result: { readonly vms: readonly VmInfo[] } };
  'vm.stats': { params: { readonly name: string }; result: VmStatsInfo };
  'vm.stop': { params: { readonly name: string }; result: VmInfo };
  'vm.pause': { params: { readonly name: string }; result: VmInfo };
  'vm.resume': { params: { readonly name: string }; result: VmInfo };
  /**
   * Streams console events (history first when asked, or from byte `since`
   * of everything it ever wrote); ends when the VM does, on cancel, or when
   * it migrates away (`movedTo`: where it went, to follow it there from `offset`).
   */
  'vm.console': { params: { readonly name: string; readonly history: boolean; readonly since?: number }; result: ConsoleEnd };
  /** Bytes for the VM's console input (base64); null ends its input. */
  'vm.input': { params: { readonly name: string; readonly data: string | null }; result: Record<string, never> };
  /** Attach the kernel debugger (pauses the VM); streams its first lines; cancel detaches (it resumes). */
  'vm.debug': { params: { readonly name: string }; result: { readonly reason: string } };
  /** One debugger command: its output lines; quit ends the session. Cancel interrupts a long run. */
  'vm.debug.command': { params: { readonly name: string; readonly line: string }; result: { readonly lines: readonly string[]; readonly quit: boolean } };
  /** Streams migration events; cancel aborts before switchover. */
  migrate: { params: MigrateParams; result: MigrationOutcome };
  'migrate.recover': { params: RecoverParams; result: MigrationOutcome };
  'migration.incoming': { params: IncomingParams; result: Record<string, never> };
  'migration.abandon': { params: AbandonParams; result: VmInfo };
  'migration.finish': { params: FinishParams; result: Record<string, never> };
  /** Daemon to daemon: a migrated guest's connection events (and connection); see NetAttachParams. */
  'vm.net.attach': { params: NetAttachParams; result: Record<string, never> };
  /** A new volume of `size` bytes; its first bytes from `from` (base64) when given. */
  'volume.create': { params: { readonly name: string; readonly size: number; readonly from?: string }; result: Volume };
  'volume.list': { params: Record<string, never>; result: { readonly volumes: readonly Volume[]; readonly damaged: readonly DamagedVolume[] } };
  'volume.rm': { params: { readonly name: string }; result: Volume };
  /** Attach a volume to a VM of this daemon that has no disk (hot: see volume-store.ts). */
  'volume.attach': { params: { readonly name: string; readonly vm: string }; result: VmInfo };
  /** Detach a volume from its VM (which must not be running). */
  'volume.detach': { params: { readonly name: string }; result: Volume };
  /** Save a VM to a snapshot file the daemon writes (snapshots.ts). */
  'vm.snapshot': { params: SnapshotParams; result: SnapshotResult };
  /** Start a VM from a snapshot file the daemon reads. */
  'vm.restore': { params: RestoreParams; result: RestoreResult };
}

/** How a console stream ended. */
export interface ConsoleEnd {
  readonly reason: string;
  /** The VM migrated: the daemon it went to (HOST:PORT). */
  readonly movedTo?: string;
  /** Bytes of console output up to the end of this stream (where to go on from there). */
  readonly offset?: number;
}

export type OpName = keyof Ops;
export type Params<K extends OpName> = Ops[K]['params'];
export type Result<K extends OpName> = Ops[K]['result'];

export type Request = { [K in OpName]: { readonly type: 'request'; readonly id: number; readonly op: K; readonly params: Params<K> } }[OpName];

export interface Cancel {
  readonly type: 'cancel';
  readonly id: number;
}

export type ClientMessage = Hello | Request | Cancel;

export type ErrorCode =
  | 'bad-request'
  | 'no-such-vm'
  | 'name-taken'
  | 'bad-state'
  | 'bad-image'
  | 'no-room'
  | 'no-such-volume'
  /** A volume's metadata is damaged (the message names the file and the field). */
  | 'bad-volume'
  | 'unreachable'
  /** Not here any more: it migrated to `movedTo` (the daemon remembers for a while; control/forwarding.ts). */
  | 'moved'
  | 'internal';

export interface ControlFailure {
  readonly code: ErrorCode;
  readonly message: string;
  /** With `moved`: the daemon it went to. */
  readonly movedTo?: string;
}

export type Response =
  | { readonly type: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'response'; readonly id: number; readonly ok: false; readonly error: ControlFailure };

/** What a stream sends before its response. */
export type StreamEvent =
  /** `at`: the offset of its first byte in everything the console ever wrote. */
  | { readonly kind: 'console'; readonly data: string; readonly at?: number }
  /** The control plane's own steps (connecting, accepted…), for people. */
  | { readonly kind: 'status'; readonly message: string }
  /** Lines from the kernel debugger (vm.debug). */
  | { readonly kind: 'debug'; readonly lines: readonly string[] }
  /** The engine's events, as it emits them. */
  | { readonly kind: 'migration'; readonly event: MigrationEvent };

export interface EventMessage {
  readonly type: 'event';
  readonly id: number;
  readonly event: StreamEvent;
}

export type ServerMessage = Welcome | Refused | Response | EventMessage;

// ---- checking what arrives ------------------------------------------------------------

const OPS: ReadonlySet<string> = new Set<OpName>([
  'daemon.info', 'vm.start', 'vm.list', 'vm.stats', 'vm.stop', 'vm.pause', 'vm.resume', 'vm.console', 'vm.input',
  'vm.debug', 'vm.debug.command',
  'migrate', 'migrate.recover', 'migration.incoming', 'migration.abandon', 'migration.finish', 'vm.net.attach',
  'volume.create', 'volume.list', 'volume.rm', 'volume.attach', 'volume.detach',
  'vm.snapshot', 'vm.restore',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A line as a JSON object, or what it is instead. */
function parseObject(line: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  return isObject(v) ? v : 'not a JSON object';
}

/**
 * A client's line as a message, or a reason it is not one. Only the envelope
 * is checked here; each operation checks its own parameters (params.ts).
 */
export function parseClientMessage(line: string): ClientMessage | string {
  const v = parseObject(line);
  if (typeof v === 'string') return v;
  switch (v['type']) {
    case 'hello':
      if (typeof v['token'] !== 'string' || typeof v['version'] !== 'number') return 'hello needs a token (string) and a version (number)';
      return { type: 'hello', token: v['token'], version: v['version'], client: typeof v['client'] === 'string' ? v['client'] : '?' };
    case 'cancel':
      if (!Number.isSafeInteger(v['id'])) return 'cancel needs an id';
      return { type: 'cancel', id: v['id'] as number };
    case 'request': {
      if (!Number.isSafeInteger(v['id'])) return 'request needs a whole-number id';
      if (typeof v['op'] !== 'string' || !OPS.has(v['op'])) return `unknown op ${JSON.stringify(v['op'])}`;
      if (!isObject(v['params'])) return `${v['op']}: params must be an object`;
      return v as unknown as Request;
    }
    default:
      return `unknown message type ${JSON.stringify(v['type'])}`;
  }
}

/** A daemon's line as a message, or a reason it is not one. */
export function parseServerMessage(line: string): ServerMessage | string {
  const v = parseObject(line);
  if (typeof v === 'string') return v;
  switch (v['type']) {
    case 'welcome':
      return isObject(v['daemon']) ? (v as unknown as Welcome) : 'welcome without daemon info';
    case 'refused':
      return typeof v['reason'] === 'string' ? (v as unknown as Refused) : 'refused without a reason';
    case 'response':
      if (!Number.isSafeInteger(v['id']) || typeof v['ok'] !== 'boolean') return 'response needs an id and ok';
      if (v['ok'] === false && !isObject(v['error'])) return 'failed response without an error';
      return v as unknown as Response;
    case 'event':
      if (!Number.isSafeInteger(v['id']) || !isObject(v['event'])) return 'event needs an id and an event';
      return v as unknown as EventMessage;
    default:
      return `unknown message type ${JSON.stringify(v['type'])}`;
  }
}
