/** Something the suite cannot do or cannot trust: a program that does not build, a wrong checksum, a peer that crashed. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
}
