// fib — recursive Fibonacci: fib(n) = n for n < 2, else fib(n − 1) + fib(n − 2).
// fib(32) → 2178309.
//
// A peer for typevisor's bench/guests/fib.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(n = 32) {
  function fib(k) {
    return k < 2 ? k : fib(k - 1) + fib(k - 2);
  }
  return String(fib(n));
}
