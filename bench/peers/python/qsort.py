"""qsort — recursive quicksort of n words, `rounds` times. x = 12345; each
round fills a[i] = x >>> 8 after x = (x·1103515245 + 12345) mod 2^32 (the
generator carries on from round to round), sorts a[0..n−1] with
qs(lo, hi): if lo ≥ hi return; p = a[(lo + hi) >> 1]; i = lo; j = hi;
while i ≤ j { while a[i] < p: i++; while a[j] > p: j−−; if i ≤ j: swap
a[i], a[j]; i++; j−− }; qs(lo, j); qs(i, hi) — then folds every element
into chk = (chk·31 + a[i]) mod 2^32. n = 32768, 10 rounds → 79a25a82.

A peer for typevisor's bench/guests/qsort.s; see harness.py for how it runs.
"""

from harness import main


def checksum(n, rounds):
    a = [0] * n

    def qs(lo, hi):
        if lo >= hi:
            return
        p = a[(lo + hi) >> 1]
        i, j = lo, hi
        while i <= j:
            while a[i] < p:
                i += 1
            while a[j] > p:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        qs(lo, j)
        qs(i, hi)

    x, chk = 12345, 0
    for _ in range(rounds):
        for i in range(n):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF
            a[i] = x >> 8
        qs(0, n - 1)
        for v in a:
            chk = (chk * 31 + v) & 0xFFFFFFFF
    return f"{chk:08x}"


if __name__ == "__main__":
    main(checksum, [32768, 10])
