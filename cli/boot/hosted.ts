/**
 * `typevisor boot --monitor hosted`: one VM as an ordinary process, its
 * devices on the host — the terminal, a disk file, a TCP socket, the clock.
 *
 * Host resources are opened before the guest starts, so a disk that cannot be
 * opened or a port that cannot be bound stops the boot with a message. SIGTERM
 * (and SIGINT, or Ctrl-] on a terminal in raw mode) stop the VM cleanly: the
 * vCPU stops between two slices, a disk write in flight finishes, the file is
 * closed, and the exit status says which signal (128 + its number). A second
 * signal while stopping exits at once.
 */
import { constants } from 'node:os';
import { HostDisk, HostDiskError } from '../../hypervisor/hosted/disk-backend.js';
import { HostedMonitor, type HostedResult, type HostedVmConfig } from '../../hypervisor/hosted/hosted-monitor.js';
import { formatAddress, HostNet, NetAddressError, type NetAddress } from '../../hypervisor/hosted/net-backend.js';
import { TICKS_PER_MS } from '../../hypervisor/hosted/host-clock.js';
import type { VmEvent } from '../../hypervisor/core/vm.js';
import { monitorExitCode } from '../../hypervisor/core/monitor-run.js';
import { MonitorConfigError } from '../../hypervisor/core/host.js';
import { paintErr } from '../color.js';
import { attachConsole } from '../console.js';
import { writeOut } from '../load.js';
import { formatEvent } from './native.js';
import { formatMonitorStats } from './boot-report.js';
import type { BootSettings } from './settings.js';
import { jitDumpDirOption } from '../jit-dump.js';

/** The host resources a hosted boot borrows. */
export interface HostedSetup {
  readonly disk?: { readonly path: string; readonly createSize: number | undefined };
  readonly net?: { readonly mode: 'listen' | 'connect'; readonly address: NetAddress; readonly public: boolean };
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export async function bootHosted(config: HostedVmConfig, s: BootSettings, setup: HostedSetup): Promise<void> {
  const err = paintErr();
  const log = (line: string): void => writeOut(2, `${line}\n`);
  let disk: HostDisk | undefined;
  let net: HostNet | undefined;
  const release = async (): Promise<void> => {
    await disk?.close();
    await net?.close();
  };
  try {
    if (setup.disk) disk = await HostDisk.open(setup.disk.path, setup.disk.createSize);
    if (setup.net) net = setup.net.mode === 'listen' ? await HostNet.listen(setup.net.address, log, setup.net.public) : await HostNet.connectFirst(setup.net.address, log);
  } catch (e) {
    if (!(e instanceof HostDiskError) && !(e instanceof NetAddressError)) throw e;
    await release();
    writeOut(2, `${err.red('error:')} ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (net?.mode === 'listen') log(`net: listening on ${formatAddress(net.address)}`);

  let monitor: HostedMonitor;
  let outputGone = false;
  const output = (bytes: Uint8Array): void => {
    if (outputGone) return;
    try {
      writeOut(s.json ? 2 : 1, bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      // `… | head` has read enough: stop the guest as a closed pipe stops a program.
      outputGone = true;
      stop('a closed console (EPIPE)', 128 + constants.signals.SIGPIPE);
    }
  };
  try {
    monitor = new HostedMonitor(config, {
      tier: s.tier,
      ...jitDumpDirOption(),
      output,
      ...(disk ? { disk } : {}),
      ...(net ? { net } : {}),
      ...(s.traceTraps ? { onEvent: (e: VmEvent) => writeOut(2, formatEvent(e) + '\n') } : {}),
      ...(s.maxInstructions !== undefined ? { maxInstructions: s.maxInstructions } : {}),
    });
  } catch (e) {
    if (!(e instanceof MonitorConfigError)) throw e;
    await release();
    writeOut(2, `${err.red('error:')} ${e.message}\n`);
    process.exitCode = 1;
    return;
  }

  let stopping: string | undefined;
  const stop = (why: string, status: number): void => {
    if (stopping !== undefined) process.exit(status); // asked twice: do not wait any longer
    stopping = why;
    process.exitCode = status;
    monitor.stop(why);
  };
  const handlers = SIGNALS.map((sig) => [sig, () => stop(sig, 128 + constants.signals[sig])] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  const detach = attachConsole(monitor, () => stop('Ctrl-]', 130));
  let result: HostedResult;
  try {
    result = await monitor.run();
  } finally {
    detach();
    for (const [sig, h] of handlers) process.off(sig, h);
    await release();
  }

  const vm = result.vms[0]!;
  const o = vm.outcome;
  if (result.stopped !== undefined) {
    const kept = disk ? `; ${disk.path} is closed with every write the guest saw complete on it (${disk.writes} writes)` : '';
    writeOut(2, `${err.red(`[${vm.name}] stopped on ${result.stopped}`)} after ${vm.instructions} instructions${kept}\n`);
  } else if (o.kind === 'failed') writeOut(2, `${err.red(`[${vm.name}] stopped by the monitor:`)} ${o.reason}\n`);
  else if (o.kind === 'stuck') writeOut(2, `${err.red(`[${vm.name}] stuck:`)} ${o.reason}\n`);
  else if (o.kind === 'budget') writeOut(2, `${err.red(`[${vm.name}] stopped:`)} --max-instructions reached\n`);
  if (s.stats) writeOut(2, formatMonitorStats(result, 'hosted') + formatHostStats(result));
  if (s.json) writeOut(1, JSON.stringify({ monitor: 'hosted', wallMs: result.wallMs, vms: result.vms, stopped: result.stopped ?? null, vcpu: result.vcpu ?? null, disk: result.disk ?? null, net: result.net ?? null }) + '\n');
  if (result.stopped === undefined) process.exitCode = monitorExitCode(result);
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const kib = (n: number): string => (n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(1)} KiB`);

/** The host's side of the run: the vCPU thread, the clock, the disk file, the socket. */
export function formatHostStats(r: HostedResult): string {
  const lines: string[] = [];
  const v = r.vcpu;
  if (v) lines.push(`  vCPU thread       ${plural(v.slices, 'slice')}, ${plural(v.waits, 'wait')} (${v.sleptMs.toFixed(1)} ms asleep), ${plural(v.messages, 'message')} in`);
  const vm = r.vms[0];
  if (vm) lines.push(`  clock             1 tick = 10 ns of host time: ${(vm.virtualTime / TICKS_PER_MS).toFixed(1)} ms of virtual time`);
  const d = r.disk;
  if (d) lines.push(`  disk              ${d.path}${d.created ? ' (created)' : ''}: ${plural(d.reads, 'read')} (${kib(d.bytesRead)}), ${plural(d.writes, 'write')} (${kib(d.bytesWritten)}), ${plural(d.syncs, 'fdatasync')}`);
  const n = r.net;
  if (n) {
    const how = n.mode === 'listen' ? `listening on ${n.address}` : `connecting to ${n.address}`;
    lines.push(`  net               ${how}: ${plural(n.connections, 'connection')}, ${n.refused} refused; ${n.bytesIn} bytes in, ${n.bytesOut} bytes out${n.dropped ? `, ${n.dropped} dropped` : ''}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
