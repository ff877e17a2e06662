-- create.lua: Store.Create. Stores a new verification if every limit has
-- room, with the index of the newest verification of its app and phone.
--
--   KEYS[1]     the record
--   KEYS[2]     the newest index of the app and phone key
--   KEYS[3...]  the counter of each limit, in order (Go names PerPhone
--               counters itself: it knows the phone key)
--   ARGV[1]     now (unix ms)
--   ARGV[2]     the record's time to live (ms)
--   ARGV[3]     the newest index's time to live (ms)
--   ARGV[4]     the verification id
--   ARGV[5]     the nonce of this Create call
--   ARGV[6]     n, the number of limits
--   ARGV[7...]  the limits, four entries each (limits.lua), phone
--               prefixes empty
--   ARGV[7+4n]  the record (record.go), which holds the nonce
--
-- Uses record.lua and limits.lua. Replies: ok, exists, rl (scripts.go).

local now, n = tonumber(ARGV[1]), tonumber(ARGV[6])
local old = redis.call('GET', KEYS[1])
if old then
  -- A retried Create (its first reply was lost) finds its own nonce: done.
  if fixed(old, NONCE) == ARGV[5] then return {'ok'} end
  return {'exists'}
end
local refused = count_limits(now, n, 7, 3, '')
if refused then return refused end
redis.call('SET', KEYS[1], ARGV[7 + 4 * n], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
return {'ok'}
