// ackermann — ack(m, n) = n + 1 if m = 0; ack(m − 1, 1) if n = 0; else
// ack(m − 1, ack(m, n − 1)). ack(3, 8) → 2045: about 2.8 million calls,
// recursion some 2,000 frames deep.
//
// A peer for typevisor's bench/guests/ackermann.s. Plain JavaScript, no imports:
// the same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(m = 3, n = 8) {
  function ack(a, b) {
    if (a === 0) return b + 1;
    if (b === 0) return ack(a - 1, 1);
    return ack(a - 1, ack(a, b - 1));
  }
  return String(ack(m, n));
}
