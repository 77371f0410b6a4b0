/**
 * A whole daemon: the VM registry over the monitors it is given, the
 * migration driver and the control server, wired together — what
 * `typevisor serve` starts (and the tests, in-process). Which monitors
 * exist is the caller's choice (cli/control/hosts.ts): control never
 * builds one itself.
 */
import { readImage, ImageError } from '../../isa/image.js';
import type { Address } from './address.js';
import { ControlDaemon, type OpHandlers } from './daemon.js';
import { ControlError } from './control-error.js';
import { VmRegistry, type Hosts } from './registry.js';
import { MigrationDriver } from './migrations.js';
import { SnapshotDriver } from './snapshots.js';
import { SnapshotSchedule, type ScheduleOptions } from './snapshot-schedule.js';
import { DebugSessions } from './debug-sessions.js';
import { warmUpSwitchover } from './engine.js';
import type { ServerTls } from './tls.js';
import { NetPlane } from './net-plane.js';
import { Forwarding } from './forwarding.js';
import { servingHere } from './moved.js';
import { isLoopback } from './address.js';
import { defaultStateDir, StateDir } from './state-dir.js';
import { VolumeStore } from './volume-store.js';
import { VmDisks } from './vm-disks.js';
import type { FleetHooks } from './fleet-hooks.js';
import type { RestoreParams, RestoreResult } from './protocol.js';

export interface ServiceOptions {
  readonly listen: Address;
  readonly token: string;
  /** The monitors VMs run on here. */
  readonly hosts: Hosts;
  readonly log?: (line: string) => void;
  /** How long a new connection may take to say hello (the daemon's default otherwise). */
  readonly helloTimeoutMs?: number;
  /** Connections allowed at once before their hello (the daemon's default otherwise). */
  readonly maxUnauthenticated?: number;
  /** Require TLS; migrations to other daemons then use it too, with these credentials. */
  readonly tls?: ServerTls;
  /** Where volumes and transient disks live (state-dir.ts; default defaultStateDir()). */
  readonly stateDir?: string;
  /** A daemon of a fleet (serve --cluster): names claimed, stops and commit points told to it. */
  readonly fleet?: FleetHooks;
  /** Save every VM live into a snapshot store this often (snapshot-schedule.ts). */
  readonly snapshotEvery?: ScheduleOptions;
  /** Drop a migration channel silent this long while a side waits (migrations.ts; default DEFAULT_MIGRATION_IDLE_MS). */
  readonly migrationIdleMs?: number;
}

export interface Service {
  readonly address: string;
  readonly host: VmRegistry;
  /** The periodic snapshots, when asked for. */
  readonly schedule: SnapshotSchedule | undefined;
  /** Resolves when the daemon has stopped (after close()). */
  readonly done: Promise<void>;
  /** Start a VM from a snapshot file here (what vm.restore does; a fleet's failover calls it). */
  restore(p: RestoreParams): Promise<RestoreResult>;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const log = options.log ?? (() => {});
  // The address is known only once listening; the lock is taken later still (state-dir.ts).
  let listening = '';
  const stateDir = new StateDir(options.stateDir ?? defaultStateDir(), () => listening, log);
  const volumes = new VolumeStore(stateDir);
  // The registry tells the network side when a VM is gone; the network side finds VMs in the registry.
  let net: NetPlane | undefined;
  const host = new VmRegistry(options.hosts, { log, onGone: (name) => net?.drop(name), disks: new VmDisks(stateDir, volumes) });
  net = new NetPlane((name) => (host.has(name) ? host.guest(host.record(name)) : undefined), log, options.tls);
  const plane = net;
  const forwarding = new Forwarding();
  const here = servingHere(host, forwarding);
  const fleet = options.fleet;
  let restore: ((p: RestoreParams) => Promise<RestoreResult>) | undefined;
  let schedule: SnapshotSchedule | undefined;
  const daemon = await ControlDaemon.start(
    {
      listen: options.listen,
      token: options.token,
      log,
      ...(options.helloTimeoutMs !== undefined ? { helloTimeoutMs: options.helloTimeoutMs } : {}),
      ...(options.maxUnauthenticated !== undefined ? { maxUnauthenticated: options.maxUnauthenticated } : {}),
      ...(options.tls ? { tls: options.tls } : {}),
    },
    (address, info): OpHandlers => {
    host.address = address;
    const migrations = new MigrationDriver(host, address, log, options.tls, plane, forwarding, fleet, options.migrationIdleMs);
    const snapshots = new SnapshotDriver(host, log);
    restore = (p) => restored(snapshots.restore(p));
    if (options.snapshotEvery) schedule = new SnapshotSchedule(host, snapshots, options.snapshotEvery, log);
    const debuggers = new DebugSessions(host);
    return {
      'daemon.info': () => info(),
      'vm.start': async (p) => {
        let image;
        try {
          image = readImage(Buffer.from(p.image, 'base64'));
        } catch (e) {
          if (e instanceof ImageError) throw new ControlError('bad-image', `${p.kernel}: ${e.message}`);
          throw e;
        }
        if (p.disk?.kind === 'file' && !isLoopback(options.listen.host)) {
          throw new ControlError('bad-request', `this daemon listens on ${options.listen.host}, which other machines can reach: it opens no file a client names (use --volume or --scratch)`);
        }
        const name = p.name ?? host.freeName();
        if (host.has(name)) return host.start({ name, kernel: p.kernel, image, memSize: p.memSize, share: p.share, monitor: p.monitor ?? 'native' }); // refused: name taken
        await fleet?.claim({ name, kernel: p.kernel, memSize: p.memSize, share: p.share });
        // Cabled before it starts: a listener that cannot bind refuses the start.
        if (p.net) await plane.open(name, p.net).catch((e: unknown) => {
          fleet?.released(name);
          throw e;
        });
        try {
          const info = host.start({
            name, kernel: p.kernel, image, memSize: p.memSize, share: p.share, monitor: p.monitor ?? 'native',
            ...(p.net ? { netOutput: plane.sink(name) } : {}),
            ...(p.disk ? { disk: p.disk } : {}),
          });
          forwarding.forget(name);
          return withNet(info);
        } catch (e) {
          plane.drop(name);
          fleet?.released(name);
          throw e;
        }
      },
      'vm.list': () => ({ vms: host.list().map(withNet) }),
      'vm.stats': (p) => {
        const stats = withNet(host.stats(here(p.name)));
        return schedule ? { ...stats, periodicSnapshot: schedule.info(p.name) } : stats;
      },
      'vm.stop': (p) => {
        const info = host.stop(here(p.name));
        fleet?.released(p.name);
        return info;
      },
      'vm.pause': (p) => host.pause(here(p.name)),
      'vm.resume': (p) => host.resume(here(p.name)),
      'vm.console': (p, ctx) =>
        new Promise((resolve) => {
          const unfollow = host.follow(
            here(p.name),
            p.history,
            (bytes, at) => ctx.emit({ kind: 'console', data: Buffer.from(bytes).toString('base64'), at }),
            (reason, offset) => {
              // Migrated away: the client is told where, and from which byte to go on there.
              const moved = forwarding.where(p.name);
              resolve(moved ? { reason, movedTo: moved.to, offset } : { reason });
            },
            p.since,
          );
          ctx.onCancel(() => {
            unfollow();
            resolve({ reason: 'detached' });
          });
        }),
      'vm.input': (p) => {
        host.input(here(p.name), p.data === null ? null : Buffer.from(p.data, 'base64'));
        return {};
      },
      'vm.debug': (p, ctx) => debuggers.attach(p.name, ctx),
      'vm.debug.command': (p, ctx) => debuggers.command(p.name, p.line, ctx),
      // (not while a snapshot of it is being taken: both read its dirty log)
      migrate: (p, ctx) => snapshots.migrating(p.name, () => migrations.migrate(p, ctx)),
      'migrate.recover': (p, ctx) => migrations.recover(p, ctx),
      'migration.incoming': (p, ctx) => migrations.incomingChannel(p, ctx),
      'migration.abandon': (p) => migrations.abandon(p),
      'migration.finish': (p) => migrations.finish(p),
      'vm.net.attach': (p, ctx) => {
        const take = plane.attach(p);
        if (p.socket === 'none') {
          take(undefined);
          return {};
        }
        ctx.handOver();
        ctx.after(() => take(ctx.socket));
        return {};
      },
      'volume.create': (p) => {
        const v = volumes.create(p.name, p.size, p.from ? Buffer.from(p.from, 'base64') : undefined);
        log(`volume ${v.name}: created (${v.size} bytes)`);
        return v;
      },
      'volume.list': () => volumes.list(),
      'volume.rm': (p) => {
        const v = volumes.remove(p.name);
        log(`volume ${v.name}: removed`);
        return v;
      },
      'volume.attach': (p) => host.attachDisk(p.vm, { kind: 'volume', name: p.name }),
      'volume.detach': (p) => {
        const v = volumes.get(p.name);
        if (v.attachedTo === null) throw new ControlError('bad-state', `volume ${p.name} is not attached to a VM`);
        if (host.has(v.attachedTo)) host.detachDisk(v.attachedTo);
        else volumes.detach(p.name, v.attachedTo); // its VM is gone: only the mark is left to clear
        return volumes.get(p.name);
      },
      'vm.snapshot': (p) => snapshots.snapshot(p),
      'vm.restore': (p) => restore!(p),
    };
    /** In a fleet, a restored VM claims its name once the file has said it; refused, it stops again. */
    async function restored(running: Promise<RestoreResult>): Promise<RestoreResult> {
      const info = await running;
      if (!fleet) return info;
      try {
        await fleet.claim({ name: info.name, kernel: info.kernel, memSize: info.memSize, share: info.share });
      } catch (e) {
        host.stop(info.name);
        throw e;
      }
      return info;
    }
        function withNet<T extends { readonly name: string }>(info: T): T {
      const d = plane.describe(info.name);
      return d ? { ...info, net: d } : info;
    }
  });
  // The first migration's switchover would otherwise run cold, inside a guest's downtime.
  warmUpSwitchover();
  listening = daemon.address;
  const done = host.serve();
  log(`listening on ${daemon.address}`);
  schedule?.start();
  let closing: Promise<void> | undefined;
  return {
    address: daemon.address,
    host,
    schedule,
    done,
    restore: (p) => restore!(p),
    close: () => (closing ??= (async () => {
      // A snapshot being written is finished first: the store keeps a whole file either way, but a newer one.
      await schedule?.close();
      await daemon.close();
      plane.close();
      await host.close();
      stateDir.release();
    })()),
  };
}
