/** `vm list` and `vm stats` as people read them. */
import type { ChalkInstance } from 'chalk';
import type { PeriodicSnapshotInfo, VmInfo, VmState, VmStatsInfo } from '../../hypervisor/control/protocol.js';
import { basename } from 'node:path';
import { vmCountLines } from '../boot/boot-report.js';
import { describeDisk } from '../../hypervisor/control/vm-disks.js';

export const mib = (bytes: number): string => (bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);

function stateColor(c: ChalkInstance, state: VmState): (s: string) => string {
  switch (state) {
    case 'running':
      return c.green;
    case 'migrating':
    case 'incoming':
      return c.cyan;
    case 'paused':
      return c.yellow;
    case 'lost':
      return c.red.bold;
    case 'off':
      return c.dim;
  }
}

/** What is going on with the VM, in words: its migration, and why it is paused, off or lost. */
export function vmNote(v: VmInfo): string {
  const parts: string[] = [];
  // An interrupted or lost migration is told by the reason alone.
  if (v.migration && v.migration.phase !== 'interrupted' && v.migration.phase !== 'lost') parts.push(`${v.migration.strategy} ${v.migration.role === 'source' ? 'to' : 'from'} ${v.migration.peer}: ${v.migration.phase}`);
  if (v.reason) parts.push(v.reason);
  if (v.restarted) parts.push(`restarted from snapshot at ${v.restarted.instructions} instructions`);
  return parts.join('; ');
}

/** A VM's disk in a table cell: the volume, "transient" or the file's name. */
export function diskCell(v: VmInfo): string {
  const d = v.disk;
  if (!d) return '-';
  return d.kind === 'volume' ? `volume ${d.name}` : d.kind === 'transient' ? 'transient' : `file ${basename(d.path)}`;
}

export function formatVmTable(vms: readonly VmInfo[], c: ChalkInstance): string {
  if (vms.length === 0) return 'no VMs (start one: typevisor vm start KERNEL)\n';
  // The DISK column only when some VM has one: tables of disk-less VMs read as before.
  const disks = vms.some((v) => v.disk);
  const rows = vms.map((v) => [v.name, v.state, v.monitor, v.kernel, mib(v.memSize), String(v.instructions), ...(disks ? [diskCell(v)] : []), vmNote(v)]);
  const head = ['NAME', 'STATE', 'MONITOR', 'KERNEL', 'MEMORY', 'INSTRUCTIONS', ...(disks ? ['DISK'] : []), ''];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[], paintState: (s: string) => string = (s) => s): string =>
    r.map((cell, i) => {
      const padded = i === 5 ? cell.padStart(width[i]!) : cell.padEnd(width[i]!);
      return i === 1 ? paintState(padded) : padded;
    }).join('  ').trimEnd();
  return [c.bold(line(head)), ...rows.map((r, i) => line(r, stateColor(c, vms[i]!.state)))].join('\n') + '\n';
}

export function formatVmStats(s: VmStatsInfo, c: ChalkInstance): string {
  const note = vmNote(s);
  const lines = vmCountLines(s.counts);
  return [
    c.bold(`[${s.name}]`) + ` ${stateColor(c, s.state)(s.state)}${note ? ` — ${note}` : ''}`,
    `  kernel            ${s.kernel}, ${mib(s.memSize)}, ${s.monitor} monitor${s.monitor === 'native' ? `, share ${s.share}` : ''}`,
    `  lifecycle         ${s.lifecycle}`,
    `  instructions      ${s.instructions} (virtual time ${s.virtualTime})`,
    ...(s.disk ? [`  disk              ${describeDisk(s.disk)}${s.disk.kind === 'transient' ? `: ${s.disk.path}` : ''}`] : []),
    ...lines.slice(0, -1),
    `  console           ${s.consoleBytes} bytes written, ${s.consoleFollowers} following`,
    ...(s.net ? [`  net               ${s.net}`] : []),
    `  dirty pages       ${s.dirtyPages}`,
    ...(s.restarted ? [`  restarted         from ${s.restarted.file} at ${s.restarted.instructions} instructions`] : []),
    ...(s.periodicSnapshot ? [`  snapshots         ${periodicLine(s.periodicSnapshot)}`] : []),
    lines.at(-1)!,
  ].join('\n') + '\n';
}

/** A VM's periodic snapshots in one line: the period, the file, the last one (and a failure since). */
function periodicLine(p: PeriodicSnapshotInfo): string {
  const every = p.everyMs % 1000 === 0 ? `${p.everyMs / 1000} s` : `${p.everyMs} ms`;
  const last = p.last
    ? `last at ${p.last.takenAt.slice(11, 23)} UTC, instruction ${p.last.instructions}, ${p.last.bytes} bytes, paused ${p.last.pausedMs} ms`
    : 'none yet';
  return `every ${every} to ${p.file}: ${last}${p.error !== undefined ? `; the last attempt failed: ${p.error}` : ''}`;
}
