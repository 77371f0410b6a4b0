"""ackermann — ack(m, n) = n + 1 if m = 0; ack(m − 1, 1) if n = 0; else
ack(m − 1, ack(m, n − 1)). ack(3, 8) → 2045: about 2.8 million calls,
recursion some 2,000 frames deep (the recursion limit is raised for it).

A peer for typevisor's bench/guests/ackermann.s; see harness.py for how it runs.
"""

import sys

from harness import main


def ack(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ack(m - 1, 1)
    return ack(m - 1, ack(m, n - 1))


def checksum(m, n):
    return str(ack(m, n))


if __name__ == "__main__":
    sys.setrecursionlimit(100000)
    main(checksum, [3, 8])
