-- approve.lua: Store.Approve. Approves a pending verification whose send
-- count has not moved, ignoring attempts (the approving check was
-- reserved), and gives one event back to each refund limit still in its
-- window.
--
--   KEYS[1]     the record
--   KEYS[2...]  the counters of the refund limits that are not PerPhone
--   ARGV[1]     now (unix ms)
--   ARGV[2]     the send count the check was made for
--   ARGV[3]     n, the number of refund limits
--   ARGV[4...]  the refund limits, four entries each (limits.lua)
--
-- Uses record.lua and limits.lua. Replies: ok with the record, nf, np
-- (scripts.go).

local now, n = tonumber(ARGV[1]), tonumber(ARGV[3])
local v = redis.call('GET', KEYS[1])
if not v then return {'nf'} end
local _, ph, max_attempts = first_fixed(v)
local st = stored(v)
if st ~= 'pending' then return {'np', st} end
if now >= header(v, EXPIRES_FROM, EXPIRES_TO) then return {'np', 'expired'} end
if header(v, SENDS_FROM, SENDS_TO) ~= tonumber(ARGV[2]) then
  if header(v, ATTEMPTS_FROM, ATTEMPTS_TO) >= tonumber(max_attempts) then return {'np', 'max_attempts_reached'} end
  return {'np', 'pending'}
end
redis.call('SETRANGE', KEYS[1], STATUS - 1, 'a')
refund_limits(now, n, 4, 2, ph)
return {'ok', put(v, STATUS, STATUS, 'a')}
