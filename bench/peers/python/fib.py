"""fib — recursive Fibonacci: fib(n) = n for n < 2, else fib(n − 1) + fib(n − 2).
fib(32) → 2178309.

A peer for typevisor's bench/guests/fib.s; see harness.py for how it runs.
"""

from harness import main


def fib(k):
    return k if k < 2 else fib(k - 1) + fib(k - 2)


def checksum(n):
    return str(fib(n))


if __name__ == "__main__":
    main(checksum, [32])
