-- newest.lua: Store.Newest. Reads the newest verification of an app and
-- phone key. The record's key is built here, from the id the index holds
-- and the Go key layout (Store.recordKey): it is not declared (see doc.go
-- on Redis Cluster).
--
--   KEYS[1]  the newest index of the app and phone key
--   ARGV[1]  the key prefix
--
-- Replies: {'ok', id, record} or nf (scripts.go).

local id = redis.call('GET', KEYS[1])
if not id then return {'nf'} end
local v = redis.call('GET', ARGV[1] .. '{' .. id .. '}:r2')
if not v then return {'nf'} end
return {'ok', id, v}
