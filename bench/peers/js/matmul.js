// matmul — n × n matrices, `reps` repetitions rep = 0 .. reps − 1:
// a[i][j] = (7i + 3j + rep) & 255, b[i][j] = (5i + 11j + 3·rep) & 255,
// c = a·b in 32-bit wrapping arithmetic, checksum += every element of c
// mod 2^32. n = 64, 50 repetitions → 0ae60000.
//
// A peer for typevisor's bench/guests/matmul.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(n = 64, reps = 50) {
  const a = new Int32Array(n * n);
  const b = new Int32Array(n * n);
  const c = new Int32Array(n * n);
  let sum = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        a[i * n + j] = (7 * i + 3 * j + rep) & 255;
        b[i * n + j] = (5 * i + 11 * j + 3 * rep) & 255;
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s = (s + Math.imul(a[i * n + k], b[k * n + j])) | 0;
        c[i * n + j] = s;
      }
    }
    for (let i = 0; i < n * n; i++) sum = (sum + c[i]) | 0;
  }
  return (sum >>> 0).toString(16).padStart(8, '0');
}
