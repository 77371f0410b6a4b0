/**
 * The migration lab: a workload with its parameters, guest memory, link
 * bandwidth and latency → the four strategies run on the simulated link in
 * virtual time (the lab's compareStrategies, as `typevisor migrate-compare`
 * runs them), shown as the same table (comparisonRows) and the same HTML
 * report with its charts (renderHtml). Virtual time makes every number the
 * same on every run, so moving a slider shows the effect of that slider only.
 */
import { compareStrategies, comparisonNotes, comparisonRows, describeComparison, type Comparison } from '../hypervisor/lab/compare.js';
import { renderHtml } from '../hypervisor/lab/html-report.js';
import { assembleWorkload, paramsInSource, WORKLOAD_NAMES } from '../hypervisor/lab/workload-source.js';
import type { WorkloadName } from '../hypervisor/lab/workloads.js';
import { STRATEGY_NAMES } from '../hypervisor/migration/options.js';
import { parseLink } from '../hypervisor/migration/units.js';
import { readGuestFile, workloadFile } from './guest-files.js';

export { WORKLOAD_NAMES };

export interface LabSpec {
  readonly workload: WorkloadName;
  readonly params: Readonly<Record<string, number>>;
  readonly memMiB: number;
  /** MB/s (10^6 bytes), as the CLI's `100MB/s`. */
  readonly bandwidthMBs: number;
  readonly latencyMs: number;
  /** Guest instructions before the migration starts. */
  readonly at: number;
}

export function workloadDefaults(name: WorkloadName): Record<string, number> {
  return paramsInSource(readGuestFile(workloadFile(name)));
}

/** The link as the CLI's --link would say it (and parse it: one parser for both). */
export const linkText = (s: LabSpec): string => `${s.bandwidthMBs}MB/s,${s.latencyMs}ms`;

export interface LabResult {
  readonly comparison: Comparison;
  readonly rows: string[][];
  readonly notes: string[];
  readonly title: string;
  readonly html: string;
}

export async function runLab(s: LabSpec, progress: (m: string) => void): Promise<LabResult> {
  const file = workloadFile(s.workload);
  const defaults = workloadDefaults(s.workload);
  const overrides = Object.fromEntries(Object.entries(s.params).filter(([k, v]) => defaults[k] !== v));
  const workload = assembleWorkload({ name: s.workload, file, text: readGuestFile(file), readFile: readGuestFile }, overrides);
  const comparison = await compareStrategies({
    workload: s.workload,
    params: workload.params,
    image: workload.image,
    memSize: s.memMiB * 1024 * 1024,
    link: parseLink(linkText(s)),
    strategies: STRATEGY_NAMES,
    at: s.at,
    verify: false,
    progress,
  });
  return { comparison, rows: comparisonRows(comparison), notes: comparisonNotes(comparison), title: describeComparison(comparison), html: renderHtml(comparison) };
}
