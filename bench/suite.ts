/**
 * The interpreter suite: five algorithms, each defined exactly so that every
 * implementation — the guest program and each peer's script — computes the
 * same checksum. The definitions are repeated in a header comment in every
 * implementation; this table is what the harness and the tests check against.
 *
 * Sizes are named parameters, in the order every implementation takes them:
 * the guests as `NAME = value` lines (see guests.ts), the scripts as
 * positional arguments. `small` is a reduced size with its checksum (computed
 * by the JS version and agreed by Lua and Python), for the tests and --small.
 */

export type BenchName = 'fib' | 'sieve' | 'tight' | 'crc32' | 'matmul';

/** Size parameters by name, in argument order. */
export type Params = Readonly<Record<string, number>>;

export interface Sized {
  readonly params: Params;
  /** The checksum line every implementation prints (decimal, or 8 lowercase hex digits). */
  readonly expected: string;
}

export interface Benchmark extends Sized {
  readonly name: BenchName;
  /** What it exercises, in a few words. */
  readonly stresses: string;
  readonly small: Sized;
}

export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'fib',
    stresses: 'calls and returns, stack traffic',
    params: { N: 32 },
    expected: '2178309',
    small: { params: { N: 20 }, expected: '6765' },
  },
  {
    name: 'sieve',
    stresses: 'byte loads and stores over 2 MB',
    params: { N: 2_000_000, REPS: 3 },
    expected: '148933',
    small: { params: { N: 10_000, REPS: 2 }, expected: '1229' },
  },
  {
    name: 'tight',
    stresses: 'ALU loop, no memory',
    params: { ITERATIONS: 50_000_000 },
    expected: 'e63a9c2c',
    small: { params: { ITERATIONS: 100_000 }, expected: 'cb29da2b' },
  },
  {
    name: 'crc32',
    stresses: 'bit twiddling, short inner loop',
    params: { SIZE: 1_048_576, PASSES: 4 },
    expected: '13e98207',
    small: { params: { SIZE: 5_000, PASSES: 2 }, expected: 'ff79d3c6' },
  },
  {
    name: 'matmul',
    stresses: 'word loads, mul-add',
    params: { N: 64, REPS: 50 },
    expected: '0ae60000',
    small: { params: { N: 12, REPS: 3 }, expected: '01a16630' },
  },
];

export const BENCH_NAMES: readonly BenchName[] = BENCHMARKS.map((b) => b.name);

/** Which size a run uses: the real one, or the tests' reduced one. */
export type SizeName = 'full' | 'small';

export function sized(b: Benchmark, size: SizeName): Sized {
  return size === 'full' ? b : b.small;
}

/** The parameters as positional arguments, in order. */
export function paramList(params: Params): number[] {
  return Object.values(params);
}
