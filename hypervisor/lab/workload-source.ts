/**
 * A workload from its source text: its parameters (`NAME = value` lines near
 * the top) and its image assembled with some of them replaced. No files: the
 * caller hands over the text and a reader for what it `.include`s — the CLI
 * reads guests/workloads/ (workloads.ts), the browser playground bundles the
 * same files as text.
 */
import { assemble, formatDiagnostic } from '../../isa/asm/index.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { MigrationError } from '../migration/migration-error.js';
import type { Workload, WorkloadName } from './workloads.js';

/** The memory workloads: compared anywhere, on a simulated link too (the browser playground has these). */
export const WORKLOAD_NAMES = ['idle', 'cpu', 'writes', 'incrementer', 'fill'] as const;

/**
 * The workloads with a device the daemons bind — a disk (disk-writer), a
 * network cable (echo): the disk's sectors and the open connections move by
 * the control plane's doing, not the engine's, so these are compared between
 * two real daemons only (migrate-compare's device runs).
 */
export const DEVICE_WORKLOAD_NAMES = ['disk-writer', 'echo'] as const;

const ALL_NAMES: readonly string[] = [...WORKLOAD_NAMES, ...DEVICE_WORKLOAD_NAMES];

const PARAM_LINE = /^([A-Z][A-Z0-9_]*)(\s*=\s*)(-?\d+)(\s*(;.*)?)$/gm;

/** The parameters and their defaults, as the source states them. */
export function paramsInSource(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(PARAM_LINE)) out[m[1]!] = Number(m[3]);
  return out;
}

export interface WorkloadSource {
  readonly name: WorkloadName;
  /** Its path, for diagnostics and to resolve `.include`. */
  readonly file: string;
  readonly text: string;
  /** Reads what it includes (default: the assembler's, from the host's files). */
  readonly readFile?: (path: string) => string;
}

/** Assemble a workload with some parameters changed; the file's lines stay where they are, so diagnostics point into it. */
export function assembleWorkload(src: WorkloadSource, overrides: Readonly<Record<string, number>> = {}): Workload {
  const { name, file, text } = src;
  if (!ALL_NAMES.includes(name)) throw new MigrationError(`no workload named ${name} (${ALL_NAMES.join(', ')})`);
  const defaults = paramsInSource(text);
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in defaults)) throw new MigrationError(`workload ${name} has no parameter ${k} (it has ${Object.keys(defaults).join(', ')})`);
    if (!Number.isInteger(v)) throw new MigrationError(`workload ${name}: ${k} must be an integer, got ${v}`);
  }
  const params = { ...defaults, ...overrides };
  const edited = text.replace(PARAM_LINE, (line, key: string, eq: string, _v: string, rest: string) => (key in overrides ? `${key}${eq}${overrides[key]}${rest}` : line));
  const r = assemble(edited, { filename: file, defaultTextBase: RAM_BASE, ...(src.readFile ? { readFile: src.readFile } : {}) });
  if (!r.ok) throw new MigrationError(`${file} does not assemble:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`);
  return { name, params, image: r.image };
}
