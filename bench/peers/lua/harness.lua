-- harness.lua — how every peer script in this folder runs. Each script
-- defines checksum(params...) and ends by handing it to this file:
--
--   lua5.4 fib.lua [PARAM ...]          print the checksum (default sizes
--                                       unless PARAMs are given)
--   lua5.4 fib.lua [PARAM ...] --time WARMUPS RUNS MIN_RUNS BUDGET
--                                       WARMUPS untimed runs (0 or 1, the
--                                       first run's time decides whether it
--                                       went over BUDGET), then up to RUNS
--                                       timed runs (os.clock around each;
--                                       stop early once they add up to more
--                                       than BUDGET seconds and MIN_RUNS are
--                                       done, or 1 if the warm-up alone took
--                                       longer); print the checksum, then
--                                       "times T1 T2 ..." in seconds. The
--                                       same policy as bench/timing.ts.
--   chunk called with "--module"        return checksum itself, so a host
--                                       (fengari, in-process) can time it
--
-- Runs under Lua 5.4 and under fengari (Lua 5.3 semantics, 32-bit integers).

return function(checksum, defaults, ...)
  local args = { ... }
  if args[1] == '--module' then return checksum end
  local params, warmups, runs, min_runs, budget = {}, 0, nil, nil, nil
  local i = 1
  while i <= #args do
    if args[i] == '--time' then
      warmups = math.tointeger(tonumber(args[i + 1]))
      runs = math.tointeger(tonumber(args[i + 2]))
      min_runs = math.tointeger(tonumber(args[i + 3]))
      budget = tonumber(args[i + 4])
      i = i + 5
    else
      params[#params + 1] = math.tointeger(tonumber(args[i]))
      i = i + 1
    end
  end
  for k = #params + 1, #defaults do params[k] = defaults[k] end

  if runs == nil then
    print(checksum(table.unpack(params)))
    return
  end
  local result
  for _ = 1, warmups do
    local t0 = os.clock()
    result = checksum(table.unpack(params))
    if os.clock() - t0 > budget then min_runs = 1 end
  end
  local times, total = {}, 0.0
  for r = 1, runs do
    local t0 = os.clock()
    result = checksum(table.unpack(params))
    local t = os.clock() - t0
    times[#times + 1] = string.format('%.6f', t)
    total = total + t
    if r >= min_runs and total > budget then break end
  end
  print(result)
  print('times ' .. table.concat(times, ' '))
end
