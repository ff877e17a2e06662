-- reserve_hash.lua: reserve.lua on a record kept as a plain Redis hash,
-- one field per verifier.Verification field: the layout that
-- BenchmarkRecordLayout measures the string record against. Same KEYS
-- and ARGV as reserve.lua; the reply's record is HGETALL's list.
--
-- Uses limits.lua.

local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'st', 'app', 'pk', 'ma', 'kid', 'at', 'x')
if not f[1] then return {'nf'} end
if f[2] ~= ARGV[2] then return {'nf'} end
local ph, kid, status = f[3], f[5], nil
if f[1] == 'p' then
  if tonumber(f[6]) >= tonumber(f[4]) then status = 'max_attempts_reached'
  elseif now >= tonumber(f[7]) then status = 'expired'
  else status = 'pending' end
elseif f[1] == 'a' then status = 'approved'
else status = 'canceled' end
if status ~= 'pending' then return {'np', status} end
if ARGV[3] ~= '' and not string.find(ARGV[3], '\0' .. kid .. '\0', 1, true) then return {'key', kid} end
local refused = count_limits(now, n, 5, 2, ph)
if refused then return refused end
redis.call('HINCRBY', KEYS[1], 'at', 1)
return {'ok', redis.call('HGETALL', KEYS[1])}
