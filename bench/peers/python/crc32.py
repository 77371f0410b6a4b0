"""crc32 — a buffer of `size` bytes with byte i = (i·13 + (i >> 10)) & 255;
crc = 0xFFFFFFFF; `passes` passes over the buffer, each byte xored in and then
8 steps of crc = (crc >>> 1) xor (0xEDB88320 & −(crc & 1)); the result is
not crc. 1 MiB, 4 passes → 13e98207.

A peer for typevisor's bench/guests/crc32.s; see harness.py for how it runs.
"""

from harness import main


def checksum(size, passes):
    buf = bytearray(size)
    for i in range(size):
        buf[i] = (i * 13 + (i >> 10)) & 255
    crc = 0xFFFFFFFF
    for _ in range(passes):
        for byte in buf:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1))
    return f"{~crc & 0xFFFFFFFF:08x}"


if __name__ == "__main__":
    main(checksum, [1048576, 4])
