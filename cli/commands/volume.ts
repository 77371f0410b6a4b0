/**
 * `typevisor volume create|ls|rm|attach|detach`: a daemon's volumes — disks
 * that outlive the VMs using them (hypervisor/control/volume-store.ts). Each
 * subcommand is one request to the daemon, which keeps the volumes in its
 * state directory (`serve --state-dir`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { VOLUME_MAX_SIZE, type Volume } from '../../hypervisor/control/volume-store.js';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import { paint } from '../color.js';
import { connectOptions, withDaemon, type ConnectOptions } from '../control/connect.js';
import { renderTable } from '../table.js';
import { formatInlineLimit, MAX_INLINE_BYTES } from '../../hypervisor/control/line-budget.js';
import { fail, parseMem, writeOut } from '../load.js';
import { readProblem } from '../../isa/fs-problem.js';

interface CreateOptions extends ConnectOptions {
  readonly size?: string;
  readonly from?: string;
}

interface ListOptions extends ConnectOptions {
  readonly json?: boolean;
}

const EXAMPLES = `
A volume is a disk that outlives the VMs that use it: a VM started with
--volume NAME has it as its block device until it is stopped; the volume and
what the VM wrote stay, for the next VM. It is attached to one VM at a time
(a second is refused, naming the holder), and its generation counts the
attaches (a snapshot names a volume's contents by name and generation). The
daemon keeps volumes in its state directory (typevisor serve --state-dir).

Examples:
  typevisor mkdisk -o base.img --size 1M notes.txt
  typevisor volume create data --from base.img
  typevisor vm start guests/kernel/kernel.s --name db --volume data
  typevisor volume ls
  typevisor vm stop db                       (detaches it; the data stays)
  typevisor vm start guests/kernel/kernel.s --name db2 --volume data
  typevisor volume rm data`;

export function registerVolume(program: Command): void {
  const volume = program
    .command('volume')
    .description('create, list and remove a daemon\'s volumes: disks that outlive their VMs')
    .addHelpText('after', EXAMPLES);

  connectOptions(
    volume
      .command('create')
      .description('create a volume on the daemon, empty or from a disk image')
      .argument('<name>', 'what to call it (letters, digits, ".", "_", "-")')
      .option('--size <size>', 'its size (K, M, G suffixes; whole 512-byte sectors); default: the --from image\'s, rounded up to a sector')
      .option('--from <file>', 'start with this disk image\'s bytes (e.g. from typevisor mkdisk); read here and sent to the daemon'),
  )
    .addHelpText('after', `
Without --from the volume reads as zeros (a guest kernel then finds no file
system on it). With --from and a larger --size, the rest reads as zeros.

Examples:
  typevisor volume create scratch --size 64M
  typevisor volume create data --from base.img --size 4M`)
    .action((name: string, opts: CreateOptions) => create(name, opts));

  connectOptions(volume.command('ls').description('the daemon\'s volumes: size, generation, the VM each is attached to').option('--json', 'print them as JSON'))
    .addHelpText('after', `
Examples:
  typevisor volume ls
  typevisor volume ls --json --connect 127.0.0.1:7481`)
    .action((opts: ListOptions) => withDaemon(opts, async (c) => {
      const r = await c.request('volume.list', {});
      if (opts.json) writeOut(1, JSON.stringify(r) + '\n');
      else writeOut(1, formatVolumes(r.volumes));
      for (const d of r.damaged) fail(`volume ${d.name} is damaged: ${d.problem}`);
    }));

  connectOptions(volume.command('rm').description('delete a volume and its data (refused while a VM has it)').argument('<name>'))
    .addHelpText('after', `
Example:
  typevisor volume rm data`)
    .action((name: string, opts: ConnectOptions) => withDaemon(opts, async (c) => {
      const v = await c.request('volume.rm', { name });
      writeOut(1, `removed volume ${v.name} (${size(v.size)})\n`);
    }));

  connectOptions(volume.command('attach').description('plug a volume into a VM that has no disk, as it runs (hot-plug)').argument('<name>').argument('<vm>'))
    .addHelpText('after', `
The VM's block device reports the volume's size from its next access and
serves it from then on. The shipped guest kernel looks for its disk only
when it boots, so it will not use a volume attached later: for it, start the
VM with --volume NAME. A guest that probes its device again (reads CAPACITY)
sees it at once.

Example:
  typevisor volume attach data worker`)
    .action((name: string, vm: string, opts: ConnectOptions) => withDaemon(opts, async (c) => {
      const info = await c.request('volume.attach', { name, vm });
      const d = info.disk;
      writeOut(1, `attached volume ${name} to ${info.name}${d?.kind === 'volume' ? ` (generation ${d.generation})` : ''}\n`);
    }));

  connectOptions(volume.command('detach').description('pull a volume out of its VM, which must be paused or off').argument('<name>'))
    .addHelpText('after', `
A running VM's disk is not pulled from under it (a write could be cut
short): pause it first, or stop it (vm stop detaches its volume too). A
guest resumed without its disk gets a device error on its next command.

Examples:
  typevisor vm pause db && typevisor volume detach data
  typevisor volume attach data other`)
    .action((name: string, opts: ConnectOptions) => withDaemon(opts, async (c) => {
      const v = await c.request('volume.detach', { name });
      writeOut(1, `detached volume ${v.name}\n`);
    }));
}

async function create(name: string, opts: CreateOptions): Promise<void> {
  let from: Uint8Array | undefined;
  if (opts.from !== undefined) {
    try {
      from = readFileSync(opts.from);
    } catch (e) {
      return fail(`cannot read ${opts.from}: ${readProblem(e)}`);
    }
  }
  let bytes: number;
  if (opts.size !== undefined) {
    const n = parseMem(opts.size, '--size');
    if (n === undefined) return;
    bytes = n;
  } else if (from) {
    bytes = Math.max(SECTOR_SIZE, Math.ceil(from.length / SECTOR_SIZE) * SECTOR_SIZE);
  } else {
    return fail('give the volume a --size (e.g. --size 16M), or --from a disk image');
  }
  if (bytes % SECTOR_SIZE !== 0) return fail(`--size must be a whole number of ${SECTOR_SIZE}-byte sectors, got ${opts.size}`);
  if (bytes > VOLUME_MAX_SIZE) return fail(`--size ${opts.size} is more than a volume can be: at most ${VOLUME_MAX_SIZE} bytes (2^32 - 1 sectors of ${SECTOR_SIZE})`);
  if (from && from.length > bytes) return fail(`${opts.from} (${from.length} bytes) does not fit in --size ${opts.size}`);
  if (from && from.length > MAX_INLINE_BYTES) {
    return fail(`${opts.from} is ${from.length} bytes; --from sends at most ${formatInlineLimit()} with the request (a bigger disk: vm start --disk FILE, which the daemon reads itself)`);
  }
  await withDaemon(opts, async (c) => {
    const v = await c.request('volume.create', { name, size: bytes, ...(from ? { from: Buffer.from(from).toString('base64') } : {}) });
    writeOut(1, `created volume ${paint().bold(v.name)} (${size(v.size)}${from ? `, from ${opts.from}` : ''}) on ${c.address}\n`);
  });
}

const size = (bytes: number): string =>
  bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;

export function formatVolumes(volumes: readonly Volume[]): string {
  if (volumes.length === 0) return 'no volumes (create one: typevisor volume create NAME --size 16M)\n';
  const rows = [['NAME', 'SIZE', 'GENERATION', 'ATTACHED TO'], ...volumes.map((v) => [v.name, size(v.size), String(v.generation), v.attachedTo ?? '-'])];
  return renderTable([{ align: 'left' }, { align: 'right' }, { align: 'right' }, { align: 'left' }], rows).join('\n') + '\n';
}
