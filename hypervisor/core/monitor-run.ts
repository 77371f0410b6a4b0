/**
 * How a VM's run ends and what a run reports, for every monitor.
 */
import type { VmStats } from './stats.js';

export type VmOutcome =
  | { readonly kind: 'poweroff'; readonly status: number }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'stuck'; readonly reason: string }
  | { readonly kind: 'budget' };

export interface VmResult {
  readonly name: string;
  readonly outcome: VmOutcome;
  readonly instructions: number;
  readonly virtualTime: number;
  readonly stats: VmStats;
}

export interface MonitorResult {
  readonly vms: readonly VmResult[];
  readonly wallMs: number;
}

/**
 * A monitor run to completion (typevisor boot --monitor …): its VMs booted,
 * run until each ends, console input routed. Both monitors implement it; a
 * long-lived host whose VMs come and go is a VmHost (host.ts).
 */
export interface Monitor {
  /** Run every VM until each has powered off, failed, or can make no more progress. */
  run(): Promise<MonitorResult>;
  /** Console input for the VM that has the console (the first one); null when input ends. */
  input(bytes: Uint8Array | null): void;
  expectInput(): void;
}

/** The process exit code for a monitor run: 0 if every VM powered off with 0. */
export function monitorExitCode(result: MonitorResult): number {
  for (const vm of result.vms) {
    const o = vm.outcome;
    if (o.kind === 'poweroff' && o.status !== 0) return o.status & 0xff || 1;
    if (o.kind === 'failed') return 1;
    if (o.kind === 'budget') return 124;
    if (o.kind === 'stuck') return 125;
  }
  return 0;
}
