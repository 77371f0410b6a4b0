-- sieve — byte flags for 0..n zeroed; for i from 2 while i·i ≤ n, if flags[i]
-- is 0 mark every j = i·i, i·i + i, … ≤ n; count the zeros in 2..n; `reps`
-- times, each with a freshly zeroed array. n = 2,000,000, reps = 3 → 148933.
--
-- A peer for typevisor's bench/guests/sieve.s; see harness.lua for how it runs.

local function checksum(n, reps)
  local flags = {}
  local count = 0
  for _ = 1, reps do
    for k = 0, n do flags[k] = 0 end
    local i = 2
    while i * i <= n do
      if flags[i] == 0 then
        for j = i * i, n, i do flags[j] = 1 end
      end
      i = i + 1
    end
    count = 0
    for k = 2, n do
      if flags[k] == 0 then count = count + 1 end
    end
  end
  return string.format('%d', count)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 2000000, 3 }, ...)
