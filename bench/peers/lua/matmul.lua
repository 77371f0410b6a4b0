-- matmul — n × n matrices, `reps` repetitions rep = 0 .. reps − 1:
-- a[i][j] = (7i + 3j + rep) & 255, b[i][j] = (5i + 11j + 3·rep) & 255,
-- c = a·b in 32-bit wrapping arithmetic, checksum += every element of c
-- mod 2^32. n = 64, 50 repetitions → 0ae60000.
--
-- A peer for typevisor's bench/guests/matmul.s; see harness.lua for how it runs.
-- Matrices are flat arrays, element (i, j) at i·n + j + 1. 32 bits are kept
-- with & 0xFFFFFFFF (see tight.lua for why that works under both Lua 5.4 and
-- fengari); an element's sum is reduced once, as it is stored, since only its
-- low 32 bits count.

local function checksum(n, reps)
  local a, b, c = {}, {}, {}
  local sum = 0
  for rep = 0, reps - 1 do
    for i = 0, n - 1 do
      for j = 0, n - 1 do
        a[i * n + j + 1] = (7 * i + 3 * j + rep) & 255
        b[i * n + j + 1] = (5 * i + 11 * j + 3 * rep) & 255
      end
    end
    for i = 0, n - 1 do
      for j = 0, n - 1 do
        local s = 0
        for k = 0, n - 1 do
          s = s + a[i * n + k + 1] * b[k * n + j + 1]
        end
        c[i * n + j + 1] = s & 0xFFFFFFFF
      end
    end
    for k = 1, n * n do sum = (sum + c[k]) & 0xFFFFFFFF end
  end
  return string.format('%04x%04x', (sum >> 16) & 0xFFFF, sum & 0xFFFF)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 64, 50 }, ...)
