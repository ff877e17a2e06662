-- reserve.lua: Store.ReserveCheck. Counts one check attempt on a pending
-- verification of the app, before the code is compared.
--
--   KEYS[1]     the record
--   KEYS[2...]  the counters of the limits that are not PerPhone, in order
--   ARGV[1]     now (unix ms)
--   ARGV[2]     the app id
--   ARGV[3]     the key ids the caller holds (record.lua's key_allowed)
--   ARGV[4]     n, the number of limits
--   ARGV[5...]  the limits, four entries each (limits.lua)
--
-- Uses record.lua and limits.lua. Replies: ok with the record, nf, np,
-- key, rl (scripts.go).

local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
local v, ph = pending_record(KEYS[1], ARGV[2], now, ARGV[3])
if not v then return ph end -- ph is then the reply that ends the script
local refused = count_limits(now, n, 5, 2, ph)
if refused then return refused end
local attempts = count(header(v, ATTEMPTS_FROM, ATTEMPTS_TO) + 1)
redis.call('SETRANGE', KEYS[1], ATTEMPTS_FROM - 1, attempts)
return {'ok', put(v, ATTEMPTS_FROM, ATTEMPTS_TO, attempts)}
