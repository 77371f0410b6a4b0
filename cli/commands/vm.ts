/**
 * `typevisor vm start|list|stats|stop|pause|resume|console`: the VMs a daemon
 * (`typevisor serve`) hosts. Each subcommand is one request through the typed
 * client; `console` follows a VM's output live and sends it our stdin.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { MONITORS, type MonitorKind } from '../../hypervisor/core/host.js';
import { writeImage } from '../../isa/image.js';
import type { VmInfo, VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { describeDisk } from '../../hypervisor/control/vm-disks.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { MAX_SHARE } from '../../hypervisor/control/params.js';
import { paint } from '../color.js';
import { connectOptions, withDaemon, type ConnectOptions } from '../control/connect.js';
import { followConsole, withVmDaemon, type ConsoleFollowOptions, type FollowOptions } from '../control/follow.js';
import { netSpec } from '../control/net-options.js';
import { formatVmTable, formatVmStats, mib } from '../control/vm-table.js';
import { diskOptions, diskRequest, type DiskOptions } from '../control/disk-options.js';
import { fail, loadProgram, parseCount, parseMem, writeOut } from '../load.js';
import { registerVmSnapshots, startFromSnapshot, type RestoreOptions } from './vm-snapshot.js';
import { registerVmDebug } from './vm-debug.js';
import { clusterOption, placeInFleet, vmInFleet, type ClusterOptions } from '../control/fleet-target.js';

interface StartOptions extends ConnectOptions, DiskOptions, ClusterOptions {
  readonly host?: string;
  readonly name?: string;
  readonly monitor?: MonitorKind;
  readonly from?: string;
  readonly count?: string;
  readonly force?: boolean;
  readonly lazy?: boolean;
  readonly mem: string;
  readonly share: string;
  readonly json?: boolean;
  readonly netListen?: string;
  readonly netConnect?: string;
  readonly netPublic?: boolean;
}

interface JsonOption extends FollowOptions, ClusterOptions {
  readonly json?: boolean;
}

const FOLLOW_HELP = 'if the VM migrated away, ask the daemon it went to (the one asked says where)';

const EXAMPLES = `
Examples:
  export TYPEVISOR_TOKEN=…                  (the token typevisor serve printed)
  typevisor vm start guests/kernel/kernel.s --name web --mem 8M
  typevisor vm list
  typevisor vm console web                  (Ctrl-] detaches on a terminal)
  typevisor vm debug web                    (the kernel debugger; the VM pauses)
  typevisor vm stats web --json
  typevisor vm stop web
  typevisor vm list --connect 127.0.0.1:7481`;

export function registerVm(program: Command): void {
  const vm = program
    .command('vm')
    .description('start, list, watch and stop the VMs a daemon (typevisor serve) hosts')
    .addHelpText('after', EXAMPLES);

  clusterOption(connectOptions(diskOptions(
    vm
      .command('start')
      .description('start a VM running KERNEL on the daemon')
      .argument('[kernel]', 'kernel source (.s, assembled here; links at 0x80000000 by default) or image (.img)')
      .option('--name <name>', 'what to call it (default: vm1, vm2, …; with --from: the prefix of the instances\' names)')
      .option('--mem <size>', 'guest RAM (K, M suffixes)', '16M')
      .addOption(new Option('--monitor <kind>', 'native: on the daemon\'s shared machine, deterministic virtual time; hosted: on a thread of its own, host time (default: native; with --from: the one it was saved on)').choices([...MONITORS]))
      .option('--share <n>', 'relative CPU share against the daemon\'s other native VMs', '1')
      .option('--from <file>', 'launch instances of this snapshot (an image, in the cloud\'s sense) instead of booting a kernel')
      .option('--count <n>', 'with --from: how many instances (named NAME-1..N)', '1')
      .option('--lazy', 'with --from: resume each at once, reading its memory from the file as it touches it')
      .option('--force', 'with --from: attach the snapshot\'s volume even if it has moved on since')
      .option('--json', 'print the VM as JSON')
      .option('--net-listen <host:port>', 'cable its network device: listen there for one peer at a time (a bare PORT is 127.0.0.1; port 0 picks one)')
      .option('--net-connect <host:port>', 'cable its network device: connect there once, at start')
      .option('--net-public', 'let --net-listen take an address that is not loopback')
      .option('--host <name>', 'with --cluster: start it on this host of the fleet (default: the placement rule below)'),
  )))
    .addHelpText('after', `
The kernel is assembled (or read) here and sent to the daemon, so the daemon
needs no access to your files. The VM starts at once; its console output is
kept by the daemon (typevisor vm console NAME shows it).

--monitor says what runs it. native (the default): the daemon's one simulated
machine, shared with its other native VMs in slices weighted by --share, in
virtual time (instruction counts: a run is reproducible). hosted: a worker
thread of its own over RAM the daemon shares with it, in host time (one tick
is 10 ns). Either can be paused, resumed and migrated — to a daemon's other
kind too (typevisor migrate --monitor); for a VM with a disk, see below.

A disk (one at most) is the guest's block device, under either monitor:
--disk FILE a file the daemon opens (a loopback daemon only; the path is
made absolute here); --volume NAME a volume of the daemon's (typevisor
volume), attached to this VM until it is stopped and kept afterwards;
--scratch SIZE transient instance storage, created empty with the VM and
deleted by vm stop. Writes to a file or volume are on the host's disk
(fdatasync) before the guest sees them complete. migrate carries a
transient disk by value (the guest is paused from the disk copy until it
resumes at the destination) and refuses a VM on a file or a volume, which
would arrive without it.

--net-listen / --net-connect give it a network device on a host socket, under
either monitor, as boot --monitor hosted has them: the guest sees one byte
stream at a time (guests/workloads/echo.s serves it). The socket is the
daemon's: when the VM migrates, the connection stays reachable where it was
(typevisor migrate --help).

--cluster URL[,URL…] (a fleet: typevisor cluster --help) starts it on a host
of the fleet instead of --connect's daemon: --host H names one; otherwise
the placement rule picks it — among the live hosts with room for --mem, the
one with the most free memory; on a tie the lowest load (the sum of its
running VMs' shares), then the first name. The name must be free in the
whole fleet.

--from FILE launches instances of a snapshot (typevisor vm snapshot) instead:
each is an independent VM with its own copy of the saved memory, so they
diverge from there and none sees another's writes. A snapshot's transient
disk is copied for each instance (they diverge on disk too); a snapshot on a
volume can start one VM only (the volume goes to one VM at a time).

Examples:
  typevisor vm start guests/kernel/kernel.s
  typevisor vm start guests/kernel/kernel.s --monitor hosted --name fast
  typevisor vm start guests/workloads/echo.s --name echo --net-listen 7000
  typevisor vm start mykernel.img --name db --mem 32M --share 2
  typevisor vm start guests/kernel/kernel.s --name db --volume data
  typevisor vm start guests/kernel/kernel.s --disk disk.img --monitor hosted
  typevisor vm start mykernel.img --scratch 4M
  typevisor vm start --from web.snap --count 3 --name web     (web-1, web-2, web-3)
  typevisor vm start guests/kernel/kernel.s --name web --cluster http://127.0.0.1:2379`)
    .action((kernel: string | undefined, opts: StartOptions) => {
      if (opts.from !== undefined) {
        if (kernel !== undefined) return fail('give a kernel or --from FILE, not both');
        if (opts.disk !== undefined || opts.volume !== undefined || opts.scratch !== undefined) return fail('--disk, --volume and --scratch go with a kernel: with --from, the disk is the snapshot\'s');
        return placeInFleet(opts, undefined).then((where) => where && startFromSnapshot(opts.from!, opts.count ?? '1', where as StartOptions & RestoreOptions));
      }
      if (kernel === undefined) return fail('name a kernel to boot (typevisor vm start KERNEL), or a snapshot to launch (--from FILE)');
      if (opts.count !== '1' || opts.lazy || opts.force) return fail('--count, --lazy and --force go with --from FILE');
      return start(kernel, opts);
    });

  registerVmSnapshots(vm);

  connectOptions(vm.command('list').description('the daemon\'s VMs: state, memory, instructions, and what is happening to them').option('--json', 'print them as JSON'))
    .addHelpText('after', examples('vm list', 'vm list --json', 'vm list --connect 127.0.0.1:7481'))
    .action((opts: JsonOption) => withDaemon(opts, async (c) => {
      const vms = await c.list();
      writeOut(1, opts.json ? JSON.stringify({ daemon: c.address, vms }) + '\n' : formatVmTable(vms, paint()));
    }));

  clusterOption(connectOptions(vm.command('stats').description('a VM\'s counts: instructions, traps, emulated instructions, interrupts, time').argument('<name>').option('--json', 'print them as JSON').option('--follow', FOLLOW_HELP)))
    .addHelpText('after', examples('vm stats web', 'vm stats web --json', 'vm stats web --cluster http://127.0.0.1:2379'))
    .action((name: string, opts: JsonOption) => inFleet(name, opts, (o) => withVmDaemon(o, async (c) => {
      const s: VmStatsInfo = await c.stats(name);
      writeOut(1, opts.json ? JSON.stringify(s) + '\n' : formatVmStats(s, paint()));
    })));

  clusterOption(connectOptions(vm.command('stop').description('power a VM off and forget it (its console history goes with it)').argument('<name>').option('--follow', FOLLOW_HELP)))
    .addHelpText('after', examples('vm stop web', 'vm stop web --connect 127.0.0.1:7481', 'vm stop web --cluster http://127.0.0.1:2379'))
    .action((name: string, opts: FollowOptions) => inFleet(name, opts, (o) => withVmDaemon(o, async (c) => {
      const info = await c.stop(name);
      writeOut(1, `stopped ${info.name} after ${info.instructions} instructions\n`);
    })));

  clusterOption(connectOptions(vm.command('pause').description('stop scheduling a VM (its state is kept)').argument('<name>').option('--follow', FOLLOW_HELP)))
    .addHelpText('after', examples('vm pause web', 'vm resume web', 'vm pause web --cluster http://127.0.0.1:2379'))
    .action((name: string, opts: FollowOptions) => inFleet(name, opts, (o) => withVmDaemon(o, async (c) => void writeOut(1, `${describe(await c.pause(name))}\n`))));

  clusterOption(connectOptions(vm.command('resume').description('schedule a paused VM again').argument('<name>').option('--follow', FOLLOW_HELP)))
    .addHelpText('after', examples('vm pause web', 'vm resume web', 'vm resume web --cluster http://127.0.0.1:2379'))
    .action((name: string, opts: FollowOptions) => inFleet(name, opts, (o) => withVmDaemon(o, async (c) => void writeOut(1, `${describe(await c.resume(name))}\n`))));

  clusterOption(connectOptions(
    vm
      .command('console')
      .description('follow a VM\'s console live (its output so far first) and type into it')
      .argument('<name>')
      .option('--no-history', 'only what the VM writes from now on')
      .option('--no-input', 'do not forward stdin (watch only)')
      .option('--follow', FOLLOW_HELP),
  ))
    .addHelpText('after', `
Output streams until the VM powers off or is stopped; the command then says
why and exits (0). When the VM migrates, the console follows it: the daemon it
left says where it went, and the stream goes on from there, nothing shown
twice or skipped (with the token you gave; a daemon that refuses it is named). On a terminal, keys go to the guest
(raw mode) and Ctrl-] detaches, leaving the VM running. From a pipe, stdin's
bytes go to the guest and its end ends the guest's console input.

Examples:
  typevisor vm console web
  echo "hello" | typevisor vm console web
  typevisor vm console web --no-input > web.log
  typevisor vm console web --connect 127.0.0.1:7480 --follow   (it may have left)
  typevisor vm console web --cluster http://127.0.0.1:2379     (wherever it runs in the fleet)`)
    .action((name: string, opts: ConsoleFollowOptions) => inFleet(name, opts, (o) => withVmDaemon(o, (c) => followConsole(c, name, o))));

  registerVmDebug(vm);
}

/** Run `body` with --connect set to VM `name`'s daemon in the fleet (--cluster), or as given without one. */
async function inFleet<T extends FollowOptions & ClusterOptions>(name: string, opts: T, body: (o: T) => Promise<void>): Promise<void> {
  const where = await vmInFleet(name, opts);
  if (where) await body(where);
}

/** An Examples: block for a subcommand's --help. */
function examples(...commands: string[]): string {
  return `\nExamples:\n${commands.map((c) => `  typevisor ${c}`).join('\n')}`;
}

function describe(v: VmInfo): string {
  return `${v.name}: ${v.state}${v.reason ? ` (${v.reason})` : ''}`;
}

async function start(kernel: string, opts: StartOptions): Promise<void> {
  const memSize = parseMem(opts.mem);
  if (memSize === undefined) return;
  const share = parseCount(opts.share, '--share');
  if (share === null) return;
  if (share > MAX_SHARE) return fail(`--share: at most ${MAX_SHARE}`);
  const net = netSpec(opts);
  if (net === null) return;
  const disk = diskRequest(opts);
  if (disk === null) return;
  const image = loadProgram(kernel, { defaultTextBase: RAM_BASE });
  if (!image) return;
  const where = await placeInFleet(opts, memSize);
  if (!where) return;
  await withDaemon(where, async (c) => {
    const info = await c.start({
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      kernel: basename(kernel),
      image: Buffer.from(writeImage(image)).toString('base64'),
      memSize,
      share,
      monitor: opts.monitor ?? 'native',
      ...(net ? { net } : {}),
      ...(disk ? { disk } : {}),
    });
    if (opts.json) writeOut(1, JSON.stringify(info) + '\n');
    else writeOut(1, `started ${paint().bold(info.name)} (${info.kernel}, ${mib(info.memSize)}, ${info.monitor} monitor${info.disk ? `, ${describeDisk(info.disk)}` : ''}) on ${c.address}\n${info.net ? `net: ${info.net}\n` : ''}`);
  });
}
