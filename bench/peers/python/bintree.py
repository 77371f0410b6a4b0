"""bintree — binary trees (the benchmarks game's shape): for d = 4, 6, … ≤
maxDepth, 2^(maxDepth − d + 4) times: build a complete tree of depth d (a
node is a pair of children, a leaf has none), count its nodes by walking it,
and drop it. The sum of the counts; maxDepth = 12 → 649904.

A peer for typevisor's bench/guests/bintree.s, where the nodes come from brk
and a free list; here the garbage collector reclaims them. See harness.py
for how it runs.
"""

from harness import main


def make(d):
    return (None, None) if d == 0 else (make(d - 1), make(d - 1))


def count(t):
    left, right = t
    return 1 if left is None else 1 + count(left) + count(right)


def checksum(max_depth):
    total = 0
    for d in range(4, max_depth + 1, 2):
        for _ in range(1 << (max_depth - d + 4)):
            total += count(make(d))
    return str(total)


if __name__ == "__main__":
    main(checksum, [12])
