-- wrk script: another wrk script (PACED_SCRIPT, a path; e.g. ../shared/bench/lua/kv-get.lua) sent at a
-- fixed offered rate instead of as fast as the server answers. PACED_RATE: requests per second over the
-- whole run; PACED_THREADS: wrk's -t (each thread's Lua state paces its share, PACED_RATE / PACED_THREADS).
--
-- How wrk 4.1 uses delay() (src/wrk.c): when a script defines it, every connection, at connect and after
-- each complete answer, calls it before writing its next request, waits that many milliseconds on the
-- event loop's timer (socket_writeable: "uint64_t delay = script_delay(thread->L); ...
-- aeCreateTimeEvent(loop, delay, delay_request, c, NULL)"), and only then takes the request's start time
-- ("c->start = time_us()"): the wait is not part of the latency. The result is cut to whole milliseconds
-- (script.c: "uint64_t delay = lua_tonumber(L, -1)") and delay() is not told which connection asks.
--
-- So this thread hands out send times (slots) 1/rate apart: each delay() call takes the next free slot
-- and waits until it. Each request takes one slot and no connection has two requests in flight, so the
-- offered rate is PACED_RATE whatever the latency, as long as some connection is free when a slot comes;
-- a slot that finds every connection busy is dropped, not made up in a burst, and the achieved rate
-- (wrk's Requests/sec) falls below PACED_RATE: compare the two. Without PACED_RATE the script is not
-- paced. Either way done() below prints the p99 without wrk's latency correction (PACED_CONNECTIONS: -c).
dofile(assert(os.getenv("PACED_SCRIPT"), "PACED_SCRIPT: the wrk script to pace"))

local ffi = require "ffi"
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } paced_timespec;
  int clock_gettime(int clock, paced_timespec *t);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("paced_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local rate = tonumber(os.getenv("PACED_RATE") or "")
if rate then -- without PACED_RATE no delay(): the script runs unpaced, and done() below still reports
  rate = rate / tonumber(os.getenv("PACED_THREADS") or "1")
  local gap = 1000 / rate -- ms between two of this thread's slots
  local slot = nil        -- the next free slot, ms on CLOCK_MONOTONIC

  function delay()
    local now = now_ms()
    if slot == nil or slot < now then slot = now end -- a missed slot is not made up
    local wait = slot - now
    slot = slot + gap
    return math.floor(wait + 0.5) -- wrk waits whole milliseconds: round, so sends are at most 0.5 ms early
  end
end

-- After the run wrk has already corrected the latency histogram for coordinated omission (wrk.c:
-- "interval = runtime_us / (complete / cfg.connections); stats_correct(statistics.latency, interval)";
-- stats.c adds, for every sample n >= 2 * interval, one more at n - interval, n - 2 * interval, ... while
-- above interval), and done() sees only the corrected histogram. The correction is undone here for the
-- tail: walking the buckets from the slowest down, a bucket's own samples are its count less what the
-- samples above it added, and those it adds itself are counted for the buckets below. Prints the
-- interval and the p99 with and without the correction (PACED_CONNECTIONS: wrk's -c).
function done(summary, latency, requests)
  local conns = tonumber(os.getenv("PACED_CONNECTIONS") or "")
  local complete = summary.requests
  if not conns or complete < conns then return end
  local interval = math.floor(summary.duration / math.floor(complete / conns))
  local rank = math.floor(0.99 * complete + 0.5 + 0.5) -- stats_percentile's rank, on the measured count
  local added, above, p99 = {}, 0, nil
  for i = #latency, 1, -1 do
    local v, count = latency(i)
    local own = count - (added[v] or 0)
    if v >= 2 * interval then
      local m = v - interval
      while m > interval do added[m] = (added[m] or 0) + own; m = m - interval end
    end
    if above + own > complete - rank then p99 = v; break end
    above = above + own
  end
  io.write(string.format("paced: interval %d us, p99 %d us corrected, %d us measured\n",
    interval, latency:percentile(99), p99 or 0))
end
