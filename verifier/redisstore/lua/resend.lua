-- resend.lua: Store.Resend. Counts a new send on a pending verification
-- of the app: the send count, expiry and resend time move on, and the
-- delivery error of the previous send is cleared.
--
--   KEYS[1]     the record
--   KEYS[2...]  the counters of the limits that are not PerPhone, in order
--   ARGV[1]     now (unix ms)
--   ARGV[2]     verifier.Retention (ms): the record lives that long
--               after its new expiry
--   ARGV[3]     the app id
--   ARGV[4]     the key ids the caller holds (record.lua's key_allowed)
--   ARGV[5]     n, the number of limits
--   ARGV[6...]  the limits, four entries each (limits.lua)
--
-- Uses record.lua and limits.lua. Replies: ok with the record, nf, np,
-- key, sends, early, rl (scripts.go).

local now, n = tonumber(ARGV[1]), tonumber(ARGV[5])
local v, ph = pending_record(KEYS[1], ARGV[3], now, ARGV[4])
if not v then return ph end -- ph is then the reply that ends the script
local sends = header(v, SENDS_FROM, SENDS_TO)
local expires = header(v, EXPIRES_FROM, EXPIRES_TO)
local resend_after = header(v, RESEND_FROM, RESEND_TO)
if sends >= tonumber((fixed(v, MAX_SENDS))) then return {'sends', expires - now} end
if now < resend_after then return {'early', resend_after - now} end
local refused = count_limits(now, n, 6, 2, ph)
if refused then return refused end
-- The cooldown doubles with each send, up to a day at most
-- (verifier.Verification.NextResendAfter).
sends = sends + 1
local cooldown = tonumber((fixed(v, COOLDOWN)))
for _ = 2, sends do
  if cooldown >= 86400000 then break end
  cooldown = cooldown * 2
end
expires = now + tonumber((fixed(v, LIFETIME)))
local _, error_from = fixed(v, NONCE)
v = string.sub(v, 1, error_from - 1)
v = put(v, SENDS_FROM, SENDS_TO, count(sends))
v = put(v, EXPIRES_FROM, EXPIRES_TO, time(expires))
v = put(v, RESEND_FROM, RESEND_TO, time(now + cooldown))
redis.call('SET', KEYS[1], v, 'PX', math.max(1, expires + tonumber(ARGV[2]) - now))
return {'ok', v}
