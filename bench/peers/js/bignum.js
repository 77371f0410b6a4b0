// bignum — n! in base-10,000 limbs, least significant first: start from [1];
// for k = 2 … n, multiply every limb by k with a carry (v = limb·k + carry,
// limb = v mod 10000, carry = ⌊v / 10000⌋), then append the carry's limbs.
// Print the sum of the decimal digits of n!. n = 3000 → 37602.
//
// A peer for typevisor's bench/guests/bignum.s. Plain JavaScript, no imports: the
// same text runs in Node and, with `export` dropped, inside QuickJS.

export function checksum(n = 3000) {
  const limbs = [1];
  for (let k = 2; k <= n; k++) {
    let carry = 0;
    for (let i = 0; i < limbs.length; i++) {
      const v = limbs[i] * k + carry;
      limbs[i] = v % 10000;
      carry = (v / 10000) | 0;
    }
    while (carry > 0) {
      limbs.push(carry % 10000);
      carry = (carry / 10000) | 0;
    }
  }
  let sum = 0;
  for (let limb of limbs) {
    while (limb > 0) {
      sum += limb % 10;
      limb = (limb / 10) | 0;
    }
  }
  return String(sum);
}
