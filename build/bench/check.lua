-- wrk script: wrong-code checks spread over the verifications listed in
-- the file named by WEBOTP_BENCH_IDS ("id code" per line), round robin,
-- each thread starting at a different offset.
local ids, codes = {}, {}
local n, i = 0, 0
local key = os.getenv("WEBOTP_BENCH_KEY") or "bench"

local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  local f = assert(io.open(os.getenv("WEBOTP_BENCH_IDS"), "r"))
  for line in f:lines() do
    local id, code = line:match("^(%S+) (%S+)$")
    if id then n = n + 1; ids[n] = id; codes[n] = code end
  end
  f:close()
  assert(n > 0, "no ids")
  i = math.floor(n / 2) * (tid or 0)
end

local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}

function request()
  i = i % n + 1
  return wrk.format("POST", "/v1/verifications/" .. ids[i] .. "/check", headers, '{"code":"' .. codes[i] .. '"}')
end
