/**
 * The benchmarks, in two families: the loops (five kernels, each one hot loop
 * or one recursion) and real programs (recursive sorts and searches, trees on
 * a heap, a hash table, bignums, an interpreter — calls and returns,
 * data-dependent branches, indirect jumps, memory spread over many pages).
 * Each is an algorithm defined exactly so that every
 * implementation — the guest program and each peer's script — computes the
 * same checksum. The definitions are repeated in a header comment in every
 * implementation; this table is what the harness and the tests check against.
 *
 * Sizes are named parameters, in the order every implementation takes them:
 * the guests as `NAME = value` lines (see guests.ts), the scripts as
 * positional arguments. `small` is a reduced size with its checksum (computed
 * by the JS version and agreed by Lua and Python), for the tests and --small.
 */

export type BenchName =
  | 'fib' | 'sieve' | 'tight' | 'crc32' | 'matmul'
  | 'qsort' | 'queens' | 'bintree' | 'ackermann' | 'wordfreq' | 'bignum' | 'bytecode';

/** Which table a benchmark is reported in. */
export type Family = 'loops' | 'programs';
export const FAMILIES: readonly Family[] = ['loops', 'programs'];

/** Size parameters by name, in argument order. */
export type Params = Readonly<Record<string, number>>;

export interface Sized {
  readonly params: Params;
  /** The checksum line every implementation prints (decimal, or 8 lowercase hex digits). */
  readonly expected: string;
}

export interface Benchmark extends Sized {
  readonly name: BenchName;
  readonly family: Family;
  /** What it exercises, in a few words. */
  readonly stresses: string;
  readonly small: Sized;
}

export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'fib',
    family: 'loops',
    stresses: 'calls and returns, stack traffic',
    params: { N: 32 },
    expected: '2178309',
    small: { params: { N: 20 }, expected: '6765' },
  },
  {
    name: 'sieve',
    family: 'loops',
    stresses: 'byte loads and stores over 2 MB',
    params: { N: 2_000_000, REPS: 3 },
    expected: '148933',
    small: { params: { N: 10_000, REPS: 2 }, expected: '1229' },
  },
  {
    name: 'tight',
    family: 'loops',
    stresses: 'ALU loop, no memory',
    params: { ITERATIONS: 50_000_000 },
    expected: 'e63a9c2c',
    small: { params: { ITERATIONS: 100_000 }, expected: 'cb29da2b' },
  },
  {
    name: 'crc32',
    family: 'loops',
    stresses: 'bit twiddling, short inner loop',
    params: { SIZE: 1_048_576, PASSES: 4 },
    expected: '13e98207',
    small: { params: { SIZE: 5_000, PASSES: 2 }, expected: 'ff79d3c6' },
  },
  {
    name: 'matmul',
    family: 'loops',
    stresses: 'word loads, mul-add',
    params: { N: 64, REPS: 50 },
    expected: '0ae60000',
    small: { params: { N: 12, REPS: 3 }, expected: '01a16630' },
  },
  {
    name: 'qsort',
    family: 'programs',
    stresses: 'recursive calls, data-dependent branches',
    params: { N: 32768, ROUNDS: 10 },
    expected: '79a25a82',
    small: { params: { N: 500, ROUNDS: 3 }, expected: '76250f71' },
  },
  {
    name: 'queens',
    family: 'programs',
    stresses: 'backtracking: a call per placement',
    params: { N: 11 },
    expected: '2680',
    small: { params: { N: 6 }, expected: '4' },
  },
  {
    name: 'bintree',
    family: 'programs',
    stresses: 'heap (brk, free list), pointer chasing',
    params: { MAXD: 12 },
    expected: '649904',
    small: { params: { MAXD: 6 }, expected: '4016' },
  },
  {
    name: 'ackermann',
    family: 'programs',
    stresses: 'deep recursion, tail calls',
    params: { M: 3, N: 8 },
    expected: '2045',
    small: { params: { M: 2, N: 20 }, expected: '43' },
  },
  {
    name: 'wordfreq',
    family: 'programs',
    stresses: 'hash table over half a megabyte',
    params: { WORDS: 200_000 },
    expected: '11034 278557674',
    small: { params: { WORDS: 2_000 }, expected: '998 26030' },
  },
  {
    name: 'bignum',
    family: 'programs',
    stresses: 'multiply, divide, remainder per limb',
    params: { N: 3000 },
    expected: '37602',
    small: { params: { N: 100 }, expected: '648' },
  },
  {
    name: 'bytecode',
    family: 'programs',
    stresses: 'an interpreter: indirect jumps',
    params: { ITERATIONS: 300_000 },
    expected: '1e6036d4',
    small: { params: { ITERATIONS: 1_000 }, expected: '6d68965f' },
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
