// tight — s = 0; for i in 0 .. iterations − 1: s = (s + i·i) mod 2^32;
// s = s xor (s >>> 3). 5·10^7 iterations → e63a9c2c (8 lowercase hex digits).
//
// A peer for typevisor's bench/guests/tight.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(iterations = 50000000) {
  let s = 0; // the 32 bits of s, held as a signed int32 (| 0): JS's integer fast path
  for (let i = 0; i < iterations; i++) {
    s = (s + Math.imul(i, i)) | 0;
    s ^= s >>> 3;
  }
  return (s >>> 0).toString(16).padStart(8, '0');
}
