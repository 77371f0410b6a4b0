/** `typevisor boot ... --debug`: which combinations of boot options a debug session takes, and starting it. */
import { RAM_BASE } from '../../vm/memmap.js';
import { FileDisk } from '../../vm/devices/file-disk.js';
import { fail, loadProgram, parseMem } from '../load.js';
import { readBatch } from '../debug-session.js';
import { bootDebug } from './debug.js';
import type { BootSettings } from './settings.js';

export interface DebugBootOptions {
  readonly monitor: 'none' | 'native' | 'hosted';
  readonly vms?: string;
  readonly vm: string[];
  readonly disk: string[];
  readonly diskSize?: string;
  readonly batch?: string;
  readonly json?: boolean;
  readonly stats?: boolean;
  readonly traceTraps?: boolean;
}

export async function bootWithDebugger(file: string | undefined, opts: DebugBootOptions, s: BootSettings): Promise<void> {
  const kernel = file ?? (opts.vm.length === 1 ? opts.vm[0] : undefined);
  if (kernel === undefined) return fail('name the kernel to debug: typevisor boot KERNEL --debug');
  if (opts.vm.length > 1 || (file !== undefined && opts.vm.length > 0) || (opts.vms !== undefined && opts.vms !== '1')) return fail('--debug debugs one VM: give one kernel (no --vms N, one --vm at most)');
  if (opts.json || opts.stats || opts.traceTraps) return fail('--debug shows its own output: drop --json, --stats and --trace-traps (info traps and info vm show the counts)');
  if (opts.disk.length > 1) return fail('--debug debugs one VM with one disk: give --disk once');
  const image = loadProgram(kernel, { defaultTextBase: RAM_BASE });
  if (!image) return;
  const batch = opts.batch === undefined ? undefined : readBatch(opts.batch);
  if (opts.batch !== undefined && batch === undefined) return;
  if (opts.monitor === 'hosted' && opts.disk.length > 0) return fail('--debug under --monitor hosted runs the VM without a disk: drop --disk (or debug under --monitor native)');
  let disk: FileDisk | undefined;
  if (opts.disk[0] !== undefined) {
    const size = opts.diskSize === undefined ? undefined : parseMem(opts.diskSize, '--disk-size');
    if (opts.diskSize !== undefined && size === undefined) return;
    try {
      disk = new FileDisk(opts.disk[0], size === undefined ? {} : { createSize: size });
    } catch (e) {
      return fail(`cannot open disk ${opts.disk[0]}: ${(e as Error).message}`);
    }
  }
  try {
    await bootDebug({ monitor: opts.monitor, image, memSize: s.memSize, disk, batch });
  } finally {
    disk?.close();
  }
}
