package redisstore

// The Lua scripts. Each Store method that reads and writes is one script,
// run with EVALSHA (EVAL after NOSCRIPT), so it is atomic and costs one
// round trip. Every decision uses the time passed in ARGV, never the Redis
// clock; Redis time only drives key expiry (garbage collection).
//
// A record is a hash with the fields of recordFields; times are unix
// milliseconds, durations milliseconds, the stored status one letter. A
// record also holds field n, the nonce of the Create call that wrote it.
// Scripts answer a table whose first element says what happened:
//
//	{'ok', record}              success: the record after the change,
//	                            its field values joined by NUL bytes
//	                            (see packed)
//	{'nf'}                      no such verification
//	{'np', status}              not pending: the status as of now
//	{'rl', retry ms, index}     limit number index (0-based) is full
//	{'sends', retry ms}         no sends left (Resend)
//	{'early', retry ms}         before ResendAfter (Resend)
//	{'exists'}                  another verification has this id (Create)

// recordFields are the hash fields of a record, in the order scripts
// return them. The Go side decodes by the same indexes (field* constants).
const recordFields = `'a','k','p','h','o','eo','c','x','r','s','t','ma','ms','l','cd','st','d'`

// Indexes into a decoded record (0-based, Go side).
const (
	fieldApp = iota
	fieldKeyID
	fieldPhone
	fieldPhoneKey
	fieldOrigin
	fieldEmbedded
	fieldCreated
	fieldExpires
	fieldResendAfter
	fieldSends
	fieldAttempts
	fieldMaxAttempts
	fieldMaxSends
	fieldLifetime
	fieldCooldown
	fieldStored
	fieldDeliveryError
	numFields
)

// The scripts share no prelude of Lua functions: a script's body runs
// whole on every call, so functions and tables defined at its top would
// be built again each time (about 1 µs a call). Instead the fragments
// below are pasted in as straight-line code, and a script reads only what
// it uses.

// loadRecord reads the record at KEYS[1] into v, in recordFields order.
const loadRecord = `
local v = redis.call('HMGET', KEYS[1], ` + recordFields + `)
`

// packedRecord is the record v as one string: its field values joined by
// NUL bytes, an absent one empty. One bulk string is far cheaper for the
// client to read than an array of 17 replies. Only the last field, the
// delivery error, may hold a NUL byte (Create refuses the others'); only
// eo and d may be absent from a stored record.
const packedRecord = `table.concat({v[1], v[2], v[3], v[4], v[5], v[6] or '', v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17] or ''}, '\0')`

// statusRule sets st to verifier.Verification.StatusAt of the record v
// at now.
const statusRule = `
local st = v[16]
if st == 'p' then
  if tonumber(v[11]) >= tonumber(v[12]) then st = 'max_attempts_reached'
  elseif now >= tonumber(v[8]) then st = 'expired'
  else st = 'pending' end
elseif st == 'a' then st = 'approved'
elseif st == 'c' then st = 'canceled' end
`

// countLimits checks n fixed-window limits and, when every one has room,
// counts one event against each; when one is full the script answers
// {'rl', retry ms, index}. It reads the limits from ARGV[la] on, as (max,
// window, phone prefix) triples. A limit's counter is the next key of
// KEYS from KEYS[lk] on, or, when its phone prefix is not empty (a
// PerPhone limit), the prefix followed by ph, the record's phone key, and
// the end every limit key has: the key Store.limitKey makes of
// Key+phoneKey, built here. On a cluster it shares the slot of the
// declared keys through the prefix's hash tag (see doc.go).
//
// A limit counter is a hash {n = events, e = window end (ms)}. A window
// whose end is not after now is over: the counter starts again from zero.
// One limit, the common case, takes a path without tables.
const countLimits = `
if n == 1 then
  local key = KEYS[lk]
  if ARGV[la + 2] ~= '' then key = ARGV[la + 2] .. ph .. '` + limitKeyEnd + `' end
  local c = redis.call('HMGET', key, 'n', 'e')
  local e = tonumber(c[2]) or 0
  if e > now then
    if (tonumber(c[1]) or 0) >= tonumber(ARGV[la]) then return {'rl', e - now, 0} end
    redis.call('HINCRBY', key, 'n', 1)
  else
    local win = tonumber(ARGV[la + 1])
    if tonumber(ARGV[la]) <= 0 then return {'rl', win, 0} end
    if win < 1 then win = 1 end
    redis.call('HSET', key, 'n', 1, 'e', now + win)
    redis.call('PEXPIRE', key, win)
  end
elseif n > 1 then
  local keys, ends = {}, {}
  for i = 1, n do
    local j = la + 3 * (i - 1)
    local p, key = ARGV[j + 2], nil
    if p == '' then
      key = KEYS[lk]
      lk = lk + 1
    else
      key = p .. ph .. '` + limitKeyEnd + `'
    end
    local c = redis.call('HMGET', key, 'n', 'e')
    local e = tonumber(c[2]) or 0
    if e > now then
      if (tonumber(c[1]) or 0) >= tonumber(ARGV[j]) then return {'rl', e - now, i - 1} end
    elseif tonumber(ARGV[j]) <= 0 then
      return {'rl', tonumber(ARGV[j + 1]), i - 1}
    end
    keys[i], ends[i] = key, e
  end
  for i = 1, n do
    if ends[i] > now then
      redis.call('HINCRBY', keys[i], 'n', 1)
    else
      local win = tonumber(ARGV[la + 3 * (i - 1) + 1])
      if win < 1 then win = 1 end
      redis.call('HSET', keys[i], 'n', 1, 'e', now + win)
      redis.call('PEXPIRE', keys[i], win)
    end
  end
end
`

// createScript stores a verification if every limit has room.
//
// KEYS: record, newest, limits... ARGV: now, record ttl, newest ttl, id,
// nonce, number of limits, (max, window, phone prefix)..., then the
// record's field/value pairs. The Go side names PerPhone limits' keys
// itself (it knows the phone key): phone prefixes are empty.
const createScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[6])
local old = redis.call('HGET', KEYS[1], 'n')
if old then
  -- A retried Create (its first reply was lost) finds its own nonce: done.
  if old == ARGV[5] then return {'ok'} end
  return {'exists'}
end
local la, lk, ph = 7, 3, ''
` + countLimits + `
redis.call('HSET', KEYS[1], 'n', ARGV[5], unpack(ARGV, 7 + 3 * n))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
return {'ok'}
`

// newestScript reads the newest verification of an app and phone key.
// The record's key is built here from the id the index holds (a key not
// declared in KEYS: see doc.go on Redis Cluster).
//
// KEYS: newest. ARGV: key prefix.
const newestScript = `
local id = redis.call('GET', KEYS[1])
if not id then return {'nf'} end
local v = redis.call('HMGET', ARGV[1] .. '{' .. id .. '}:v', ` + recordFields + `)
if not v[1] then return {'nf'} end
return {'ok', id, ` + packedRecord + `}
`

// resendScript counts a new send on a verification of the app.
//
// KEYS: record, limits... ARGV: now, retention, app, number of limits,
// (max, window, phone prefix)...
const resendScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
` + loadRecord + `
if v[1] ~= ARGV[3] then return {'nf'} end
` + statusRule + `
if st ~= 'pending' then return {'np', st} end
local sends = tonumber(v[10])
if sends >= tonumber(v[13]) then return {'sends', tonumber(v[8]) - now} end
if now < tonumber(v[9]) then return {'early', tonumber(v[9]) - now} end
local la, lk, ph = 5, 2, v[4]
` + countLimits + `
sends = sends + 1
local d = tonumber(v[15])
local i = 1
while i < sends and d < 86400000 do
  d = d * 2
  i = i + 1
end
if v[17] then redis.call('HDEL', KEYS[1], 'd') end
v[10], v[8], v[9], v[17] = sends, now + tonumber(v[14]), now + d, false
redis.call('HSET', KEYS[1], 's', v[10], 'x', v[8], 'r', v[9])
redis.call('PEXPIRE', KEYS[1], v[8] + tonumber(ARGV[2]) - now)
return {'ok', ` + packedRecord + `}
`

// reserveScript counts one check attempt on a verification of the app,
// before the code is compared.
//
// KEYS: record, limits... ARGV: now, app, number of limits,
// (max, window, phone prefix)...
const reserveScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[3])
` + loadRecord + `
if v[1] ~= ARGV[2] then return {'nf'} end
` + statusRule + `
if st ~= 'pending' then return {'np', st} end
local la, lk, ph = 4, 2, v[4]
` + countLimits + `
v[11] = redis.call('HINCRBY', KEYS[1], 't', 1)
return {'ok', ` + packedRecord + `}
`

// approveScript approves a pending verification whose send count has not
// moved, ignoring attempts (the approving check was reserved), and gives
// one event back to each refund limit still in its window.
//
// KEYS: record, refund limits... ARGV: now, sends, number of limits,
// (max, window, phone prefix)...
const approveScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[3])
` + loadRecord + `
if not v[1] then return {'nf'} end
local st = v[16]
if st ~= 'p' then
  if st == 'a' then st = 'approved' elseif st == 'c' then st = 'canceled' end
  return {'np', st}
end
if now >= tonumber(v[8]) then return {'np', 'expired'} end
if tonumber(v[10]) ~= tonumber(ARGV[2]) then
  if tonumber(v[11]) >= tonumber(v[12]) then return {'np', 'max_attempts_reached'} end
  return {'np', 'pending'}
end
redis.call('HSET', KEYS[1], 'st', 'a')
v[16] = 'a'
local lk = 2
for i = 1, n do
  local p, key = ARGV[3 + 3 * i], nil
  if p == '' then
    key = KEYS[lk]
    lk = lk + 1
  else
    key = p .. v[4] .. '` + limitKeyEnd + `'
  end
  local c = redis.call('HMGET', key, 'n', 'e')
  if (tonumber(c[2]) or 0) > now and (tonumber(c[1]) or 0) > 0 then
    redis.call('HINCRBY', key, 'n', -1)
  end
end
return {'ok', ` + packedRecord + `}
`

// cancelScript cancels a pending verification of the app.
//
// KEYS: record. ARGV: now, app.
const cancelScript = `
local now = tonumber(ARGV[1])
` + loadRecord + `
if v[1] ~= ARGV[2] then return {'nf'} end
` + statusRule + `
if st ~= 'pending' then return {'np', st} end
redis.call('HSET', KEYS[1], 'st', 'c')
v[16] = 'c'
return {'ok', ` + packedRecord + `}
`

// deliveryScript records the outcome of send number sends.
//
// KEYS: record. ARGV: sends, reason ("" for success).
const deliveryScript = `
local s = redis.call('HGET', KEYS[1], 's')
if not s then return {'nf'} end
if tonumber(s) ~= tonumber(ARGV[1]) then return {'ok'} end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'd')
else
  redis.call('HSET', KEYS[1], 'd', ARGV[2])
end
return {'ok'}
`
