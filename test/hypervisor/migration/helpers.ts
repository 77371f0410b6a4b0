/**
 * Shared by the migration tests: workloads at test sizes, a fast link, and the
 * reference run each migrated run must match.
 */
import { fileURLToPath } from 'node:url';
import type { Image } from '../../../isa/image.js';
import { runBaseline, type GuestEnd } from '../../../hypervisor/lab/simulate.js';
import { loadWorkload, type WorkloadName } from '../../../hypervisor/lab/workloads.js';

/** The workloads' sources, in this repository. */
export const WORKLOADS = fileURLToPath(new URL('../../../guests/workloads/', import.meta.url));

export const MiB = 1024 * 1024;
/** 1 GB/s, 50 µs: a 4 KiB page takes 4096 guest instructions to cross. */
export const FAST = { bandwidth: 1e9, latencyMs: 0.05 } as const;

const images = new Map<string, Image>();
const baselines = new Map<string, Promise<GuestEnd>>();

export function image(name: WorkloadName, params: Record<string, number> = {}): Image {
  const key = `${name}:${JSON.stringify(params)}`;
  let img = images.get(key);
  if (!img) images.set(key, (img = loadWorkload(WORKLOADS, name, params).image));
  return img;
}

/** The workload never migrated (computed once per image and size). */
export function baseline(img: Image, memSize: number): Promise<GuestEnd> {
  const key = `${[...images.entries()].find(([, v]) => v === img)?.[0] ?? '?'}@${memSize}`;
  let b = baselines.get(key);
  if (!b) baselines.set(key, (b = runBaseline(img, memSize)));
  return b;
}
