/**
 * `typevisor boot … --snapshot-at N FILE` and `typevisor boot --restore FILE`:
 * a locally booted VM saved after exactly N guest instructions, and a
 * snapshot run locally to its end.
 *
 * Saving runs the guest in virtual time (the bare machine, or the native
 * monitor), so the same N gives the same file, byte for byte. Restoring runs
 * it on the bare machine (--monitor none: the snapshot's state loaded into a
 * machine as firmware would load a kernel) or as the one VM of a native or
 * hosted host (the same restore a daemon does, eager or --lazy).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Image } from '../../isa/image.js';
import type { VmState } from '../../hypervisor/core/state.js';
import type { Guest, VmHost } from '../../hypervisor/core/host.js';
import type { VmOutcome } from '../../hypervisor/core/monitor-run.js';
import { DEFAULT_SHADOW_PAGES } from '../../hypervisor/core/layout.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { HostedHost } from '../../hypervisor/hosted/host.js';
import { encodeSnapshot, readMemory, SnapshotError } from '../../hypervisor/snapshot/snapshot-format.js';
import { openSnapshotFile, writeFileAtomic, type SnapshotFile } from '../../hypervisor/snapshot/snapshot-file.js';
import { fillEager, startLazy } from '../../hypervisor/snapshot/restore.js';
import type { TakenOn } from '../../hypervisor/snapshot/snapshot.js';
import { BareMachine, BootError, type BootResult } from '../../vm/bare.js';
import type { Device } from '../../vm/device.js';
import { PAGE_SIZE, RAM_BASE } from '../../vm/memmap.js';
import { paintErr } from '../color.js';
import { attachConsole } from '../console.js';
import { fail, writeOut } from '../load.js';
import type { BootSettings } from './settings.js';
import { readProblem, writeProblem } from '../../isa/fs-problem.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** What the local snapshot paths print with --json. */
interface LocalReport {
  readonly outcome: BootResult | VmOutcome;
  readonly instructions: number;
  readonly memoryHash: string;
  readonly file?: string;
  readonly bytes?: number;
}

// ---- saving -----------------------------------------------------------------------

/** A bare machine's state as a VM state: the machine a VM sees is the bare one. */
function bareState(bare: BareMachine): VmState {
  const m = bare.machine;
  return {
    name: 'vm1',
    monitor: 'native',
    lifecycle: 'paused',
    cpu: m.cpu.save(),
    vcpu: { ipDevices: m.ipDevices >>> 0, waiting: false, halted: m.halted, exitStatus: m.exitStatus | 0 },
    devices: { console: bare.console.save(), disk: bare.disk.save(), net: bare.net.save(), power: bare.power.save() },
  };
}

/**
 * Boot `image` (bare machine or native monitor), stop it after exactly `at`
 * instructions, and save it to `file`. Its console output up to there goes to
 * stdout as usual.
 */
export async function bootAndSnapshot(image: Image, kernel: string, on: 'none' | 'native', at: number, file: string, s: BootSettings): Promise<void> {
  const out = (b: Uint8Array): void => writeOut(s.json ? 2 : 1, b);
  let state: VmState;
  let memory: Uint8Array;
  let ended: string | undefined;
  let takenOn: TakenOn;
  try {
    if (on === 'none') {
      const bare = new BareMachine(image, { memSize: s.memSize, tier: s.tier, maxInstructions: at, output: out });
      const r = await bare.run();
      if (r.kind !== 'budget') ended = r.kind === 'poweroff' ? `powered off (status ${r.status})` : `got stuck (${r.reason})`;
      state = bareState(bare);
      memory = bare.machine.memory.u8.subarray(0, s.memSize);
      takenOn = 'bare';
    } else {
      const monitor = new NativeMonitor([{ name: 'vm1', image, memSize: s.memSize }], { tier: s.tier, maxInstructions: at, output: (_, b) => out(b) });
      const r = await monitor.run();
      const o = r.vms[0]!.outcome;
      if (o.kind !== 'budget') ended = o.kind === 'poweroff' ? `powered off (status ${o.status})` : `${o.kind === 'failed' ? 'failed' : 'got stuck'} (${o.reason})`;
      const vm = monitor.vms[0]!;
      state = vm.save('native', 'paused');
      memory = vm.memory.u8.subarray(0, s.memSize);
      takenOn = 'native';
    }
  } catch (e) {
    if (!(e instanceof BootError)) throw e;
    return fail(e.message);
  }
  if (ended !== undefined) return fail(`the guest ${ended} after ${state.cpu.instret} instructions, before instruction ${at}: nothing saved`);
  const encoded = encodeSnapshot({ info: { takenOn, kernel, memSize: s.memSize }, state, memory });
  let bytes: number;
  try {
    bytes = writeFileAtomic(resolve(file), encoded.pieces);
  } catch (e) {
    return fail(`cannot write ${file}: ${writeProblem(e, file)}`);
  }
  const report: LocalReport = { outcome: { kind: 'budget', instructions: at }, instructions: state.cpu.instret, memoryHash: sha256(memory), file, bytes };
  if (s.json) writeOut(1, JSON.stringify(report) + '\n');
  else writeOut(2, `${paintErr().dim(`[saved to ${file} at instruction ${at}: ${bytes} bytes, ${encoded.pagesPresent} of ${memory.length / PAGE_SIZE} pages stored]`)}\n`);
}

// ---- restoring --------------------------------------------------------------------

/** Run the snapshot in `file` to its end: on the bare machine (none) or a one-VM native or hosted host. */
export async function restoreAndRun(file: string, on: 'none' | 'native' | 'hosted', lazy: boolean, s: BootSettings): Promise<void> {
  if (lazy && on === 'none') return fail('--lazy needs a monitor to page memory in (add --monitor native or hosted)');
  let f: SnapshotFile;
  try {
    f = openSnapshotFile(file, { pages: !lazy });
  } catch (e) {
    if (e instanceof SnapshotError) return fail(`${file}: ${e.message}`);
    return fail(`cannot read ${file}: ${readProblem(e)}`);
  }
  if (f.contents.disk) {
    // A local boot has no volumes, and runs no transient disk for a restored guest: it would run on without its disk.
    const d = f.contents.disk;
    f.close();
    return fail(`${file} carries a disk (${d.kind === 'volume' ? `volume ${d.name}, by reference` : 'a transient disk, by value'}): restore it on a daemon (typevisor vm restore ${file})`);
  }
  const out = (b: Uint8Array): void => writeOut(s.json ? 2 : 1, b);
  const report = on === 'none' ? await runBare(f, s, out) : await runOnHost(f, on, lazy, s, out);
  if (!report) return;
  const o = report.outcome;
  const err = paintErr();
  if (o.kind === 'poweroff') process.exitCode = o.status & 0xff;
  else if (o.kind === 'budget') {
    writeOut(2, `${err.red('stopped:')} --max-instructions reached\n`);
    process.exitCode = 124;
  } else {
    writeOut(2, `${err.red('stopped:')} ${o.reason}\n`);
    process.exitCode = o.kind === 'failed' ? 1 : 125;
  }
  if (s.json) writeOut(1, JSON.stringify(report) + '\n');
}

async function runBare(f: SnapshotFile, s: BootSettings, out: (b: Uint8Array) => void): Promise<LocalReport> {
  const st = f.contents.state;
  const empty: Image = { entry: RAM_BASE, sections: [], symbols: [] };
  const bare = new BareMachine(empty, {
    memSize: f.contents.info.memSize,
    tier: s.tier,
    output: out,
    ...(s.maxInstructions !== undefined ? { maxInstructions: s.maxInstructions } : {}),
  });
  const m = bare.machine;
  m.memory.u8.set(readMemory(f.src, f.contents));
  f.close();
  const devices = new Map<Device, unknown>([
    [bare.console, st.devices.console],
    [bare.disk, st.devices.disk],
    [bare.power, st.devices.power],
    [bare.net, st.devices.net],
  ]);
  m.restore({ cpu: st.cpu, ip: st.vcpu.ipDevices, devices });
  m.halted = st.vcpu.halted;
  m.exitStatus = st.vcpu.exitStatus;
  const detach = attachConsole(bare);
  let r: BootResult;
  try {
    r = await bare.run();
  } finally {
    detach();
  }
  return { outcome: r, instructions: m.cpu.instret, memoryHash: sha256(m.memory.u8.subarray(0, f.contents.info.memSize)) };
}

async function runOnHost(f: SnapshotFile, on: 'native' | 'hosted', lazy: boolean, s: BootSettings, out: (b: Uint8Array) => void): Promise<LocalReport | undefined> {
  const memSize = f.contents.info.memSize;
  const capacity = memSize + DEFAULT_SHADOW_PAGES * PAGE_SIZE;
  const limit = s.maxInstructions !== undefined ? { maxInstructions: s.maxInstructions } : {};
  const host: VmHost = on === 'native' ? new NativeMonitor([], { capacity, tier: s.tier, ...limit }) : new HostedHost({ capacity, tier: s.tier, ...limit });
  let finished: (o: VmOutcome) => void = () => {};
  const ended = new Promise<VmOutcome>((r) => (finished = r));
  host.onVmEnd = (_, o) => finished(o);
  const guest: Guest = host.add({ name: f.contents.state.name, memSize, output: out });
  try {
    if (lazy) {
      const load = await startLazy(guest, f, (e) => {
        writeOut(2, `${paintErr().red('error:')} ${e.message}\n`);
        finished({ kind: 'failed', reason: `its memory could not be read from the snapshot` });
      });
      void load.done;
    } else {
      await fillEager(guest, f);
      f.close();
    }
  } catch (e) {
    f.close();
    await host.close();
    if (e instanceof SnapshotError) return void fail(`${f.path}: ${e.message}`);
    throw e;
  }
  const serving = host.serve();
  guest.resume();
  const detach = attachConsole({ input: (b) => guest.input(b), expectInput: () => {} });
  let outcome: VmOutcome;
  try {
    outcome = await ended;
  } finally {
    detach();
  }
  await guest.pause();
  const report: LocalReport = { outcome, instructions: guest.instructions, memoryHash: sha256(guest.ram.subarray(0, memSize)) };
  await host.close();
  await serving;
  return report;
}
