/**
 * `typevisor boot KERNEL.s|KERNEL.img`: start a kernel on the bare machine,
 * its console on the terminal, and exit with the status it powers off with.
 */
import type { Command } from 'commander';
import { RAM_BASE } from '../../vm/memmap.js';
import { BareMachine, BootError, type BootResult } from '../../vm/bare.js';
import { FileDisk } from '../../vm/devices/file-disk.js';
import { IRQ_NAMES } from '../../isa/csr.js';
import { CAUSES } from '../../vm/trap.js';
import { paintErr } from '../color.js';
import { loadProgram, parseCount, parseMem, writeOut } from '../load.js';
import { attachConsole } from '../console.js';

interface BootOptions {
  readonly disk?: string;
  readonly diskSize?: string;
  readonly mem: string;
  readonly traceTraps?: boolean;
  readonly stats?: boolean;
  readonly maxInstructions?: string;
  readonly json?: boolean;
}

export function registerBoot(program: Command): void {
  program
    .command('boot')
    .description('boot a guest kernel on the bare machine (supervisor mode, paging off, console on this terminal)')
    .argument('<kernel>', 'kernel source (.s, assembled first; links at 0x80000000 by default) or image (.img)')
    .option('--disk <file>', 'attach a disk image file as the block device')
    .option('--disk-size <size>', 'create the --disk file at this size if it does not exist (e.g. 4M)')
    .option('--mem <size>', 'RAM size (K, M, G suffixes)', '16M')
    .option('--trace-traps', 'print every trap and interrupt as it happens (to stderr)')
    .option('--stats', 'print instruction, trap and interrupt counts at the end (to stderr)')
    .option('--json', 'print the result and counts as JSON on stdout after the console output')
    .option('--max-instructions <n>', 'stop a runaway guest after this many instructions')
    .addHelpText('after', `
The kernel is loaded at its link address in RAM (0x${RAM_BASE.toString(16)} upward), started in
supervisor mode with paging off at its entry point. Console input comes from
stdin (raw mode on a terminal: Ctrl-] ends the session), output goes to stdout.
The exit status is the one the kernel writes to the power device.

Examples:
  typevisor boot guests/kernel/kernel.s
  typevisor boot guests/kernel/kernel.s --stats --trace-traps 2>traps.log
  typevisor boot mykernel.img --disk disk.img --disk-size 1M --mem 32M`)
    .action(async (file: string, opts: BootOptions) => {
      const image = loadProgram(file, { defaultTextBase: RAM_BASE });
      if (!image) return;
      const memSize = parseMem(opts.mem);
      const max = opts.maxInstructions === undefined ? undefined : parseCount(opts.maxInstructions, '--max-instructions');
      if (memSize === undefined || max === null) return;

      let disk: FileDisk | undefined;
      if (opts.disk) {
        const size = opts.diskSize === undefined ? undefined : parseMem(opts.diskSize, '--disk-size');
        if (opts.diskSize !== undefined && size === undefined) return;
        try {
          disk = new FileDisk(opts.disk, size === undefined ? {} : { createSize: size });
        } catch (e) {
          process.stderr.write(`${paintErr().red('error:')} cannot open disk ${opts.disk}: ${(e as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
      }

      let bare: BareMachine;
      try {
        bare = new BareMachine(image, {
          memSize,
          ...(disk ? { disk } : {}),
          ...(max !== undefined ? { maxInstructions: max } : {}),
          output: (bytes) => writeOut(opts.json ? 2 : 1, bytes),
          ...(opts.traceTraps ? { traceTraps: (line: string) => process.stderr.write(line + '\n') } : {}),
        });
      } catch (e) {
        if (!(e instanceof BootError)) throw e;
        process.stderr.write(`${paintErr().red('error:')} ${e.message}\n`);
        process.exitCode = 1;
        return;
      }

      const detach = attachConsole(bare);
      let result: BootResult;
      try {
        result = await bare.run();
      } finally {
        detach();
        disk?.close();
      }
      report(bare, result, opts);
    });
}

function report(bare: BareMachine, result: BootResult, opts: BootOptions): void {
  const m = bare.machine;
  const traps: Record<string, number> = {};
  CAUSES.forEach((c) => {
    const n = m.trapCounts[c.code]!;
    if (n > 0) traps[c.name] = n;
  });
  const interrupts: Record<string, number> = {};
  IRQ_NAMES.forEach((name, i) => {
    const n = m.interruptCounts[i]!;
    if (n > 0) interrupts[name] = n;
  });
  const stats = {
    instructions: m.cpu.instret,
    virtualTime: m.now(),
    wallMs: Math.round(bare.wallMs * 100) / 100,
    mips: bare.wallMs > 0 ? Math.round((m.cpu.instret / bare.wallMs / 1000) * 100) / 100 : 0,
    traps,
    interrupts,
    tlbFlushes: m.mmu.flushes,
    pageWalks: m.mmu.walks,
  };
  const err = paintErr();
  if (result.kind === 'poweroff') process.exitCode = result.status & 0xff;
  else if (result.kind === 'budget') {
    process.stderr.write(`${err.red('stopped:')} the guest ran ${result.instructions} instructions (--max-instructions) without powering off\n`);
    process.exitCode = 124;
  } else {
    process.stderr.write(`${err.red('stopped:')} ${result.reason}\n`);
    process.exitCode = 125;
  }
  if (opts.stats) {
    const list = (r: Record<string, number>): string => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    process.stderr.write(
      [
        err.bold('--- machine stats ---'),
        `instructions   ${stats.instructions}`,
        `virtual time   ${stats.virtualTime}`,
        `wall time      ${stats.wallMs.toFixed(2)} ms (${stats.mips.toFixed(1)} MIPS)`,
        `traps          ${list(traps)}`,
        `interrupts     ${list(interrupts)}`,
        `TLB            ${stats.tlbFlushes} flushes, ${stats.pageWalks} page walks`,
        `result         ${result.kind === 'poweroff' ? `powered off, status ${result.status}` : result.kind}`,
        '',
      ].join('\n'),
    );
  }
  if (opts.json) process.stdout.write(JSON.stringify({ result, stats }) + '\n');
}
