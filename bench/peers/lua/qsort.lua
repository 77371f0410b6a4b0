-- qsort — recursive quicksort of n words, `rounds` times. x = 12345; each
-- round fills a[i] = x >>> 8 after x = (x·1103515245 + 12345) mod 2^32 (the
-- generator carries on from round to round), sorts a[0..n−1] with
-- qs(lo, hi): if lo ≥ hi return; p = a[(lo + hi) >> 1]; i = lo; j = hi;
-- while i ≤ j { while a[i] < p: i++; while a[j] > p: j−−; if i ≤ j: swap
-- a[i], a[j]; i++; j−− }; qs(lo, j); qs(i, hi) — then folds every element
-- into chk = (chk·31 + a[i]) mod 2^32. n = 32768, 10 rounds → 79a25a82.
--
-- A peer for typevisor's bench/guests/qsort.s; see harness.lua for how it runs.
-- The array is a[1..n] (indexes shifted by one, which shifts the midpoint by
-- exactly one too). 32 bits are kept with & 0xFFFFFFFF (see tight.lua).

local function checksum(n, rounds)
  local a = {}
  local function qs(lo, hi)
    if lo >= hi then return end
    local p = a[(lo + hi) >> 1]
    local i, j = lo, hi
    while i <= j do
      while a[i] < p do i = i + 1 end
      while a[j] > p do j = j - 1 end
      if i <= j then
        a[i], a[j] = a[j], a[i]
        i = i + 1
        j = j - 1
      end
    end
    qs(lo, j)
    qs(i, hi)
  end
  local x, chk = 12345, 0
  for _ = 1, rounds do
    for i = 1, n do
      x = (x * 1103515245 + 12345) & 0xFFFFFFFF
      a[i] = (x >> 8) & 0xFFFFFF
    end
    qs(1, n)
    for i = 1, n do chk = (chk * 31 + a[i]) & 0xFFFFFFFF end
  end
  return string.format('%04x%04x', (chk >> 16) & 0xFFFF, chk & 0xFFFF)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 32768, 10 }, ...)
