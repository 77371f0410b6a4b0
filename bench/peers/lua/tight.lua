-- tight — s = 0; for i in 0 .. iterations − 1: s = (s + i·i) mod 2^32;
-- s = s xor (s >>> 3). 5·10^7 iterations → e63a9c2c (8 lowercase hex digits).
--
-- A peer for typevisor's bench/guests/tight.s; see harness.lua for how it runs.
-- `& 0xFFFFFFFF` keeps 32 bits under Lua 5.4's 64-bit integers; under
-- fengari's 32-bit integers it is & -1, and the arithmetic wraps by itself.
-- Either way the low 32 bits agree, and >> is a logical shift in both.

local function checksum(iterations)
  local s = 0
  for i = 0, iterations - 1 do
    s = (s + i * i) & 0xFFFFFFFF
    s = s ~ (s >> 3)
  end
  -- Two halves: under fengari s may be negative, and %x would show a sign.
  return string.format('%04x%04x', (s >> 16) & 0xFFFF, s & 0xFFFF)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 50000000 }, ...)
