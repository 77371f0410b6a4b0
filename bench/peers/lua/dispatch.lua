-- dispatch — i = 0; s = 0; repeat i = i + 1; s = s + i until i = n; s mod 2^32
-- as 8 lowercase hex digits. 10^8 turns → 3adb7080.
--
-- The loop of bench/guests/dispatch.s: Lua's own bytecode for it is an add,
-- an add and a compare-and-jump a turn (each add with the metamethod
-- fallback it skips), as close to the guest's three instructions as Lua's
-- compiler goes. `repeat`, not a numeric `for`, whose
-- single FORLOOP instruction would count and test in one dispatch.
--
-- A peer for the bench section `dispatch`; see harness.lua for how it runs.

local function checksum(n)
  local i, s = 0, 0
  repeat
    i = i + 1
    s = s + i
  until i == n
  s = s & 0xFFFFFFFF
  return string.format('%04x%04x', (s >> 16) & 0xFFFF, s & 0xFFFF)
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 100000000 }, ...)
