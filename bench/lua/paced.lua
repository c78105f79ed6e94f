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
-- (wrk's Requests/sec) falls below PACED_RATE: compare the two.
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

local rate = assert(tonumber(os.getenv("PACED_RATE") or ""), "PACED_RATE: requests per second")
  / tonumber(os.getenv("PACED_THREADS") or "1")
local gap = 1000 / rate -- ms between two of this thread's slots
local slot = nil        -- the next free slot, ms on CLOCK_MONOTONIC

function delay()
  local now = now_ms()
  if slot == nil or slot < now then slot = now end -- a missed slot is not made up
  local wait = slot - now
  slot = slot + gap
  return math.floor(wait + 0.5) -- wrk waits whole milliseconds: round, so sends are at most 0.5 ms early
end
