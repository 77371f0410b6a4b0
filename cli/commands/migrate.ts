/**
 * `typevisor migrate VM --to HOST:PORT`: ask the daemon that runs VM (the
 * source, --connect) to live-migrate it to another daemon. The source daemon
 * drives the engine; this command shows what happens — a progress bar on a
 * terminal, plain lines otherwise, the MigrationReport as a table at the end,
 * or with --json a stream of JSON events — and makes Ctrl-C a cancel.
 *
 * Network: a VM started with --net-listen keeps its address. The connection
open at the move stays on the source daemon, which relays its bytes to the
destination (a home agent) until it closes; new peers may connect to the old
address (relayed too) or to the destination's own (--net-listen); the report
says how many connections were relayed. Consoles attached to the source follow
the VM to the destination by themselves.

Exit status: 0 migrated; 1 aborted (the guest runs on the source) or lost,
 * or an error; 130 cancelled with Ctrl-C (the guest runs on the source);
 * 75 interrupted after switchover (run again with --recover to finish it or learn how it ended).
 */
import { Option, type Command } from 'commander';
import { AddressError, formatAddress, parseAddress } from '../../hypervisor/control/address.js';
import { ControlClient } from '../../hypervisor/control/client.js';
import { renderReport, STALL_POLICIES, STRATEGY_NAMES, type MigrationPhase, type StallPolicy, type StrategyName } from '../../hypervisor/control/engine.js';
import { ControlError } from '../../hypervisor/control/control-error.js';
import type { DiskMode, MigrateParams, MigrateRequestOptions, MigrationOutcome, StreamEvent } from '../../hypervisor/control/protocol.js';
import { parseSize } from '../../vm/memmap.js';
import { paint, paintErr } from '../color.js';
import { MONITORS, type MonitorKind } from '../../hypervisor/core/host.js';
import { clientTls, connectOptions, daemonAddress, requireToken, type ConnectOptions } from '../control/connect.js';
import { ProgressView } from '../control/progress.js';
import { recoveryCommand } from '../control/recovery.js';
import { fail, parseCount, writeOut } from '../load.js';
import { clusterOf, clusterOption, hostInFleet, vmInFleet, type ClusterOptions } from '../control/fleet-target.js';

interface MigrateOptions extends ConnectOptions, ClusterOptions {
  readonly to?: string;
  readonly toToken?: string;
  readonly strategy: string;
  readonly monitor?: MonitorKind;
  readonly bandwidth?: string;
  readonly downtimeLimit?: string;
  readonly maxRounds?: string;
  readonly onStall?: string;
  readonly json?: boolean;
  readonly recover?: boolean;
  readonly netListen?: string;
  readonly diskMode?: string;
}

export const EXIT_INTERRUPTED = 75;
export const EXIT_CANCELLED = 130;

/** The issue's spellings and the engine's, both accepted. */
const ALIASES: Readonly<Record<string, string>> = { precopy: 'pre-copy', postcopy: 'post-copy', stopcopy: 'stop-and-copy', 'stop-copy': 'stop-and-copy' };
const canonical = (s: string): string => ALIASES[s] ?? s;

/** Phases after which the guest no longer runs on the source. */
const AFTER_SWITCHOVER: ReadonlySet<MigrationPhase> = new Set<MigrationPhase>(['switchover', 'post-copy', 'interrupted']);

export function registerMigrate(program: Command): void {
  clusterOption(connectOptions(
    program
      .command('migrate')
      .description('live-migrate a running VM from its daemon (--connect) to another daemon (--to)')
      .argument('<vm>', 'the VM\'s name on the source daemon')
      .option('--to <host:port>', 'the destination daemon')
      .option('--to-token <token>', 'the destination daemon\'s token (default: the same as --token)')
      .addOption(new Option('--strategy <s>', `${STRATEGY_NAMES.join(' | ')}`).default('pre-copy'))
      .addOption(new Option('--monitor <kind>', 'the monitor it runs on at the destination (default: the same as on the source)').choices([...MONITORS]))
      .option('--bandwidth <rate>', 'cap the link, bytes per second: 10M, 512K/s (default: no cap)')
      .option('--downtime-limit <ms>', 'pre-copy: stop and copy the rest once the expected downtime is this small')
      .option('--max-rounds <n>', 'pre-copy: at most this many rounds of dirty pages')
      .option('--on-stall <policy>', `pre-copy that cannot converge: ${STALL_POLICIES.join(' | ')}`)
      .option('--json', 'print a JSON event per line (status, phases, rounds, progress) and the outcome with its report last')
      .option('--recover', 'finish a migration whose link broke after the switchover, or learn how it ended (completed there, or lost)')
      .option('--net-listen <host:port>', 'a VM with --net-listen: where the destination listens for its new connections (default: 127.0.0.1, a free port; the old address keeps forwarding too)')
      .option('--disk-mode <mode>', 'a VM with a disk: copy (its sectors go with it; the default) | shared (a --disk FILE the destination sees too: only its ownership moves)'),
  ))
    .addHelpText('after', `
Strategies:
  stop-and-copy  pause the guest, send all of it, resume it on the destination
  pre-copy       send memory while the guest runs, then what it dirtied, in rounds;
                 pause only for the last few pages and the CPU (the default)
  post-copy      pause, send the CPU, resume on the destination at once; pages
                 follow on demand (a fault pulls one) and in the background
  hybrid         a few pre-copy rounds, then post-copy

Monitors: a guest moves between any two daemons, and between monitors too:
--monitor hosted takes a VM from the deterministic native monitor to a thread
of its own on the destination (--monitor native brings it back). What moves is
the VM's state — CPU, devices, memory — in one versioned format either reads.

Disks (--disk-mode): copy, the default, works whatever the destination sees:
the disk's sectors go with the memory, by the strategy's own logic. pre-copy
sends the whole disk, then the sectors the guest wrote since (a log of them),
in the same rounds as the pages and while the guest runs, and the last ones
with it paused; stop-and-copy sends it all paused; post-copy runs the guest
at the destination at once, a read of a sector still on the source waiting
while it is fetched (the rest follows; --recover after a broken link fetches
sectors as it fetches pages); hybrid is pre-copy rounds, then post-copy. A
transient disk goes with the VM; a volume arrives as a volume of the same name
(the source keeps its own, detached, as it was at the move); a file arrives at
the same path (the destination's file there, if it is the same file, is
replaced at the commit point). shared sends no sector: for a --disk FILE both
daemons see (one machine, or shared storage), the destination opens the same
file and the guest writes it from there once it runs there. Volumes and
transient disks live in one daemon's state directory: they can only be copied.

Ctrl-C cancels a migration that has not switched over: the guest keeps running
on the source. After switchover (post-copy) there is nothing to cancel: the
migration finishes. If the link breaks then, both sides pause and
--recover finishes it; a guest that can no longer be finished (its source
daemon gone, or its destination) is reported lost.

Exit status: 0 migrated; 1 aborted or lost (or an error); 130 cancelled;
${EXIT_INTERRUPTED} interrupted after switchover (run again with --recover).

Examples:
  typevisor migrate vm1 --to 127.0.0.1:7481
  typevisor migrate vm1 --to 127.0.0.1:7481 --strategy post-copy
  typevisor migrate vm1 --to 127.0.0.1:7481 --monitor hosted
  typevisor migrate vm1 --to 127.0.0.1:7481 --bandwidth 20M --downtime-limit 10 --on-stall post-copy
  typevisor migrate vm1 --to 127.0.0.1:7481 --json | jq -c .
  typevisor migrate vm1 --to 127.0.0.1:7481 --recover
  typevisor migrate web --to 127.0.0.1:7481 --net-listen 127.0.0.1:7001
  typevisor migrate db --to 127.0.0.1:7481 --disk-mode shared
  typevisor migrate web --cluster http://127.0.0.1:2379 --to b   (a fleet: from wherever web runs, to host b)

In a fleet (--cluster), the VM's directory entry moves to the destination at
the commit point, by a compare-and-swap on the migration id: if etcd refuses
or cannot be reached then, the migration aborts and the guest stays on the
source. --to must be another host of the fleet.`)
    .action(async (vm: string, opts: MigrateOptions) => {
      // In a fleet: the source from the directory, --to a host's name (or address).
      const urls = clusterOf(opts);
      if (urls === undefined) return migrate(vm, opts);
      const source = await vmInFleet(vm, opts);
      const to = source && opts.to !== undefined ? await hostInFleet(urls, opts.to) : opts.to;
      if (source && (to !== undefined || opts.to === undefined)) return migrate(vm, { ...source, ...(to !== undefined ? { to } : {}) });
    });
}

function parseParams(vm: string, opts: MigrateOptions, token: string): MigrateParams | undefined {
  if (opts.to === undefined) return void fail('say where to: --to HOST:PORT (the destination daemon)');
  try {
    parseAddress(opts.to);
  } catch (e) {
    if (e instanceof AddressError) return void fail(`--to: ${e.message}`);
    throw e;
  }
  if (opts.netListen !== undefined) {
    try {
      parseAddress(opts.netListen, true);
    } catch (e) {
      if (e instanceof AddressError) return void fail(`--net-listen: ${e.message}`);
      throw e;
    }
  }
  if (opts.diskMode !== undefined && opts.diskMode !== 'copy' && opts.diskMode !== 'shared') return void fail(`--disk-mode ${JSON.stringify(opts.diskMode)}: choose copy or shared`);
  const strategy = canonical(opts.strategy);
  if (!(STRATEGY_NAMES as readonly string[]).includes(strategy)) return void fail(`--strategy ${JSON.stringify(opts.strategy)}: choose ${STRATEGY_NAMES.join(', ')}`);
  const options = parseMigrationOptions(opts);
  if (!options) return undefined;
  return {
    name: vm,
    to: opts.to,
    toToken: opts.toToken ?? token,
    strategy: strategy as StrategyName,
    ...(opts.monitor !== undefined ? { monitor: opts.monitor } : {}),
    ...(opts.netListen !== undefined ? { netListen: opts.netListen } : {}),
    ...(opts.diskMode !== undefined ? { diskMode: opts.diskMode as DiskMode } : {}),
    ...options,
  };
}

/** --bandwidth, --downtime-limit, --max-rounds and --on-stall, checked, as the one object the request carries. */
function parseMigrationOptions(opts: MigrateOptions): MigrateRequestOptions | undefined {
  const options: { -readonly [K in keyof MigrateRequestOptions]: MigrateRequestOptions[K] } = {};
  if (opts.bandwidth !== undefined) {
    const bandwidth = parseSize(opts.bandwidth.replace(/\/s$/i, ''));
    if (bandwidth === undefined || bandwidth <= 0) return void fail(`--bandwidth ${JSON.stringify(opts.bandwidth)} is not a rate (try 10M, 512K/s)`);
    options.bandwidth = bandwidth;
  }
  if (opts.downtimeLimit !== undefined) {
    const downtimeLimitMs = Number(opts.downtimeLimit.replace(/ms$/, ''));
    if (!Number.isFinite(downtimeLimitMs) || downtimeLimitMs < 0) return void fail(`--downtime-limit ${JSON.stringify(opts.downtimeLimit)} is not a number of milliseconds`);
    options.downtimeLimitMs = downtimeLimitMs;
  }
  if (opts.maxRounds !== undefined) {
    const n = parseCount(opts.maxRounds, '--max-rounds');
    if (n === null) return undefined;
    options.maxRounds = n;
  }
  if (opts.onStall !== undefined) {
    const p = canonical(opts.onStall);
    if (!(STALL_POLICIES as readonly string[]).includes(p)) return void fail(`--on-stall ${JSON.stringify(opts.onStall)}: choose ${STALL_POLICIES.join(', ')}`);
    options.onStall = p as StallPolicy;
  }
  return options;
}

async function migrate(vm: string, opts: MigrateOptions): Promise<void> {
  const token = requireToken(opts);
  const source = daemonAddress(opts);
  if (token === undefined || !source) return;
  const params = parseParams(vm, opts, token);
  if (!params) return;
  const view = new Reporter(opts.json === true);

  // A reset is asked again before it is believed (a daemon killed as we connect); nothing listening is final.
  const client = await connectQuietly(opts);
  if (client instanceof ControlError) return opts.recover ? sourceGone(view, params, formatAddress(source), 'setup', opts) : fail(client.message);
  if (!client) return;

  let lastPhase: MigrationPhase = 'setup';
  const onEvent = (e: StreamEvent): void => {
    if (e.kind === 'migration' && e.event.kind === 'phase') lastPhase = e.event.phase;
    view.event(e);
  };
  const call = opts.recover ? client.recover({ name: vm, to: params.to, toToken: params.toToken }, onEvent) : client.migrate(params, onEvent);

  let cancelled = false;
  const onSigint = (): void => {
    if (cancelled) {
      view.note('not waiting any longer; the daemon finishes or cancels on its own');
      process.exit(EXIT_CANCELLED);
    }
    cancelled = true;
    view.note(AFTER_SWITCHOVER.has(lastPhase) ? 'past switchover: the migration cannot be cancelled now, it finishes' : 'Ctrl-C: cancelling (Ctrl-C again to stop waiting)');
    call.cancel();
  };
  process.on('SIGINT', onSigint);
  try {
    const outcome = await call.result;
    view.outcome(vm, outcome, formatAddress(source), params.to);
    process.exitCode = exitFor(outcome, cancelled);
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    if (e.code !== 'connection') return fail(e.message);
    // The source daemon went away mid-migration: if it is gone for good, the
    // destination is the only place the guest can still be.
    view.note(`lost contact with the source daemon ${formatAddress(source)} during ${lastPhase}`);
    const again = await connectQuietly(opts);
    if (again instanceof ControlError) return sourceGone(view, params, formatAddress(source), lastPhase, opts);
    if (!again) return; // connectQuietly said what went wrong
    again.close();
    fail(`the connection to ${formatAddress(source)} dropped, but the daemon is still there: see typevisor vm list`);
  } finally {
    process.off('SIGINT', onSigint);
    client.close();
  }
}

function exitFor(o: MigrationOutcome, cancelled: boolean): number {
  switch (o.kind) {
    case 'completed':
      return 0;
    case 'aborted':
      return cancelled ? EXIT_CANCELLED : 1;
    case 'interrupted':
      return EXIT_INTERRUPTED;
    case 'lost':
      return 1;
  }
}

/**
 * A client; the ControlError 'no-daemon' when no daemon listens there any more; or undefined after
 * reporting another failure. A daemon killed a moment ago may still have its
 * listening socket open while the kernel tears the process down: the
 * handshake completes, then the connection is reset. So a reset is asked
 * again, a few times, before it is believed; only a refusal means gone.
 */
async function connectQuietly(opts: ConnectOptions): Promise<ControlClient | ControlError | undefined> {
  const address = daemonAddress(opts);
  const token = requireToken(opts);
  if (!address || token === undefined) return undefined;
  const tls = clientTls(opts);
  if (tls === null) return undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await ControlClient.connect({ address, token, ...(tls ? { tls } : {}) });
    } catch (e) {
      if (!(e instanceof ControlError)) throw e;
      if (e.code === 'no-daemon') return e; // gone
      if (e.code !== 'connection' || attempt === RESET_ATTEMPTS) return void fail(e.message);
      await new Promise((r) => setTimeout(r, RESET_PAUSE_MS));
    }
  }
}
const RESET_ATTEMPTS = 5;
const RESET_PAUSE_MS = 200;

/**
 * The source daemon is gone, and the guest's memory with it. Ask the
 * destination what it holds: a guest waiting for the source is abandoned
 * there (kept if it already has every page, else lost); either way the
 * answer is said explicitly.
 */
async function sourceGone(view: Reporter, p: MigrateParams, source: string, phase: MigrationPhase, opts: ConnectOptions): Promise<void> {
  const reason = `the source daemon ${source} is gone`;
  process.exitCode = 1;
  let dest: ControlClient;
  try {
    // The destination is reached with the same TLS options as the source.
    const tls = clientTls(opts) ?? undefined;
    dest = await ControlClient.connect({ address: parseAddress(p.to), token: p.toToken, ...(tls ? { tls } : {}) });
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    return view.lost(p.name, `${reason}, and the destination cannot be asked (${e.message})`);
  }
  try {
    let info = (await dest.list()).find((v) => v.name === p.name);
    if (info?.migration?.phase === 'interrupted') info = await dest.abandon(p.name, reason);
    if (!info) return view.lost(p.name, `${reason}, and the destination has no copy (the source died during ${phase}, before the guest was there)`);
    if (info.state === 'lost') return view.lost(p.name, info.reason ?? reason);
    process.exitCode = 0;
    view.note(`${reason}, but the destination has all of ${p.name}: it is ${info.state} on ${p.to}`);
  } catch (e) {
    if (!(e instanceof ControlError)) throw e;
    view.lost(p.name, `${reason}; the destination: ${e.message}`);
  } finally {
    dest.close();
  }
}

/** Everything the command prints, as text for people or JSON lines for scripts. */
class Reporter {
  private readonly progress: ProgressView | undefined;

  constructor(private readonly json: boolean) {
    if (!json) this.progress = new ProgressView((t) => writeOut(1, t), process.stdout.isTTY === true, paint());
  }

  event(e: StreamEvent): void {
    if (this.json) {
      if (e.kind === 'migration') writeOut(1, JSON.stringify(e.event) + '\n');
      else if (e.kind === 'status') writeOut(1, JSON.stringify({ kind: 'status', message: e.message }) + '\n');
      return;
    }
    if (e.kind === 'status') this.progress!.status(e.message);
    else if (e.kind === 'migration') this.progress!.event(e.event);
  }

  note(message: string): void {
    if (this.json) return void writeOut(1, JSON.stringify({ kind: 'status', message }) + '\n');
    this.progress!.clear();
    writeOut(2, `${paintErr().yellow('note:')} ${message}\n`);
  }

  lost(name: string, reason: string): void {
    if (this.json) return void writeOut(1, JSON.stringify({ kind: 'result', outcome: { kind: 'lost', reason } }) + '\n');
    this.progress!.clear();
    writeOut(2, `${paintErr().red.bold('LOST:')} ${name} cannot be completed anywhere: ${reason}\n`);
  }

  outcome(name: string, o: MigrationOutcome, source: string, to: string): void {
    if (this.json) return void writeOut(1, JSON.stringify({ kind: 'result', outcome: o }) + '\n');
    this.progress!.clear();
    const c = paint();
    const err = paintErr();
    switch (o.kind) {
      case 'completed':
        writeOut(1, `${c.green('migrated')} ${c.bold(name)} to ${to}\n\n${renderReport(o.report)}\n`);
        break;
      case 'aborted':
        writeOut(1, `${renderReport(o.report)}\n`);
        // What became of the destination's copy is what the source daemon found when it asked (destination-fate.ts).
        writeOut(2, `${err.red('aborted')} during ${o.phase}: ${name} is running on ${source}, unchanged; ${o.destination?.says ?? `a copy on ${to} never runs without the source's GO`}\n`);
        break;
      case 'interrupted':
        writeOut(2, `${err.yellow('interrupted')} after switchover: ${o.reason}\n${name} is paused, running nowhere, until you finish it:\n  ${recoveryCommand(name, source, to)}\n`);
        break;
      case 'lost':
        writeOut(2, `${err.red.bold('LOST:')} ${name} cannot be completed anywhere: ${o.reason}\n`);
        break;
    }
  }
}
