-- delivery.lua: Store.DeliveryFailed. Records that send number sends
-- failed: the reason ends the record, the resend time moves to now when
-- it was later, and each refund limit gets one event back. A failure
-- already recorded for that send changes nothing, so a retried script
-- gives nothing back twice.
--
--   KEYS[1]     the record
--   KEYS[2...]  the counters of the refund limits that are not PerPhone
--   ARGV[1]     now (unix ms)
--   ARGV[2]     the send count of the failed send
--   ARGV[3]     the reason (not empty)
--   ARGV[4]     n, the number of refund limits
--   ARGV[5...]  the refund limits, four entries each (limits.lua)
--
-- Uses record.lua and limits.lua. Replies: ok, nf (scripts.go).

local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
local v = redis.call('GET', KEYS[1])
if not v then return {'nf'} end
if header(v, SENDS_FROM, SENDS_TO) ~= tonumber(ARGV[2]) then return {'ok'} end
local _, error_from = fixed(v, NONCE)
if error_from <= #v then return {'ok'} end
if header(v, RESEND_FROM, RESEND_TO) > now then
  v = put(v, RESEND_FROM, RESEND_TO, time(now))
end
redis.call('SET', KEYS[1], v .. ARGV[3], 'KEEPTTL')
local _, ph = first_fixed(v)
refund_limits(now, n, 5, 2, ph)
return {'ok'}
