-- wrk script: wrong-code checks spread over the verifications listed in
-- the file named by WEBOTP_BENCH_IDS ("id code" per line), round robin,
-- each thread starting at a different offset. The requests are formatted
-- once, in init, so that wrk spends its CPU sending them, not building
-- them: the load generator shares a core with Redis in one bench layout
-- and must stay cheap.
local reqs = {}
local n, i = 0, 0
local key = os.getenv("WEBOTP_BENCH_KEY") or "bench"

local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}
  local f = assert(io.open(os.getenv("WEBOTP_BENCH_IDS"), "r"))
  for line in f:lines() do
    local id, code = line:match("^(%S+) (%S+)$")
    if id then
      n = n + 1
      reqs[n] = wrk.format("POST", "/v1/verifications/" .. id .. "/check", headers, '{"code":"' .. code .. '"}')
    end
  end
  f:close()
  assert(n > 0, "no ids")
  i = math.floor(n / 2) * (tid or 0)
end

function request()
  i = i % n + 1
  return reqs[i]
end
