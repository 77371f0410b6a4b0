/**
 * The migration workloads (guests/workloads/*.s): bare-metal guest kernels
 * whose memory behaviour is set by `NAME = value` lines near their tops —
 * idle, cpu, writes (working set and dirty rate, sequential or random) and
 * incrementer (detects a lost or stale page by itself). A workload is
 * assembled with any of those values replaced; the file, its includes and
 * its line numbers stay as they are, so diagnostics still point into it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Image } from '../../isa/image.js';
import { MigrationError } from '../migration/migration-error.js';
import { assembleWorkload, DEVICE_WORKLOAD_NAMES, paramsInSource, WORKLOAD_NAMES } from './workload-source.js';

export { DEVICE_WORKLOAD_NAMES, WORKLOAD_NAMES };
export type DeviceWorkloadName = (typeof DEVICE_WORKLOAD_NAMES)[number];
export type WorkloadName = (typeof WORKLOAD_NAMES)[number] | DeviceWorkloadName;

/** A workload with a disk or a network cable (compared between real daemons only). */
export function isDeviceWorkload(name: string): name is DeviceWorkloadName {
  return (DEVICE_WORKLOAD_NAMES as readonly string[]).includes(name);
}

export interface Workload {
  readonly name: WorkloadName;
  /** Every parameter, with the value this image was built with. */
  readonly params: Readonly<Record<string, number>>;
  readonly image: Image;
}

/**
 * Where the workloads' sources are is the caller's to say (the CLI and the
 * bench know where they were installed; tests know the repository): the lab
 * does not go looking for them.
 */
export function workloadFile(dir: string, name: WorkloadName): string {
  const file = join(dir, `${name}.s`);
  if (!existsSync(file)) throw new MigrationError(`workload ${name}: ${file} does not exist (the workloads directory given is ${dir})`);
  return file;
}

/** The workload's parameters and their defaults, as its source states them. */
export function workloadParams(dir: string, name: WorkloadName): Record<string, number> {
  return paramsInSource(readFileSync(workloadFile(dir, name), 'utf8'));
}

/** Assemble a workload with some parameters changed. */
export function loadWorkload(dir: string, name: WorkloadName, overrides: Readonly<Record<string, number>> = {}): Workload {
  if (!(WORKLOAD_NAMES as readonly string[]).includes(name) && !isDeviceWorkload(name)) throw new MigrationError(`no workload named ${name} (${[...WORKLOAD_NAMES, ...DEVICE_WORKLOAD_NAMES].join(', ')})`);
  const file = workloadFile(dir, name);
  return assembleWorkload({ name, file, text: readFileSync(file, 'utf8') }, overrides);
}

/** `WS_PAGES=128,SPIN=0` → { WS_PAGES: 128, SPIN: 0 }. */
export function parseParams(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?\d+)$/.exec(part);
    if (!m) throw new MigrationError(`workload parameter '${part}' is not NAME=integer`);
    out[m[1]!.toUpperCase()] = Number(m[2]);
  }
  return out;
}
