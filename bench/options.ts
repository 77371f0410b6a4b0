/**
 * The bench command's options, checked: each parser takes the text as given
 * on the command line and returns the value, or throws BenchError saying what
 * is wrong and what would be right.
 */
import { BenchError } from './bench-error.js';
import type { Tier } from './outcome.js';
import { PEER_GROUPS, type PeerGroup } from './runners/runner.js';
import { BENCH_NAMES, type BenchName, type SizeName } from './suite.js';

export interface BenchOptions {
  readonly only: readonly BenchName[];
  readonly peers: readonly PeerGroup[];
  readonly runs: number;
  readonly quick: boolean;
  readonly size: SizeName;
  /** The execution tiers to measure, each against the same peer runs. */
  readonly tiers: readonly Tier[];
  /** Seconds after which a slow peer stops being timed. */
  readonly budget: number;
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function pick<T extends string>(text: string, allowed: readonly T[], option: string): T[] {
  const names = list(text);
  for (const n of names) {
    if (!(allowed as readonly string[]).includes(n)) throw new BenchError(`${option}: no such name '${n}' (choose from ${allowed.join(', ')})`);
  }
  // In the suite's own order, each once.
  return allowed.filter((a) => names.includes(a));
}

/** `--only fib,sieve`: at least one benchmark. */
export function parseOnly(text: string): BenchName[] {
  const names = pick(text, BENCH_NAMES, '--only');
  if (names.length === 0) throw new BenchError(`--only: name at least one benchmark (${BENCH_NAMES.join(', ')})`);
  return names;
}

/** `--peers js,lua`: any subset, empty for none. */
export function parsePeers(text: string): PeerGroup[] {
  return pick(text, PEER_GROUPS, '--peers');
}

/** `--runs N`: a whole number from 1. */
export function parseRuns(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new BenchError(`--runs: expected a whole number of runs from 1, got '${text}'`);
  return n;
}

/** `--budget SECONDS`: a positive number. */
export function parseBudget(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new BenchError(`--budget: expected a positive number of seconds, got '${text}'`);
  return n;
}

/** `--tier interp|jit|both`. */
export function parseTiers(text: string): Tier[] {
  if (text === 'interp' || text === 'jit') return [text];
  if (text === 'both') return ['interp', 'jit'];
  throw new BenchError(`--tier: no tier '${text}' (interp, jit, or both)`);
}
