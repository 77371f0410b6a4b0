/**
 * `typevisor vm start|list|stats|stop|pause|resume|console`: the VMs a daemon
 * (`typevisor serve`) hosts. Each subcommand is one request through the typed
 * client; `console` follows a VM's output live and sends it our stdin.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { MONITORS, type MonitorKind } from '../../hypervisor/core/host.js';
import { writeImage } from '../../isa/image.js';
import type { ControlClient } from '../../hypervisor/control/client.js';
import type { VmInfo, VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { MAX_SHARE } from '../../hypervisor/control/params.js';
import { paint, paintErr } from '../color.js';
import { attachConsole, attachHint } from '../console.js';
import { connectOptions, withDaemon, type ConnectOptions } from '../control/connect.js';
import { formatVmTable, formatVmStats, mib } from '../control/vm-table.js';
import { fail, loadProgram, parseCount, parseMem, writeOut } from '../load.js';

interface StartOptions extends ConnectOptions {
  readonly name?: string;
  readonly monitor: MonitorKind;
  readonly mem: string;
  readonly share: string;
  readonly json?: boolean;
}

interface JsonOption extends ConnectOptions {
  readonly json?: boolean;
}

interface ConsoleOptions extends ConnectOptions {
  readonly history: boolean;
  readonly input: boolean;
}

const EXAMPLES = `
Examples:
  export TYPEVISOR_TOKEN=…                  (the token typevisor serve printed)
  typevisor vm start guests/kernel/kernel.s --name web --mem 8M
  typevisor vm list
  typevisor vm console web                  (Ctrl-] detaches on a terminal)
  typevisor vm stats web --json
  typevisor vm stop web
  typevisor vm list --connect 127.0.0.1:7481`;

export function registerVm(program: Command): void {
  const vm = program
    .command('vm')
    .description('start, list, watch and stop the VMs a daemon (typevisor serve) hosts')
    .addHelpText('after', EXAMPLES);

  connectOptions(
    vm
      .command('start')
      .description('start a VM running KERNEL on the daemon')
      .argument('<kernel>', 'kernel source (.s, assembled here; links at 0x80000000 by default) or image (.img)')
      .option('--name <name>', 'what to call it (default: vm1, vm2, …)')
      .option('--mem <size>', 'guest RAM (K, M suffixes)', '16M')
      .addOption(new Option('--monitor <kind>', 'native: on the daemon\'s shared machine, deterministic virtual time; hosted: on a thread of its own, host time').choices([...MONITORS]).default('native'))
      .option('--share <n>', 'relative CPU share against the daemon\'s other native VMs', '1')
      .option('--json', 'print the VM as JSON'),
  )
    .addHelpText('after', `
The kernel is assembled (or read) here and sent to the daemon, so the daemon
needs no access to your files. The VM starts at once; its console output is
kept by the daemon (typevisor vm console NAME shows it).

--monitor says what runs it. native (the default): the daemon's one simulated
machine, shared with its other native VMs in slices weighted by --share, in
virtual time (instruction counts: a run is reproducible). hosted: a worker
thread of its own over RAM the daemon shares with it, in host time (one tick
is 10 ns). Either can be paused, resumed and migrated — to a daemon's other
kind too (typevisor migrate --monitor).

Examples:
  typevisor vm start guests/kernel/kernel.s
  typevisor vm start guests/kernel/kernel.s --monitor hosted --name fast
  typevisor vm start mykernel.img --name db --mem 32M --share 2`)
    .action((kernel: string, opts: StartOptions) => start(kernel, opts));

  connectOptions(vm.command('list').description('the daemon\'s VMs: state, memory, instructions, and what is happening to them').option('--json', 'print them as JSON'))
    .addHelpText('after', examples('vm list', 'vm list --json', 'vm list --connect 127.0.0.1:7481'))
    .action((opts: JsonOption) => withDaemon(opts, async (c) => {
      const vms = await c.list();
      writeOut(1, opts.json ? JSON.stringify({ daemon: c.address, vms }) + '\n' : formatVmTable(vms, paint()));
    }));

  connectOptions(vm.command('stats').description('a VM\'s counts: instructions, traps, emulated instructions, interrupts, time').argument('<name>').option('--json', 'print them as JSON'))
    .addHelpText('after', examples('vm stats web', 'vm stats web --json'))
    .action((name: string, opts: JsonOption) => withDaemon(opts, async (c) => {
      const s: VmStatsInfo = await c.stats(name);
      writeOut(1, opts.json ? JSON.stringify(s) + '\n' : formatVmStats(s, paint()));
    }));

  connectOptions(vm.command('stop').description('power a VM off and forget it (its console history goes with it)').argument('<name>'))
    .addHelpText('after', examples('vm stop web', 'vm stop web --connect 127.0.0.1:7481'))
    .action((name: string, opts: ConnectOptions) => withDaemon(opts, async (c) => {
      const info = await c.stop(name);
      writeOut(1, `stopped ${info.name} after ${info.instructions} instructions\n`);
    }));

  connectOptions(vm.command('pause').description('stop scheduling a VM (its state is kept)').argument('<name>'))
    .addHelpText('after', examples('vm pause web', 'vm resume web'))
    .action((name: string, opts: ConnectOptions) => withDaemon(opts, async (c) => void writeOut(1, `${describe(await c.pause(name))}\n`)));

  connectOptions(vm.command('resume').description('schedule a paused VM again').argument('<name>'))
    .addHelpText('after', examples('vm pause web', 'vm resume web'))
    .action((name: string, opts: ConnectOptions) => withDaemon(opts, async (c) => void writeOut(1, `${describe(await c.resume(name))}\n`)));

  connectOptions(
    vm
      .command('console')
      .description('follow a VM\'s console live (its output so far first) and type into it')
      .argument('<name>')
      .option('--no-history', 'only what the VM writes from now on')
      .option('--no-input', 'do not forward stdin (watch only)'),
  )
    .addHelpText('after', `
Output streams until the VM powers off, is stopped, or migrates away; the
command then says why and exits (0). On a terminal, keys go to the guest
(raw mode) and Ctrl-] detaches, leaving the VM running. From a pipe, stdin's
bytes go to the guest and its end ends the guest's console input.

Examples:
  typevisor vm console web
  echo "hello" | typevisor vm console web
  typevisor vm console web --no-input > web.log`)
    .action((name: string, opts: ConsoleOptions) => withDaemon(opts, (c) => followConsole(c, name, opts)));
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
  const image = loadProgram(kernel, { defaultTextBase: RAM_BASE });
  if (!image) return;
  await withDaemon(opts, async (c) => {
    const info = await c.start({
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      kernel: basename(kernel),
      image: Buffer.from(writeImage(image)).toString('base64'),
      memSize,
      share,
      monitor: opts.monitor,
    });
    if (opts.json) writeOut(1, JSON.stringify(info) + '\n');
    else writeOut(1, `started ${paint().bold(info.name)} (${info.kernel}, ${mib(info.memSize)}, ${info.monitor} monitor) on ${c.address}\n`);
  });
}

async function followConsole(c: ControlClient, name: string, opts: ConsoleOptions): Promise<void> {
  let detach: (() => void) | undefined;
  const call = c.console(name, opts.history, (bytes) => writeOut(1, bytes));
  if (opts.input) {
    const hint = attachHint(name, process.stdin.isTTY === true);
    if (hint) writeOut(2, `${paintErr().dim(hint)}\r\n`);
    detach = attachConsole(
      {
        input: (bytes) => void c.input(name, bytes).catch(() => {}),
        expectInput: () => {},
      },
      () => call.cancel(),
    );
  }
  try {
    const end = await call.result;
    if (end.reason !== 'detached') writeOut(2, `${paintErr().dim(`[${name}: ${end.reason}]`)}\n`);
  } finally {
    detach?.();
  }
}
