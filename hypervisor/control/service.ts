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
import { warmUpSwitchover } from './engine.js';
import type { ServerTls } from './tls.js';

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
}

export interface Service {
  readonly address: string;
  readonly host: VmRegistry;
  /** Resolves when the daemon has stopped (after close()). */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const log = options.log ?? (() => {});
  const host = new VmRegistry(options.hosts, { log });
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
    const migrations = new MigrationDriver(host, address, log, options.tls);
    return {
      'daemon.info': () => info(),
      'vm.start': (p) => {
        let image;
        try {
          image = readImage(Buffer.from(p.image, 'base64'));
        } catch (e) {
          if (e instanceof ImageError) throw new ControlError('bad-image', `${p.kernel}: ${e.message}`);
          throw e;
        }
        return host.start({ ...(p.name !== undefined ? { name: p.name } : {}), kernel: p.kernel, image, memSize: p.memSize, share: p.share, monitor: p.monitor ?? 'native' });
      },
      'vm.list': () => ({ vms: host.list() }),
      'vm.stats': (p) => host.stats(p.name),
      'vm.stop': (p) => host.stop(p.name),
      'vm.pause': (p) => host.pause(p.name),
      'vm.resume': (p) => host.resume(p.name),
      'vm.console': (p, ctx) =>
        new Promise((resolve) => {
          const unfollow = host.follow(
            p.name,
            p.history,
            (bytes) => ctx.emit({ kind: 'console', data: Buffer.from(bytes).toString('base64') }),
            (reason) => resolve({ reason }),
          );
          ctx.onCancel(() => {
            unfollow();
            resolve({ reason: 'detached' });
          });
        }),
      'vm.input': (p) => {
        host.input(p.name, p.data === null ? null : Buffer.from(p.data, 'base64'));
        return {};
      },
      migrate: (p, ctx) => migrations.migrate(p, ctx),
      'migrate.recover': (p, ctx) => migrations.recover(p, ctx),
      'migration.incoming': (p, ctx) => migrations.incomingChannel(p, ctx),
      'migration.abandon': (p) => migrations.abandon(p),
      'migration.finish': (p) => migrations.finish(p),
    };
  });
  // The first migration's switchover would otherwise run cold, inside a guest's downtime.
  warmUpSwitchover();
  const done = host.serve();
  log(`listening on ${daemon.address}`);
  let closing: Promise<void> | undefined;
  return {
    address: daemon.address,
    host,
    done,
    close: () => (closing ??= (async () => {
      await daemon.close();
      await host.close();
    })()),
  };
}
