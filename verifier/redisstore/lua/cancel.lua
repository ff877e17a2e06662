-- cancel.lua: Store.Cancel. Cancels a pending verification of the app.
--
--   KEYS[1]  the record
--   ARGV[1]  now (unix ms)
--   ARGV[2]  the app id
--
-- Uses record.lua. Replies: ok with the record, nf, np (scripts.go).

local now = tonumber(ARGV[1])
local v = redis.call('GET', KEYS[1])
if not v then return {'nf'} end
local app, _, max_attempts = first_fixed(v)
if app ~= ARGV[2] then return {'nf'} end
local status = status_at(v, now, max_attempts)
if status ~= 'pending' then return {'np', status} end
redis.call('SETRANGE', KEYS[1], STATUS - 1, 'c')
return {'ok', put(v, STATUS, STATUS, 'c')}
