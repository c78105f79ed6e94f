-- wrk script: 100-byte puts to keys side-1..side-<KEYS> (beside the key-* keys of kv-put.lua, which they
-- leave alone), printing the tail wrk measured (corrected for coordinated omission, as wrk prints it).
local keys = tonumber(os.getenv("KEYS") or "1000")
local value = string.rep("v", 100)
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/octet-stream"
request = function()
  return wrk.format(nil, "/kv/side-" .. math.random(1, keys), nil, value)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format("%.0f req/s; p50 %.2f, p99 %.2f, p99.9 %.2f, max %.2f ms; %d errors\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, errors))
end
