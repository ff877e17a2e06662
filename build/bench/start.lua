-- wrk script: POST /v1/verifications, each request for a different valid
-- US number (+1 415 NXX XXXX), so no per-phone limit is reached; threads
-- draw from disjoint ranges. WEBOTP_BENCH_PHONE_BASE shifts the range
-- between runs.
local key = os.getenv("WEBOTP_BENCH_KEY") or "bench"
local origin = os.getenv("WEBOTP_BENCH_ORIGIN") or "https://bench.example"
local base = tonumber(os.getenv("WEBOTP_BENCH_PHONE_BASE") or "0")
local headers = {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}

local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local k = 0
function init(args)
  k = base + (tid or 0) * 2000000
end

function request()
  k = k + 1
  local phone = string.format("+1415%07d", 2000000 + k % 8000000)
  return wrk.format("POST", "/v1/verifications", headers,
    '{"phone":"' .. phone .. '","origin":"' .. origin .. '"}')
end
