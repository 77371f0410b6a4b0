"""matmul — n × n matrices, `reps` repetitions rep = 0 .. reps − 1:
a[i][j] = (7i + 3j + rep) & 255, b[i][j] = (5i + 11j + 3·rep) & 255,
c = a·b in 32-bit wrapping arithmetic, checksum += every element of c mod 2^32.
n = 64, 50 repetitions → 0ae60000.

A peer for typevisor's bench/guests/matmul.s; see harness.py for how it runs.
Matrices are flat lists, element (i, j) at i·n + j. An element's sum is
reduced mod 2^32 once, as it is stored: only its low 32 bits count.
"""

from harness import main


def checksum(n, reps):
    a = [0] * (n * n)
    b = [0] * (n * n)
    c = [0] * (n * n)
    total = 0
    for rep in range(reps):
        for i in range(n):
            for j in range(n):
                a[i * n + j] = (7 * i + 3 * j + rep) & 255
                b[i * n + j] = (5 * i + 11 * j + 3 * rep) & 255
        for i in range(n):
            for j in range(n):
                s = 0
                for k in range(n):
                    s += a[i * n + k] * b[k * n + j]
                c[i * n + j] = s & 0xFFFFFFFF
        for k in range(n * n):
            total = (total + c[k]) & 0xFFFFFFFF
    return f"{total:08x}"


if __name__ == "__main__":
    main(checksum, [64, 50])
