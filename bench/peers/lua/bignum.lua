-- bignum — n! in base-10,000 limbs, least significant first: start from [1];
-- for k = 2 … n, multiply every limb by k with a carry (v = limb·k + carry,
-- limb = v mod 10000, carry = ⌊v / 10000⌋), then append the carry's limbs.
-- Print the sum of the decimal digits of n!. n = 3000 → 37602.
--
-- A peer for typevisor's bench/guests/bignum.s; see harness.lua for how it runs.

local function checksum(n)
  local limbs, len = { 1 }, 1
  for k = 2, n do
    local carry = 0
    for i = 1, len do
      local v = limbs[i] * k + carry
      limbs[i] = v % 10000
      carry = v // 10000
    end
    while carry > 0 do
      len = len + 1
      limbs[len] = carry % 10000
      carry = carry // 10000
    end
  end
  local sum = 0
  for i = 1, len do
    local limb = limbs[i]
    while limb > 0 do
      sum = sum + limb % 10
      limb = limb // 10
    end
  end
  return string.format('%d', sum)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 3000 }, ...)
