"""sieve — byte flags for 0..n zeroed; for i from 2 while i·i ≤ n, if flags[i]
is 0 mark every j = i·i, i·i + i, … ≤ n; count the zeros in 2..n; `reps`
times, each with a freshly zeroed array. n = 2,000,000, reps = 3 → 148933.

A peer for typevisor's bench/guests/sieve.s; see harness.py for how it runs.
Plain loops, as in every other implementation: no slice assignment, no count().
"""

from harness import main


def checksum(n, reps):
    count = 0
    for _ in range(reps):
        flags = bytearray(n + 1)
        i = 2
        while i * i <= n:
            if flags[i] == 0:
                for j in range(i * i, n + 1, i):
                    flags[j] = 1
            i += 1
        count = 0
        for k in range(2, n + 1):
            if flags[k] == 0:
                count += 1
    return str(count)


if __name__ == "__main__":
    main(checksum, [2000000, 3])
