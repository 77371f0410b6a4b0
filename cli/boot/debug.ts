/**
 * `typevisor boot KERNEL --debug`: the kernel stops before its first
 * instruction with the kernel debugger (vm/debug/). Bare machine or a VM
 * under the native monitor: every command, reverse execution included. The
 * guest's console output goes to stdout between the debugger's lines;
 * console input is over from the start (stdin carries the commands), so a
 * session replays identically.
 */
import type { Image } from '../../isa/image.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { BareTarget } from '../../vm/debug/bare-target.js';
import { KernelDebugger } from '../../vm/debug/kernel-debugger.js';
import type { DebugTarget } from '../../vm/debug/target.js';
import { NativeDebugTarget } from '../../hypervisor/native/debug-target.js';
import { BootError } from '../../vm/bare.js';
import { MonitorConfigError } from '../../hypervisor/core/host.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { fail, writeOut } from '../load.js';
import { runSession } from '../debug-session.js';

export interface DebugBoot {
  readonly monitor: 'none' | 'native';
  readonly image: Image;
  readonly memSize: number;
  readonly disk: DiskBackend | undefined;
  readonly batch: readonly string[] | undefined;
}

export async function bootDebug(b: DebugBoot): Promise<void> {
  // The debugger's lines start on a line of their own even when the guest's output did not end one.
  let atLineStart = true;
  const output = (bytes: Uint8Array): void => {
    writeOut(1, bytes);
    if (bytes.length > 0) atLineStart = bytes[bytes.length - 1] === 0x0a;
  };
  const print = (line: string): void => {
    writeOut(1, `${atLineStart ? '' : '\n'}${line}\n`);
    atLineStart = true;
  };
  let target: DebugTarget;
  try {
    target = b.monitor === 'none'
      ? new BareTarget(b.image, { memSize: b.memSize, output, ...(b.disk ? { disk: b.disk } : {}) })
      : nativeTarget(b, output);
  } catch (e) {
    if (e instanceof BootError || e instanceof MonitorConfigError) return fail(e.message);
    throw e;
  }
  const title = b.monitor === 'none' ? 'kernel on the bare machine, stopped before its first instruction' : 'vm1 under the native monitor, stopped before its first instruction (what you see is the guest\'s view: its mode, its CSRs, its page tables)';
  const dbg = new KernelDebugger({ target, image: b.image, print, title, pause: () => new Promise((r) => setImmediate(r)) });
  dbg.begin();
  await runSession(dbg, print, b.batch);
}

/** One VM under a native monitor of its own. */
function nativeTarget(b: DebugBoot, output: (bytes: Uint8Array) => void): NativeDebugTarget {
  // The interpreter alone: every tick is one instruction anyway.
  const monitor = new NativeMonitor([{ name: 'vm1', image: b.image, memSize: b.memSize, ...(b.disk ? { disk: b.disk } : {}) }], { tier: 'interp', output: (_, bytes) => output(bytes) });
  return new NativeDebugTarget(monitor, monitor.vms[0]!, b.disk === undefined ? {} : { irreversible: 'a disk file is attached, and its contents cannot be rewound' });
}
