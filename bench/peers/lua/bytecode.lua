-- bytecode — an interpreter in the guest: a stack machine with 11 operations
-- (0 halt, 1 push k, 2 load v, 3 store v, 4 add, 5 sub, 6 mul, 7 dup,
-- 8 jnz t — pop, jump if not zero, 9 xor, 10 shr k — logical), 32-bit
-- wrapping arithmetic, two variables, instructions as (op, argument) pairs,
-- running i = N; do { acc = (acc·31 + i) xor (i >>> 3) } while (−−i ≠ 0)
-- (the program is spelled out in bench/peers/js/bytecode.js) and printing
-- acc as 8 hex digits. N = 300,000 (5.4 million operations) → 1e6036d4.
--
-- A peer for typevisor's bench/guests/bytecode.s; see harness.lua for how it
-- runs. Dispatch is an if-chain, ordered by number; 32 bits are kept with
-- & 0xFFFFFFFF (see tight.lua).

local function checksum(iterations)
  local code = { 1, iterations, 3, 0, 2, 1, 1, 31, 6, 0, 2, 0, 4, 0, 2, 0, 10, 3, 9, 0, 3, 1, 2, 0, 1, 1, 5, 0, 7, 0, 3, 0, 8, 2, 2, 1, 0, 0 }
  local stack, vars = {}, { [0] = 0, 0 }
  local sp, pc = 0, 1
  while true do
    local op, arg = code[pc], code[pc + 1]
    pc = pc + 2
    if op == 0 then
      local acc = stack[sp]
      return string.format('%04x%04x', (acc >> 16) & 0xFFFF, acc & 0xFFFF)
    elseif op == 1 then sp = sp + 1; stack[sp] = arg
    elseif op == 2 then sp = sp + 1; stack[sp] = vars[arg]
    elseif op == 3 then vars[arg] = stack[sp]; sp = sp - 1
    elseif op == 4 then sp = sp - 1; stack[sp] = (stack[sp] + stack[sp + 1]) & 0xFFFFFFFF
    elseif op == 5 then sp = sp - 1; stack[sp] = (stack[sp] - stack[sp + 1]) & 0xFFFFFFFF
    elseif op == 6 then sp = sp - 1; stack[sp] = (stack[sp] * stack[sp + 1]) & 0xFFFFFFFF
    elseif op == 7 then sp = sp + 1; stack[sp] = stack[sp - 1]
    elseif op == 8 then
      sp = sp - 1
      if stack[sp + 1] ~= 0 then pc = arg * 2 + 1 end
    elseif op == 9 then sp = sp - 1; stack[sp] = stack[sp] ~ stack[sp + 1]
    elseif op == 10 then stack[sp] = (stack[sp] & 0xFFFFFFFF) >> arg
    else error(string.format('bytecode: bad op %d at %d', op, pc - 3)) end
  end
end

return dofile((arg and arg[0] or ''):match('^(.-)[^/]*$') .. 'harness.lua')(checksum, { 300000 }, ...)
