"""tight — s = 0; for i in 0 .. iterations − 1: s = (s + i·i) mod 2^32;
s = s xor (s >>> 3). 5·10^7 iterations → e63a9c2c (8 lowercase hex digits).

A peer for typevisor's bench/guests/tight.s; see harness.py for how it runs.
"""

from harness import main


def checksum(iterations):
    s = 0
    for i in range(iterations):
        s = (s + i * i) & 0xFFFFFFFF
        s ^= s >> 3
    return f"{s:08x}"


if __name__ == "__main__":
    main(checksum, [50000000])
