/**
 * `typevisor vm snapshot|restore` and `vm start --from FILE --count N`: a
 * daemon's VMs saved to snapshot files and started from them (the daemon
 * reads and writes the files: hypervisor/control/snapshots.ts).
 */
import { basename, extname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { MONITORS, type MonitorKind } from '../../hypervisor/core/host.js';
import type { RestoreResult, SnapshotResult } from '../../hypervisor/control/protocol.js';
import { MAX_SHARE, VM_NAME_RULE } from '../../hypervisor/control/params.js';
import { paint } from '../color.js';
import { connectOptions, withDaemon, type ConnectOptions } from '../control/connect.js';
import { mib } from '../control/vm-table.js';
import { fail, parseCount, writeOut } from '../load.js';
import { diskWords } from '../../hypervisor/control/snapshot-disks.js';

interface SnapshotOptions extends ConnectOptions {
  readonly live?: boolean;
  readonly stop?: boolean;
  readonly json?: boolean;
}

export interface RestoreOptions extends ConnectOptions {
  readonly name?: string;
  readonly lazy?: boolean;
  readonly monitor?: MonitorKind;
  readonly share: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly restart?: boolean;
}

export function registerVmSnapshots(vm: Command): void {
  connectOptions(
    vm
      .command('snapshot')
      .description('save a VM (its state and memory) to a snapshot file; it goes on running')
      .argument('<name>', 'the VM')
      .argument('<file>', 'the snapshot file to write (replaced atomically if it exists)')
      .option('--live', 'copy its memory while it runs (pre-copy rounds over the dirty log); pause only for the rest')
      .option('--stop', 'stop the VM once it is saved')
      .option('--json', 'print what was saved as JSON'),
  )
    .addHelpText('after', `
The daemon writes FILE (a path on its machine: a relative one is resolved here
first, so run this on the daemon's machine). By default the VM is paused for
the copy of its memory and resumed after; --live copies while it runs and
pauses it only for the pages it dirtied meanwhile and its CPU state. The file
appears under its name only once it is complete and synced: an interrupted
snapshot leaves the old file (or none), never a broken one.

A VM's disk goes with it by its binding: a volume (--volume) by reference —
its name and generation; restoring attaches that volume again — and a
transient disk (--scratch) by value: its bytes, read while the VM is paused
(with --live too), in the file. Unless --stop, a VM on a volume goes on with
the volume's next generation: what it writes from now on is not what the
snapshot saw, and a restore will say so. A VM whose disk is a file (--disk)
is refused: put the file on a volume (volume create NAME --from FILE).

Examples:
  typevisor vm snapshot web web.snap
  typevisor vm snapshot web web.snap --live
  typevisor vm snapshot web web.snap --stop
  typevisor image inspect web.snap`)
    .action((name: string, file: string, opts: SnapshotOptions) =>
      withDaemon(opts, async (c) => {
        const r: SnapshotResult = await c.request('vm.snapshot', { name, path: resolve(file), live: opts.live === true, stop: opts.stop === true });
        if (opts.json) return void writeOut(1, JSON.stringify(r) + '\n');
        const how = r.rounds > 0 ? `live: ${r.rounds} round${r.rounds === 1 ? '' : 's'}, paused ${r.pausedMs} ms` : `paused ${r.pausedMs} ms`;
        writeOut(1, `saved ${paint().bold(r.name)} to ${file}: ${r.bytes} bytes, ${r.pagesPresent} of ${r.pages} pages stored, at instruction ${r.instructions} (${how}, ${r.totalMs} ms in all)${r.disk ? `; disk: ${diskWords(r.disk)}` : ''}${r.stopped ? '; stopped' : ''}\n`);
      }),
    );

  connectOptions(
    restoreOptions(vm.command('restore').description('start a VM from a snapshot file, where it was saved').argument('<file>', 'the snapshot file (typevisor vm snapshot, or boot --snapshot-at)'))
      .option('--restart', 'it is the VM of a host that died, from the snapshot store (serve --snapshot-dir): keep its name, and show it as restarted'),
  )
    .addHelpText('after', `
The daemon reads FILE and checks it whole (every section's checksum) before it
starts anything; a bad file is refused with the field and offset that are
wrong. With --lazy the guest resumes before its memory is loaded: a page it
touches is read from the file then (checked against its own checksum), and the
rest is read in the background.

A snapshot with a transient disk gives the VM a transient disk of its own
with the saved bytes (loaded before the guest resumes, --lazy too). One
with a volume attaches that volume again: refused if another VM holds it
(stop that VM first), and if the volume has moved on since the snapshot
(another VM had it, or the saved one went on writing) unless --force.

Examples:
  typevisor vm restore web.snap
  typevisor vm restore web.snap --name web2 --lazy
  typevisor vm restore boot.snap --monitor hosted
  typevisor vm restore db.snap --force        # its volume moved on: attach it anyway
  typevisor vm restore /srv/store/web.tvsn --restart   # web's host died: bring it back here`)
    .action((file: string, opts: RestoreOptions) => withDaemon(opts, async (c) => {
      const share = checkShare(opts.share);
      if (share === undefined) return;
      const r: RestoreResult = await c.request('vm.restore', { ...restoreParams(file, opts.name, opts, share), ...(opts.restart === true ? { restart: true } : {}) });
      writeOut(1, opts.json ? JSON.stringify(r) + '\n' : describeRestore(r, c.address, opts.lazy === true));
    }));
}

/** The options restore and start --from share. */
export function restoreOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'what to call it (default: the name it was saved with)')
    .option('--lazy', 'resume at once and read memory from the file as the guest touches it')
    .addOption(new Option('--monitor <kind>', 'the monitor to run it on (default: the one it was saved on)').choices([...MONITORS]))
    .option('--share <n>', 'relative CPU share against the daemon\'s other native VMs', '1')
    .option('--force', 'attach the snapshot\'s volume even if it has moved on (a newer generation) since')
    .option('--json', 'print the VM as JSON');
}

function checkShare(text: string): number | undefined {
  const share = parseCount(text, '--share');
  if (share === null) return undefined;
  if (share > MAX_SHARE) return void fail(`--share: at most ${MAX_SHARE}`);
  return share;
}

function restoreParams(file: string, name: string | undefined, opts: RestoreOptions, share: number, instances = 1) {
  return {
    path: resolve(file),
    ...(opts.force === true ? { force: true } : {}),
    ...(instances > 1 ? { instances } : {}),
    ...(name !== undefined ? { name } : {}),
    lazy: opts.lazy === true,
    ...(opts.monitor !== undefined ? { monitor: opts.monitor } : {}),
    share,
  };
}

function describeRestore(r: RestoreResult, address: string, lazy: boolean): string {
  return `${r.restarted ? 'restarted' : 'restored'} ${paint().bold(r.name)} (${r.kernel}, ${mib(r.memSize)}, ${r.monitor} monitor${r.disk ? `, ${restoredDisk(r.disk)}` : ''}) at instruction ${r.savedAt} on ${address} in ${r.restoreMs} ms${lazy ? ', memory loading lazily' : ''}\n`;
}

function restoredDisk(d: NonNullable<RestoreResult['disk']>): string {
  switch (d.kind) {
    case 'volume':
      return `volume ${d.name} (generation ${d.generation})`;
    case 'transient':
      return `its own transient disk (${d.sectors} sectors)`;
    case 'file':
      return `disk ${d.path}`;
  }
}

/**
 * `vm start --from FILE --count N`: N independent instances of one snapshot,
 * named PREFIX-1..N (PREFIX: --name, else the file's name). Each is a VM of
 * its own with its own copy of the memory: they diverge from there.
 */
export async function startFromSnapshot(file: string, countText: string, opts: RestoreOptions): Promise<void> {
  const count = parseCount(countText, '--count');
  if (count === null) return;
  if (count > 64) return fail('--count: at most 64 instances at once');
  const share = checkShare(opts.share);
  if (share === undefined) return;
  const prefix = opts.name ?? basename(file, extname(file));
  const names = count === 1 && opts.name !== undefined ? [prefix] : Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  const bad = names.find((n) => !VM_NAME_RULE.test(n));
  if (bad) return fail(`${bad} is not a VM name: give --name (letters, digits, ".", "_" or "-")`);
  await withDaemon(opts, async (c) => {
    const out: RestoreResult[] = [];
    for (const n of names) out.push(await c.request('vm.restore', restoreParams(file, n, opts, share, count)));
    if (opts.json) writeOut(1, JSON.stringify(out) + '\n');
    else for (const r of out) writeOut(1, describeRestore(r, c.address, opts.lazy === true));
  });
}
