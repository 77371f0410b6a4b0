"""bignum — n! in base-10,000 limbs, least significant first: start from [1];
for k = 2 … n, multiply every limb by k with a carry (v = limb·k + carry,
limb = v mod 10000, carry = ⌊v / 10000⌋), then append the carry's limbs.
Print the sum of the decimal digits of n!. n = 3000 → 37602.

A peer for typevisor's bench/guests/bignum.s; see harness.py for how it runs.
Python's own big integers are not used: the limbs are the algorithm.
"""

from harness import main


def checksum(n):
    limbs = [1]
    for k in range(2, n + 1):
        carry = 0
        for i in range(len(limbs)):
            v = limbs[i] * k + carry
            limbs[i] = v % 10000
            carry = v // 10000
        while carry > 0:
            limbs.append(carry % 10000)
            carry //= 10000
    total = 0
    for limb in limbs:
        while limb > 0:
            total += limb % 10
            limb //= 10
    return str(total)


if __name__ == "__main__":
    main(checksum, [3000])
