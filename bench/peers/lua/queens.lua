-- queens — the number of ways to place n queens on an n × n board, none
-- attacking another, by backtracking row by row over three arrays (the
-- columns and both diagonals in use). n = 11 → 2680.
--
-- A peer for typevisor's bench/guests/queens.s; see harness.lua for how it runs.

local function checksum(n)
  local cols, up, down = {}, {}, {}
  for k = 0, 2 * n do cols[k], up[k], down[k] = 0, 0, 0 end
  local function place(row)
    if row == n then return 1 end
    local count = 0
    for c = 0, n - 1 do
      if cols[c] == 0 and up[row + c] == 0 and down[row - c + n] == 0 then
        cols[c], up[row + c], down[row - c + n] = 1, 1, 1
        count = count + place(row + 1)
        cols[c], up[row + c], down[row - c + n] = 0, 0, 0
      end
    end
    return count
  end
  return string.format('%d', place(0))
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 11 }, ...)
