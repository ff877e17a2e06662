-- wrk script: wrong-code checks, POST /v1/verifications/{id}/check.
-- Reads verification ids (one a line) from ids.txt (WRK_IDS overrides);
-- thread k of n uses ids k, k+n, k+2n..., each for at most 90 checks, so
-- every answer stays a 200 {"valid":false} (the app allows 100 attempts).
-- See wrk.sh, which starts the server and creates the ids.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  ids = {}
  for line in io.lines(os.getenv("WRK_IDS") or "ids.txt") do
    ids[#ids + 1] = line
  end
  nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  n = 0
  statuses = {}
end

function request()
  local i = tid + nthreads * math.floor(n / 90)
  n = n + 1
  local id = ids[((i - 1) % #ids) + 1]
  return wrk.format("POST", "/v1/verifications/" .. id .. "/check",
    {["Authorization"] = "Bearer bench", ["Content-Type"] = "application/json"},
    '{"code":"000000"}')
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("requests/s: %.0f   p50 %.2f ms   p99 %.2f ms\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
