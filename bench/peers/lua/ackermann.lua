-- ackermann — ack(m, n) = n + 1 if m = 0; ack(m − 1, 1) if n = 0; else
-- ack(m − 1, ack(m, n − 1)). ack(3, 8) → 2045: about 2.8 million calls,
-- recursion some 2,000 frames deep.
--
-- A peer for typevisor's bench/guests/ackermann.s; see harness.lua for how it runs.

local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end

local function checksum(m, n)
  return string.format('%d', ack(m, n))
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 3, 8 }, ...)
