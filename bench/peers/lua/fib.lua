-- fib — recursive Fibonacci: fib(n) = n for n < 2, else fib(n − 1) + fib(n − 2).
-- fib(32) → 2178309.
--
-- A peer for typevisor's bench/guests/fib.s; see harness.lua for how it runs.

local function fib(k)
  if k < 2 then return k end
  return fib(k - 1) + fib(k - 2)
end

local function checksum(n)
  return string.format('%d', fib(n))
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 32 }, ...)
