// sieve — byte flags for 0..n zeroed; for i from 2 while i·i ≤ n, if flags[i]
// is 0 mark every j = i·i, i·i + i, … ≤ n; count the zeros in 2..n; `reps`
// times, each with a freshly zeroed array. n = 2,000,000, reps = 3 → 148933.
//
// A peer for typevisor's bench/guests/sieve.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(n = 2000000, reps = 3) {
  const flags = new Uint8Array(n + 1);
  let count = 0;
  for (let rep = 0; rep < reps; rep++) {
    flags.fill(0);
    for (let i = 2; i * i <= n; i++) {
      if (flags[i] === 0) {
        for (let j = i * i; j <= n; j += i) flags[j] = 1;
      }
    }
    count = 0;
    for (let k = 2; k <= n; k++) {
      if (flags[k] === 0) count++;
    }
  }
  return String(count);
}
