// bintree — binary trees (the benchmarks game's shape): for d = 4, 6, … ≤
// maxDepth, 2^(maxDepth − d + 4) times: build a complete tree of depth d (a
// node is a pair of children, a leaf has none), count its nodes by walking
// it, and drop it. The sum of the counts; maxDepth = 12 → 649904.
//
// A peer for typevisor's bench/guests/bintree.s, where the nodes come from
// brk and a free list; here the garbage collector reclaims them. Plain
// JavaScript, no imports: the same text runs in Node and, with `export`
// dropped, inside QuickJS.

export function checksum(maxDepth = 12) {
  function make(d) {
    return d === 0 ? { l: null, r: null } : { l: make(d - 1), r: make(d - 1) };
  }
  function count(t) {
    return t.l === null ? 1 : 1 + count(t.l) + count(t.r);
  }
  let total = 0;
  for (let d = 4; d <= maxDepth; d += 2) {
    const iterations = 1 << (maxDepth - d + 4);
    for (let i = 0; i < iterations; i++) total += count(make(d));
  }
  return String(total);
}
