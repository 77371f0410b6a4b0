/** Printing what a boot run did: per-machine or per-VM statistics, as text or JSON. */
import { IRQ_NAMES } from '../../isa/csr.js';
import type { MonitorResult } from '../../hypervisor/core/monitor-run.js';
import type { Counts, VmStatsRecord } from '../../hypervisor/core/stats.js';
import type { Machine } from '../../vm/machine.js';
import { CAUSES } from '../../vm/trap.js';
import { paintErr } from '../color.js';

export const listCounts = (r: Counts): string =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** Trap and interrupt counts of a machine, by name. */
export function machineCounts(m: Machine): { traps: Counts; interrupts: Counts } {
  const traps: Counts = {};
  CAUSES.forEach((c) => {
    const n = m.trapCounts[c.code]!;
    if (n > 0) traps[c.name] = n;
  });
  const interrupts: Counts = {};
  IRQ_NAMES.forEach((name, i) => {
    const n = m.interruptCounts[i]!;
    if (n > 0) interrupts[name] = n;
  });
  return { traps, interrupts };
}

/** The --stats table for a monitor run: one block per VM. */
export function formatMonitorStats(result: MonitorResult, monitor: string): string {
  const err = paintErr();
  const out: string[] = [err.bold(`--- ${monitor} monitor: ${result.vms.length} VM${result.vms.length === 1 ? '' : 's'}, ${result.wallMs.toFixed(1)} ms ---`)];
  for (const vm of result.vms) {
    const s = vm.stats;
    const o = vm.outcome;
    const outcome = o.kind === 'poweroff' ? `powered off, status ${o.status}` : o.kind === 'failed' ? `stopped by the monitor: ${o.reason}` : o.kind === 'stuck' ? `stuck: ${o.reason}` : 'instruction limit reached';
    out.push(err.bold(`[${vm.name}]`) + ` ${outcome}`, `  instructions      ${vm.instructions} (virtual time ${vm.virtualTime})`, ...vmCountLines(s));
  }
  return out.join('\n') + '\n';
}

/** What a monitor counted for one VM (VmStats, or its record as the control protocol carries it), a line each. */
export function vmCountLines(s: VmStatsRecord): string[] {
  const busy = s.guestMs + s.monitorMs;
  return [
    `  traps             ${listCounts(s.traps)}`,
    `  emulated          ${listCounts(s.emulated)}`,
    `  reflected         ${listCounts(s.reflected)}`,
    `  shadow faults     ${s.hiddenFaults} hidden, ${s.reflectedFaults} reflected`,
    `  device accesses   ${s.mmio} emulated`,
    `  interrupts        ${listCounts(s.injected)} injected`,
    `  time              guest ${s.guestMs.toFixed(1)} ms, monitor ${s.monitorMs.toFixed(1)} ms (${busy > 0 ? ((100 * s.monitorMs) / busy).toFixed(1) : '0.0'}% in the monitor)`,
  ];
}
