"""queens — the number of ways to place n queens on an n × n board, none
attacking another, by backtracking row by row over three byte arrays (the
columns and both diagonals in use). n = 11 → 2680.

A peer for typevisor's bench/guests/queens.s; see harness.py for how it runs.
"""

from harness import main


def checksum(n):
    cols = bytearray(n)
    up = bytearray(2 * n)
    down = bytearray(2 * n)

    def place(row):
        if row == n:
            return 1
        count = 0
        for c in range(n):
            if cols[c] == 0 and up[row + c] == 0 and down[row - c + n] == 0:
                cols[c] = up[row + c] = down[row - c + n] = 1
                count += place(row + 1)
                cols[c] = up[row + c] = down[row - c + n] = 0
        return count

    return str(place(0))


if __name__ == "__main__":
    main(checksum, [11])
