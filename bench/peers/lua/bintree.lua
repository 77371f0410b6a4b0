-- bintree — binary trees (the benchmarks game's shape): for d = 4, 6, … ≤
-- maxDepth, 2^(maxDepth − d + 4) times: build a complete tree of depth d (a
-- node is a pair of children, a leaf has none), count its nodes by walking
-- it, and drop it. The sum of the counts; maxDepth = 12 → 649904.
--
-- A peer for typevisor's bench/guests/bintree.s, where the nodes come from
-- brk and a free list; here the garbage collector reclaims them. See
-- harness.lua for how it runs.

local function make(d)
  if d == 0 then return {} end
  return { make(d - 1), make(d - 1) }
end

local function count(t)
  local l = t[1]
  if l == nil then return 1 end
  return 1 + count(l) + count(t[2])
end

local function checksum(maxDepth)
  local total = 0
  for d = 4, maxDepth, 2 do
    for _ = 1, 1 << (maxDepth - d + 4) do total = total + count(make(d)) end
  end
  return string.format('%d', total)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 12 }, ...)
