/**
 * `typevisor boot KERNEL`: start guest kernels — on the bare machine, or as
 * VMs under a monitor — with their consoles on the terminal.
 */
import { basename, extname } from 'node:path';
import { Option, type Command } from 'commander';
import type { Image } from '../../isa/image.js';
import type { NativeVmConfig } from '../../hypervisor/native/native-monitor.js';
import { RAM_BASE } from '../../vm/memmap.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { FileDisk } from '../../vm/devices/file-disk.js';
import { RegionDisk } from '../../vm/devices/region-disk.js';
import { bootBare } from '../boot/bare.js';
import { bootNative } from '../boot/native.js';
import { bootHosted, type HostedSetup } from '../boot/hosted.js';
import { isLoopback, NetAddressError, notLoopback, parseNetAddress } from '../../hypervisor/hosted/net-backend.js';
import type { BootSettings } from '../boot/settings.js';
import { fail, loadProgram, parseCount, parseMem, tierOption } from '../load.js';
import { includeOption } from '../include-dirs.js';
import type { Tier } from '../../vm/machine.js';
import { bootAndSnapshot, restoreAndRun } from '../boot/snapshot.js';
import { bootWithDebugger } from '../boot/debug-options.js';
import { withInit } from '../boot/init-arg.js';

interface BootOptions {
  readonly monitor: 'none' | 'native' | 'hosted';
  readonly vms?: string;
  readonly vm: string[];
  readonly share?: string;
  readonly consoleDir?: string;
  readonly disk: string[];
  readonly diskSize?: string;
  readonly mem: string;
  readonly traceTraps?: boolean;
  readonly stats?: boolean;
  readonly maxInstructions?: string;
  readonly json?: boolean;
  readonly tier: Tier;
  readonly netListen?: string;
  readonly netConnect?: string;
  readonly netPublic?: boolean;
  readonly snapshotAt?: string[];
  readonly restore?: string;
  readonly lazy?: boolean;
  readonly debug?: boolean;
  readonly batch?: string;
  readonly include: string[];
  readonly init?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerBoot(program: Command): void {
  program
    .command('boot')
    .description('boot guest kernels: on the bare machine, or deprivileged under a monitor')
    .argument('[kernel]', 'kernel source (.s, assembled first; links at 0x80000000 by default) or image (.img)')
    .addOption(new Option('--monitor <kind>', 'none: the bare machine; native: trap-and-emulate VMs on one machine; hosted: one VM as a host process (worker-thread vCPU, file disk, TCP network, host clock)').choices(['none', 'native', 'hosted']).default('none'))
    .option('--vms <n>', 'with --monitor native: run this many copies of the kernel')
    .option('--vm <file>', 'with --monitor native: one VM running this kernel (repeat for more; different guests welcome)', collect, [])
    .option('--share <list>', 'CPU shares of the VMs, e.g. 2:1:1 (default: equal)')
    .option('--console-dir <dir>', 'write each VM\'s console to DIR/NAME.log instead of prefixed lines on stdout')
    .option('--disk <file>', 'disk image file (repeat: one per VM; one file with several VMs is split into equal regions)', collect, [])
    .option('--disk-size <size>', 'create a missing --disk file at this size (e.g. 4M)')
    .option('--init <name>', 'start this program first instead of the kernel\'s boot programs: a program on its --disk, or one linked into it (sh: the shell); see "Programs from the disk" below')
    .option('--mem <size>', 'RAM size, per VM under a monitor (K, M, G suffixes)', '16M')
    .addOption(tierOption())
    .addOption(includeOption())
    .option('--trace-traps', 'print every trap and interrupt as it happens, and under a monitor what it did with each (stderr)')
    .option('--stats', 'print counts at the end: instructions, traps, interrupts; per VM under a monitor (stderr)')
    .option('--json', 'print the result and counts as JSON on stdout (console output goes to stderr)')
    .option('--max-instructions <n>', 'stop a runaway guest after this many instructions (per VM)')
    .option('--net-listen <addr>', 'with --monitor hosted: the guest\'s network is the first peer to connect to ADDR (HOST:PORT, or PORT on 127.0.0.1; port 0 picks a free one, printed on stderr)')
    .option('--net-connect <addr>', 'with --monitor hosted: the guest\'s network is a connection to ADDR (HOST:PORT), made at boot')
    .option('--net-public', 'let --net-listen use an address that is not loopback (anyone who reaches it talks to the guest)')
    .option('--snapshot-at <n-and-file...>', 'N FILE: stop the guest after exactly N instructions and save it to FILE (bare machine or --monitor native, one VM)')
    .option('--restore <file>', 'run a snapshot (instead of booting a kernel) to its end: on the bare machine, or --monitor native|hosted')
    .option('--lazy', 'with --restore under a monitor: resume at once, reading memory from the file as the guest touches it')
    .option('--debug', 'stop before the first instruction with the kernel debugger (commands on stdin; see "Debugging" below)')
    .option('--batch <file>', 'with --debug: read the debugger\'s commands from FILE (one per line), then end')
    .addHelpText('after', `
Bare machine: the kernel is loaded at its link address in RAM (0x${RAM_BASE.toString(16)} upward)
and started in supervisor mode with paging off, a0 = RAM size. The exit status is
the one the kernel writes to the power device.

Native monitor: each VM gets its own RAM, console, timer, disk and virtual CPU;
its kernel runs unmodified in the real CPU's user mode and every privileged
instruction traps to the monitor, which emulates it. Console lines are prefixed
with the VM's name; stdin goes to the first VM. Time is virtual (instruction
counts), so runs are identical every time.

Hosted monitor: one VM as an ordinary process. Its vCPU runs in a worker
thread; the main thread serves its devices with the host's: the terminal is the
console (no prefix on its lines), --disk is a file (a write completes only once
it is fdatasync'd), --net-listen/--net-connect is a TCP socket, and virtual time
follows the host clock (one tick = 10 ns). SIGTERM or Ctrl-C stops it cleanly.

Console input comes from stdin (raw mode on a terminal: Ctrl-] ends the session).

Programs from the disk: guests/kernel/kernel.s starts a program by name from
the file of that name on its --disk (a program image: typevisor mkdisk
assembles .s files for it) or, failing that, from its linked-in programs.
--init NAME starts NAME instead of the boot programs; --init sh is a shell
(ls, cat, echo, exit, or a program's name and arguments). The name is written
into the kernel image at its symbol boot_init before it boots.

Examples:
  typevisor boot guests/kernel/kernel.s
  typevisor mkdisk -o my.img hello.s && typevisor boot guests/kernel/kernel.s --disk my.img --init sh
  typevisor boot guests/kernel/kernel.s --stats --trace-traps 2>traps.log
  typevisor boot guests/kernel/kernel.s --monitor native --vms 3 --stats
  typevisor boot --monitor native --vm a.img --vm b.img --share 2:1
  typevisor boot guests/kernel/kernel.s --monitor hosted --disk disk.img --stats
  typevisor boot guests/kernel/netkernel.s --monitor hosted --net-listen 127.0.0.1:7000
  typevisor boot mykernel.img --disk disk.img --disk-size 1M --mem 32M
  typevisor boot guests/workloads/cpu.s --mem 4M --snapshot-at 1000000 cpu.snap
  typevisor boot --restore cpu.snap
  typevisor boot --restore cpu.snap --monitor hosted --lazy

--snapshot-at N FILE runs in virtual time (the bare machine, or the native
monitor), so the same N gives the same file byte for byte. Its console output
up to N goes to stdout; --restore prints the rest.

Debugging (--debug): the kernel stops before its first instruction and the
kernel debugger reads commands — from --batch FILE, from stdin when it is not a
terminal (each echoed as "(tvdb) CMD", so the output is a transcript), or at a
(tvdb) prompt with history. gdb's habits: step/next/finish/until/continue,
break LOC [if EXPR], break trap CAUSE, break syscall N, break mode-switch,
watch ADDR [LEN], bt, x/NFU, print EXPR, set, display; and the kernel's own:
translate VA, info traps|tlb|pagetable|vm. Virtual time makes the run
deterministic, so reverse-step, reverse-next, reverse-continue and goto N work
(bare machine and native monitor; the hosted monitor follows the host clock, so
it cannot replay: everything else works there). Type help in the debugger for
every command.

  typevisor boot guests/kernel/kernel.s --debug
  typevisor boot guests/kernel/kernel.s --monitor native --debug --batch session.gdb
  printf 'break syscall\ncontinue\nbt\nreverse-step 3\n' | typevisor boot guests/kernel/kernel.s --debug`)
    .action(async (file: string | undefined, opts: BootOptions) => {
      const settings = parseSettings(opts);
      if (!settings) return;
      if (opts.restore !== undefined || opts.snapshotAt !== undefined || opts.lazy) return snapshotBoot(file, opts, settings);
      if (opts.monitor !== 'hosted' && (opts.netListen !== undefined || opts.netConnect !== undefined)) return fail('--net-listen and --net-connect need the hosted monitor: add --monitor hosted');
      if (opts.batch !== undefined && opts.debug !== true) return fail('--batch gives the debugger its commands: add --debug');
      if (opts.debug === true) return bootWithDebugger(file, opts, settings);
      if (opts.monitor === 'none') return bootOnBare(file, opts, settings);
      if (opts.monitor === 'native') return bootUnderNative(file, opts, settings);
      return bootUnderHosted(file, opts, settings);
    });
}

function parseSettings(opts: BootOptions): BootSettings | undefined {
  const memSize = parseMem(opts.mem);
  if (memSize === undefined) return undefined;
  const max = opts.maxInstructions === undefined ? undefined : parseCount(opts.maxInstructions, '--max-instructions');
  if (max === null) return undefined;
  let shares: number[] = [];
  if (opts.share !== undefined) {
    shares = opts.share.split(':').map((x) => Number(x));
    if (shares.some((x) => !Number.isInteger(x) || x < 1 || x > 1000)) {
      fail(`--share ${JSON.stringify(opts.share)}: give whole numbers 1..1000 separated by colons, e.g. 2:1:1`);
      return undefined;
    }
  }
  return { memSize, maxInstructions: max, traceTraps: opts.traceTraps === true, stats: opts.stats === true, json: opts.json === true, consoleDir: opts.consoleDir, shares, tier: opts.tier };
}

/** The kernel's image, with --init's name written in (init-arg.ts); undefined after reporting why not. */
function loadKernel(file: string, opts: BootOptions): Image | undefined {
  const image = loadProgram(file, { defaultTextBase: RAM_BASE, include: opts.include });
  if (!image || opts.init === undefined) return image;
  try {
    return withInit(image, opts.init);
  } catch (e) {
    fail((e as Error).message);
    return undefined;
  }
}

function openDisk(path: string, sizeText: string | undefined): FileDisk | undefined {
  const size = sizeText === undefined ? undefined : parseMem(sizeText, '--disk-size');
  if (sizeText !== undefined && size === undefined) return undefined;
  try {
    return new FileDisk(path, size === undefined ? {} : { createSize: size });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(`cannot open disk ${path}: ${code === 'ENOENT' ? 'no such file (give --disk-size to create it)' : (e as Error).message}`);
    return undefined;
  }
}

async function bootOnBare(file: string | undefined, opts: BootOptions, s: BootSettings): Promise<void> {
  if (!file) return fail('name a kernel to boot (e.g. guests/kernel/kernel.s)');
  if (opts.vm.length > 0 || opts.vms !== undefined) return fail('--vm and --vms need a monitor: add --monitor native');
  if (opts.disk.length > 1) return fail('the bare machine has one disk: give --disk once');
  const image = loadKernel(file, opts);
  if (!image) return;
  const disk = opts.disk[0] === undefined ? undefined : openDisk(opts.disk[0], opts.diskSize);
  if (opts.disk[0] !== undefined && !disk) return;
  try {
    await bootBare(image, disk, s);
  } finally {
    disk?.close();
  }
}

async function bootUnderNative(file: string | undefined, opts: BootOptions, s: BootSettings): Promise<void> {
  // Which kernels: --vm files, or N copies of the positional kernel.
  const files: string[] = [...opts.vm];
  if (file !== undefined) {
    const n = opts.vms === undefined ? (opts.vm.length > 0 ? 1 : 1) : parseCount(opts.vms, '--vms');
    if (n === null) return;
    if (n > 64) return fail('--vms: at most 64 VMs');
    for (let i = 0; i < n; i++) files.push(file);
  } else if (opts.vms !== undefined) {
    return fail('--vms N needs the kernel to copy: typevisor boot KERNEL --monitor native --vms N');
  }
  if (files.length === 0) return fail('name a kernel (typevisor boot KERNEL --monitor native --vms 2) or give --vm FILE for each VM');
  if (s.shares.length > 0 && s.shares.length !== files.length) return fail(`--share gives ${s.shares.length} shares for ${files.length} VMs`);

  const images = new Map<string, Image>();
  for (const f of new Set(files)) {
    const image = loadKernel(f, opts);
    if (!image) return;
    images.set(f, image);
  }

  // Disks: one per VM, or one split into equal regions.
  const disks: (DiskBackend | undefined)[] = files.map(() => undefined);
  const opened: FileDisk[] = [];
  if (opts.disk.length === 1 && files.length > 1) {
    const d = openDisk(opts.disk[0]!, opts.diskSize);
    if (!d) return;
    opened.push(d);
    const each = Math.floor(d.sectors / files.length);
    if (each === 0) return fail(`disk ${opts.disk[0]} (${d.sectors} sectors) is too small to split between ${files.length} VMs`);
    files.forEach((_, i) => (disks[i] = new RegionDisk(d, i * each, each)));
  } else if (opts.disk.length > 0) {
    if (opts.disk.length !== files.length) return fail(`${opts.disk.length} disks for ${files.length} VMs: give one --disk per VM, or one to split`);
    for (let i = 0; i < files.length; i++) {
      const d = openDisk(opts.disk[i]!, opts.diskSize);
      if (!d) return;
      opened.push(d);
      disks[i] = d;
    }
  }

  const sameKernel = new Set(files).size === 1;
  const configs: NativeVmConfig[] = files.map((f, i) => ({
    name: sameKernel ? `vm${i + 1}` : `vm${i + 1}:${basename(f, extname(f))}`,
    image: images.get(f)!,
    memSize: s.memSize,
    share: s.shares[i] ?? 1,
    ...(disks[i] ? { disk: disks[i]! } : {}),
  }));
  try {
    await bootNative(configs, s);
  } finally {
    for (const d of opened) d.close();
  }
}

async function bootUnderHosted(file: string | undefined, opts: BootOptions, s: BootSettings): Promise<void> {
  const kernel = file ?? (opts.vm.length === 1 ? opts.vm[0] : undefined);
  if (kernel === undefined || (file !== undefined && opts.vm.length > 0) || opts.vm.length > 1) return fail('the hosted monitor runs one VM: name its kernel (typevisor boot KERNEL --monitor hosted)');
  if (opts.vms !== undefined && opts.vms !== '1') return fail('--vms: the hosted monitor runs one VM (several VMs on one machine: --monitor native)');
  if (opts.share !== undefined || opts.consoleDir !== undefined) return fail('--share and --console-dir are for several VMs under --monitor native; the hosted VM\'s console is the terminal');
  if (opts.disk.length > 1) return fail('the hosted VM has one disk: give --disk once');
  if (opts.netListen !== undefined && opts.netConnect !== undefined) return fail('give --net-listen or --net-connect, not both: the guest has one connection');
  const createSize = opts.diskSize === undefined ? undefined : parseMem(opts.diskSize, '--disk-size');
  if (opts.diskSize !== undefined && createSize === undefined) return;
  let net: HostedSetup['net'];
  try {
    if (opts.netListen !== undefined) {
      net = { mode: 'listen', address: parseNetAddress(opts.netListen), public: opts.netPublic === true };
      if (!net.public && !isLoopback(net.address.host)) throw notLoopback(net.address);
    }
    else if (opts.netConnect !== undefined) net = { mode: 'connect', address: parseNetAddress(opts.netConnect), public: false };
  } catch (e) {
    if (!(e instanceof NetAddressError)) throw e;
    return fail(`${opts.netListen !== undefined ? '--net-listen' : '--net-connect'}: ${e.message}`);
  }
  const image = loadKernel(kernel, opts);
  if (!image) return;
  await bootHosted({ name: 'vm1', image, memSize: s.memSize }, s, {
    ...(opts.disk[0] !== undefined ? { disk: { path: opts.disk[0], createSize } } : {}),
    ...(net ? { net } : {}),
  });
}

async function snapshotBoot(file: string | undefined, opts: BootOptions, s: BootSettings): Promise<void> {
  if (opts.vm.length > 0 || opts.vms !== undefined || opts.disk.length > 0 || opts.netListen !== undefined || opts.netConnect !== undefined) {
    return fail('--snapshot-at and --restore run one VM without --vm, --vms, --disk or a network (a VM\'s disk is not saved locally yet)');
  }
  if (opts.restore !== undefined) {
    if (file !== undefined) return fail('give a kernel to boot or --restore FILE, not both');
    if (opts.snapshotAt !== undefined) return fail('--snapshot-at saves a booted kernel; it does not go with --restore');
    return restoreAndRun(opts.restore, opts.monitor, opts.lazy === true, s);
  }
  if (opts.lazy) return fail('--lazy goes with --restore FILE');
  const at = opts.snapshotAt!;
  if (at.length !== 2) return fail('--snapshot-at takes two values: N (instructions) and FILE, e.g. --snapshot-at 100000 vm.snap');
  const n = parseCount(at[0]!, '--snapshot-at');
  if (n === null) return;
  if (opts.monitor === 'hosted') return fail('--snapshot-at runs in virtual time: on the bare machine or --monitor native (a hosted VM is saved with typevisor vm snapshot)');
  if (!file) return fail('name a kernel to boot and save, before the option: typevisor boot KERNEL --snapshot-at N FILE');
  const image = loadProgram(file, { defaultTextBase: RAM_BASE });
  if (!image) return;
  return bootAndSnapshot(image, basename(file), opts.monitor, n, at[1]!, s);
}
