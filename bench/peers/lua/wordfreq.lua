-- wordfreq — a text of `words` words, each separated by one space: x = 42;
-- per word x = (x·1103515245 + 12345) mod 2^32 and its length is
-- 1 + (x >>> 16) mod 4, then per letter the same step and the letter is
-- 'a' + (x >>> 16) mod 10. Count each distinct word in a hash table, then
-- print the number of distinct words and the sum of the squares of the
-- counts mod 2^32. 200,000 words → 11034 278557674.
--
-- A peer for typevisor's bench/guests/wordfreq.s (which hashes with FNV-1a
-- into an open-addressed table); here a Lua table. See harness.lua for how it
-- runs; 32 bits are kept with & 0xFFFFFFFF (see tight.lua).

local function checksum(words)
  local x = 42
  local function next()
    x = (x * 1103515245 + 12345) & 0xFFFFFFFF
    return (x >> 16) & 0xFFFF
  end
  local parts, letters = {}, {}
  for w = 1, words do
    local len = 1 + next() % 4
    for k = 1, len do letters[k] = 97 + next() % 10 end
    parts[w] = string.char(table.unpack(letters, 1, len))
  end
  local text = table.concat(parts, ' ')
  local counts, distinct = {}, 0
  for word in text:gmatch('%a+') do
    local c = counts[word]
    if c == nil then
      distinct = distinct + 1
      counts[word] = 1
    else
      counts[word] = c + 1
    end
  end
  local squares = 0
  for _, c in pairs(counts) do squares = (squares + c * c) & 0xFFFFFFFF end
  return string.format('%d %d', distinct, squares)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 200000 }, ...)
