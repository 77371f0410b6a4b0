/**
 * `typevisor boot KERNEL --debug`: the kernel stops before its first
 * instruction with the kernel debugger (vm/debug/). Bare machine or a VM
 * under the native monitor: every command, reverse execution included; under
 * the hosted monitor every command but going back (time follows the host
 * clock there), each tick a round trip to the vCPU thread. The
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
import { HostedHost } from '../../hypervisor/hosted/host.js';
import { HostedDebugTarget } from '../../hypervisor/hosted/debug-target.js';
import { vmFootprint } from '../../hypervisor/core/layout.js';
import { fail, writeOut } from '../load.js';
import { runSession } from '../debug-session.js';

export interface DebugBoot {
  readonly monitor: 'none' | 'native' | 'hosted';
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
  let hosted: HostedHost | undefined;
  try {
    if (b.monitor === 'hosted') {
      // A one-off host with the VM created paused; its vCPU thread answers the debugger's steps.
      hosted = new HostedHost({ capacity: vmFootprint(b.memSize) });
      const guest = hosted.add({ name: 'vm1', image: b.image, memSize: b.memSize, paused: true, output });
      await guest.pause(); // the thread is up and has answered
      guest.input(null); // stdin carries commands: the guest's input is over, as on the bare machine
      target = new HostedDebugTarget(guest);
    } else target = b.monitor === 'none' ? new BareTarget(b.image, { memSize: b.memSize, output, ...(b.disk ? { disk: b.disk } : {}) }) : nativeTarget(b, output);
  } catch (e) {
    await hosted?.close();
    if (e instanceof BootError || e instanceof MonitorConfigError) return fail(e.message);
    throw e;
  }
  const view = '(what you see is the guest\'s view: its mode, its CSRs, its page tables)';
  const title = b.monitor === 'none' ? 'kernel on the bare machine, stopped before its first instruction' : `vm1 under the ${b.monitor} monitor, stopped before its first instruction ${view}`;
  const dbg = new KernelDebugger({ target, image: b.image, print, title, pause: () => new Promise((r) => setImmediate(r)) });
  try {
    dbg.begin();
    await runSession(dbg, print, b.batch);
  } finally {
    await hosted?.close();
  }
}

/** One VM under a native monitor of its own. */
function nativeTarget(b: DebugBoot, output: (bytes: Uint8Array) => void): NativeDebugTarget {
  // The interpreter alone: every tick is one instruction anyway.
  const monitor = new NativeMonitor([{ name: 'vm1', image: b.image, memSize: b.memSize, ...(b.disk ? { disk: b.disk } : {}) }], { tier: 'interp', output: (_, bytes) => output(bytes) });
  return new NativeDebugTarget(monitor, monitor.vms[0]!, b.disk === undefined ? {} : { irreversible: 'a disk file is attached, and its contents cannot be rewound' });
}
