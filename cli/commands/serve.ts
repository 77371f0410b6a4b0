/**
 * `typevisor serve`: a monitor daemon. It hosts VMs that `typevisor vm …`
 * starts, watches and stops, and takes part in `typevisor migrate` on either
 * end — all through the control protocol (hypervisor/control/README.md), every
 * connection authenticated by the shared token.
 */
import { lookup } from 'node:dns/promises';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDuration, UnitError } from '../../hypervisor/migration/units.js';
import { MIN_SNAPSHOT_EVERY_MS, type ScheduleOptions } from '../../hypervisor/control/snapshot-schedule.js';
import { STATE_DIR_ENV } from '../../hypervisor/control/state-dir.js';
import type { Command } from 'commander';
import { AddressError, isLoopback, parseAddress, type Address } from '../../hypervisor/control/address.js';
import { DEFAULT_CAPACITY } from '../../hypervisor/control/registry.js';
import { daemonHosts } from '../control/hosts.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../hypervisor/control/protocol.js';
import { startService } from '../../hypervisor/control/service.js';
import { DEFAULT_MIGRATION_IDLE_MS } from '../../hypervisor/control/migrations.js';
import { MAX_TOKEN_LENGTH, TOKEN_ENV, generateToken, resolveToken } from '../../hypervisor/control/token.js';
import { TLS_CA_ENV, TlsConfigError, loadTls, type ServerTls } from '../../hypervisor/control/tls.js';
import { paint, paintErr } from '../color.js';
import { fail, parseMem, writeOut } from '../load.js';
import { FLEET_SERVE_HELP, fleetServeOptions, openFleet, type Fleet, type FleetServeOptions } from '../control/fleet-serve.js';

interface ServeOptions extends FleetServeOptions {
  readonly listen?: string;
  readonly token?: string;
  readonly capacity: string;
  readonly quiet?: boolean;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
  readonly stateDir?: string;
  readonly snapshotEvery?: string;
  readonly snapshotDir?: string;
  readonly migrationIdleTimeout: string;
}

export function registerServe(program: Command): void {
  fleetServeOptions(program
    .command('serve')
    .description('run a monitor daemon that hosts VMs for typevisor vm and typevisor migrate')
    .option('--listen <host:port>', `where to listen (default ${DEFAULT_HOST}:${DEFAULT_PORT}; port 0 picks a free one)`)
    .option('--token <token>', `the shared token clients must present (default: $${TOKEN_ENV}; if neither, one is generated and printed)`)
    .option('--capacity <size>', 'RAM for each monitor\'s VMs (native and hosted), shadow page tables included', `${DEFAULT_CAPACITY / 1024 / 1024}M`)
    .option('--quiet', 'print only the listening line, not a line per event')
    .option('--state-dir <dir>', `where volumes and transient disks live (default: $${STATE_DIR_ENV}, else $XDG_DATA_HOME/typevisor, else ~/.local/share/typevisor); one daemon at a time`)
    .option('--snapshot-every <duration>', 'save every VM live into the snapshot store this often (10s, 500ms): DIR/NAME.tvsn, replaced atomically')
    .option('--snapshot-dir <dir>', 'the snapshot store --snapshot-every writes (created if missing; share it between daemons to restart VMs elsewhere)')
    .option('--tls-cert <file>', 'require TLS: this daemon\'s certificate (PEM); also its client certificate towards other daemons')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .option('--tls-ca <file>', 'require client certificates signed by this CA (PEM; mutual TLS); also checks the daemons it migrates to')
    .option('--migration-idle-timeout <duration>', 'abort a migration whose peer sends nothing for this long while this side waits (500ms, 30s)', `${DEFAULT_MIGRATION_IDLE_MS / 1000}s`))
    .addHelpText('after', `
The daemon listens on ${DEFAULT_HOST} unless --listen names another address:
only processes on this machine can reach it. Listening on any other address
needs it spelled out (--listen 0.0.0.0:${DEFAULT_PORT}) and prints a warning: the
token is then the only protection, and the traffic is not encrypted.

With --tls-cert and --tls-key every connection must use TLS (clients:
--tls-ca CA-FILE or $${TLS_CA_ENV}); a plaintext one is refused with a
reason. With --tls-ca too, clients must also present a certificate signed
by that CA (--tls-cert, --tls-key). The daemon reaches the daemons it
migrates to with TLS as well: its certificate as the client's, its CA to
check theirs (their certificates must name the address --to gives, by IP SAN
for an IP; its own must allow client authentication).

Every connection must present the token; a wrong or missing one is refused
with a reason. The token travels on the command line of --token (visible in
ps): prefer $${TOKEN_ENV}.

Its VMs run on two monitors (typevisor vm start --monitor): native, one
simulated machine whose VMs share the daemon's thread in virtual time, and
hosted, a worker thread per VM in host time. --capacity bounds each.

Volumes (typevisor volume) and the VMs' transient disks (vm start --scratch)
live in the state directory. The daemon takes it (a lock file naming it) the
first time a VM or a command needs it; a second live daemon is then refused
it, saying which daemon holds it. Volumes outlive the daemon: a new daemon
on the same directory finds them, none attached; transient disks left by a
daemon that was killed are deleted.

With --snapshot-every D --snapshot-dir DIR the daemon saves each of its
running VMs every D, live (pre-copy rounds while it runs, then a pause of
about a millisecond for the rest), to DIR/NAME.tvsn, one VM at a time. Each
file is replaced atomically: a crash, kill -9 included, leaves the previous
snapshot or the new one under the name, never a torn one. A VM that has not
run since its last snapshot (paused, powered off) is not saved again; a
failed save (a full disk, an unwritable directory) is logged and the VM runs
on. vm stats NAME shows the last one. DIR is an image store: when this host
dies, its VMs can be started on another daemon from their latest files,
losing only what they did since (typevisor vm restore DIR/NAME.tvsn --restart).

A migration whose other side goes quiet (a source stopped or wedged in the
middle of a frame, a destination that never answers) is given up after
--migration-idle-timeout of silence (default ${DEFAULT_MIGRATION_IDLE_MS / 1000}s): before the commit point
the arriving copy is discarded and its memory freed here, and the source
resumes its guest; after it, both sides keep the guest paused for
typevisor migrate --recover, as for a broken link. The log says why. A
migration capped with migrate --bandwidth sends a 256 KiB frame, then waits:
below about 9 KB/s that wait passes 30s, so raise the timeout to match.

It prints "listening on HOST:PORT" first, then a line per event (VMs started
and stopped, migrations, refused connections). Ctrl-C or SIGTERM stops it,
and its VMs with it.

Examples:
  export ${TOKEN_ENV}=$(openssl rand -hex 16)
  typevisor serve                                   (${DEFAULT_HOST}:${DEFAULT_PORT})
  typevisor serve --listen 127.0.0.1:7481           (a second daemon, to migrate to)
  typevisor serve --listen 127.0.0.1:0 --capacity 64M
  typevisor serve --state-dir /var/lib/typevisor
  typevisor serve --migration-idle-timeout 120s     (slow links: give up on a silent peer later)
  typevisor serve --snapshot-every 10s --snapshot-dir /srv/typevisor/images
  typevisor image ls /srv/typevisor/images        (the store: each VM's latest snapshot)
  typevisor serve --cluster http://127.0.0.1:2379 --host-name a   (a host of a fleet)
${FLEET_SERVE_HELP}`)
    .action((opts: ServeOptions) => serve(opts));
}

async function serve(opts: ServeOptions): Promise<void> {
  const err = paintErr();
  let listen: Address;
  try {
    listen = parseAddress(opts.listen ?? `${DEFAULT_HOST}:${DEFAULT_PORT}`, true);
  } catch (e) {
    if (e instanceof AddressError) return fail(`--listen: ${e.message}`);
    throw e;
  }
  const capacity = parseMem(opts.capacity, '--capacity');
  if (capacity === undefined) return;
  if (capacity % 4096 !== 0 || capacity > 1024 ** 3) return fail('--capacity must be a multiple of 4K up to 1G');

  const snapshotEvery = snapshotStore(opts);
  if (snapshotEvery === null) return;
  const migrationIdleMs = idleTimeout(opts.migrationIdleTimeout);
  if (migrationIdleMs === undefined) return;

  let tls: ServerTls | undefined;
  try {
    const creds = loadTls({ cert: opts.tlsCert, key: opts.tlsKey, ca: opts.tlsCa }, { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca' });
    if (creds && (!creds.cert || !creds.key)) return fail('--tls-ca needs --tls-cert and --tls-key (the daemon\'s own certificate)');
    if (creds) tls = { ...creds, cert: creds.cert!, key: creds.key! };
  } catch (e) {
    if (e instanceof TlsConfigError) return fail(e.message);
    throw e;
  }

  // Only an explicit --listen HOST:PORT gets here with a host other than 127.0.0.1.
  if (!(await loopbackOnly(listen.host))) {
    if (!tls) writeOut(2, `${err.yellow('warning:')} listening on ${listen.host}, which other machines can reach: the token is the only protection, and the traffic is not encrypted\n`);
    else if (!tls.ca) writeOut(2, `${err.yellow('note:')} listening on ${listen.host}, which other machines can reach: TLS encrypts the traffic and proves this daemon's identity; the token is what keeps others out (add --tls-ca to require client certificates too)\n`);
    else writeOut(2, `${err.yellow('note:')} listening on ${listen.host}, which other machines can reach: TLS encrypts the traffic; only clients with a certificate signed by --tls-ca and the token get in\n`);
  }

  let token = resolveToken(opts.token);
  if (token !== undefined && token.length > MAX_TOKEN_LENGTH) return void fail(`--token: at most ${MAX_TOKEN_LENGTH} characters (the hello carrying it must fit in 4 KiB)`);
  if (token === undefined) {
    token = generateToken();
    writeOut(2, `no token given: generated one. Clients need it:\n  export ${TOKEN_ENV}=${token}\n`);
  }

  const c = paint();
  const stamp = (): string => new Date().toISOString().slice(11, 19);
  const log = (line: string): void => {
    if (line.startsWith('listening on ')) return;
    if (!opts.quiet) writeOut(1, `${c.dim(stamp())} ${line}\n`);
  };
  let fleet: Fleet | undefined;
  if (opts.cluster !== undefined) {
    const opened = await openFleet({ ...opts, cluster: opts.cluster }, { capacity, token, log, ...(tls ? { tls } : {}), ...(snapshotEvery ? { snapshotDir: snapshotEvery.dir } : {}) });
    if (typeof opened === 'string') return fail(opened);
    fleet = opened;
  }
  let service;
  try {
    service = await startService({
      listen,
      token,
      hosts: daemonHosts({ capacity }),
      ...(tls ? { tls } : {}),
      ...(opts.stateDir !== undefined ? { stateDir: resolve(opts.stateDir) } : {}),
      ...(fleet ? { fleet: fleet.hooks } : {}),
      ...(snapshotEvery ? { snapshotEvery } : {}),
      migrationIdleMs,
      log,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return fail(`${listen.host}:${listen.port} is already in use (another daemon? pick another port with --listen)`);
    if (code === 'EADDRNOTAVAIL') return fail(`${listen.host} is not an address of this machine`);
    if (code === 'EACCES') return fail(`not allowed to listen on ${listen.host}:${listen.port} (ports below 1024 need privileges)`);
    throw e;
  }

  if (fleet) {
    try {
      await fleet.join(service);
    } catch (e) {
      await service.close();
      return fail(`--cluster: ${(e as Error).message}`);
    }
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    writeOut(1, `${c.dim(stamp())} ${signal}: shutting down\n`);
    void (fleet?.leave() ?? Promise.resolve()).catch(() => undefined).then(() => service.close());
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Only now say where: whoever waits for this line may signal us at once.
  const security = tls ? (tls.ca ? 'TLS with client certificates, ' : 'TLS, ') : '';
  writeOut(1, `typevisor daemon listening on ${c.bold(service.address)} (${security}pid ${process.pid}, ${capacity / 1024 / 1024} MiB for VMs on each monitor: native, hosted)\n`);
  await service.done;
  process.exit(0);
}

/** --snapshot-every and --snapshot-dir, checked (undefined: not asked for; null: refused, said why). */
function snapshotStore(opts: ServeOptions): ScheduleOptions | undefined | null {
  if (opts.snapshotEvery === undefined && opts.snapshotDir === undefined) return undefined;
  if (opts.snapshotEvery === undefined) return void fail('--snapshot-dir needs --snapshot-every DURATION (how often to save each VM)'), null;
  if (opts.snapshotDir === undefined) return void fail('--snapshot-every needs --snapshot-dir DIR (where the snapshots go)'), null;
  let everyMs: number;
  try {
    everyMs = parseDuration(opts.snapshotEvery);
  } catch (e) {
    if (e instanceof UnitError) return void fail(`--snapshot-every: ${e.message}`), null;
    throw e;
  }
  if (everyMs < MIN_SNAPSHOT_EVERY_MS) return void fail(`--snapshot-every: at least ${MIN_SNAPSHOT_EVERY_MS}ms (each snapshot copies the VM's memory)`), null;
  const dir = resolve(opts.snapshotDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return void fail(`--snapshot-dir: cannot use ${dir}: ${code === 'EACCES' ? 'not writable' : code === 'ENOTDIR' || code === 'EEXIST' ? 'not a directory' : (e as Error).message}`), null;
  }
  return { everyMs, dir };
}

/** --migration-idle-timeout in ms (undefined: refused, said why). */
function idleTimeout(text: string): number | undefined {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    if (e instanceof UnitError) return void fail(`--migration-idle-timeout: ${e.message}`);
    throw e;
  }
  if (ms < MIN_MIGRATION_IDLE_MS) return void fail(`--migration-idle-timeout: at least ${MIN_MIGRATION_IDLE_MS}ms (a live peer can be that slow to answer a frame)`);
  if (ms > MAX_MIGRATION_IDLE_MS) return void fail(`--migration-idle-timeout: at most ${MAX_MIGRATION_IDLE_MS / 3_600_000}h`);
  return ms;
}
const MIN_MIGRATION_IDLE_MS = 100;
const MAX_MIGRATION_IDLE_MS = 24 * 3_600_000;

/** True when every address the host names is loopback. */
async function loopbackOnly(host: string): Promise<boolean> {
  if (isLoopback(host)) return true;
  try {
    const all = await lookup(host, { all: true });
    return all.length > 0 && all.every((a) => isLoopback(a.address));
  } catch {
    return false;
  }
}
