// qsort — recursive quicksort of n words, `rounds` times. x = 12345; each
// round fills a[i] = x >>> 8 after x = (x·1103515245 + 12345) mod 2^32 (the
// generator carries on from round to round), sorts a[0..n−1] with
// qs(lo, hi): if lo ≥ hi return; p = a[(lo + hi) >> 1]; i = lo; j = hi;
// while i ≤ j { while a[i] < p: i++; while a[j] > p: j−−; if i ≤ j: swap
// a[i], a[j]; i++; j−− }; qs(lo, j); qs(i, hi) — then folds every element
// into chk = (chk·31 + a[i]) mod 2^32. n = 32768, 10 rounds → 79a25a82.
//
// A peer for typevisor's bench/guests/qsort.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(n = 32768, rounds = 10) {
  const a = new Int32Array(n);
  function qs(lo, hi) {
    if (lo >= hi) return;
    const p = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    qs(lo, j);
    qs(i, hi);
  }
  let x = 12345;
  let chk = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      a[i] = x >>> 8;
    }
    qs(0, n - 1);
    for (let i = 0; i < n; i++) chk = (Math.imul(chk, 31) + a[i]) | 0;
  }
  return (chk >>> 0).toString(16).padStart(8, '0');
}
