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

// prelude is shared by every script: record loading, the status rule of
// verifier.Verification.StatusAt, and fixed-window limit counters.
//
// A limit counter is a hash {n = events, e = window end (ms)}. A window
// whose end is not after now is over: the counter starts again from zero.
const prelude = `
local F = {` + recordFields + `}
local A, H, S, T, MA, MS, X, R, ST, L, CD = 1, 4, 10, 11, 12, 13, 8, 9, 16, 14, 15

local function load(key)
  local v = redis.call('HMGET', key, unpack(F))
  if not v[1] then return nil end
  return v
end

local NAMES = {p = 'pending', a = 'approved', c = 'canceled'}

-- packed is the record v as one string: its field values joined by NUL
-- bytes, an absent one empty. One bulk string is far cheaper for the
-- client to read than an array of 17 replies. Only the last field, the
-- delivery error, may hold a NUL byte (Create refuses the others').
local function packed(v)
  for i = 1, #F do
    if not v[i] then v[i] = '' end
  end
  return table.concat(v, '\0', 1, #F)
end

-- status is verifier.Verification.StatusAt.
local function status(v, now)
  if v[ST] ~= 'p' then return NAMES[v[ST]] or v[ST] end
  if tonumber(v[T]) >= tonumber(v[MA]) then return 'max_attempts_reached' end
  if now >= tonumber(v[X]) then return 'expired' end
  return 'pending'
end

-- limits reads n limits from ARGV[a] on, as (max, window, phone prefix)
-- triples. A limit's counter is the next key of KEYS from KEYS[k] on, or,
-- when its phone prefix is not empty (a PerPhone limit), the prefix
-- followed by phoneKey, the record's, and the end every limit key has: the
-- key Store.limitKey makes of Key+phoneKey, built here. On a cluster it
-- shares the slot of the declared keys through the prefix's hash tag (see
-- doc.go).
local function limits(k, a, n, phoneKey)
  local keys, maxes, wins = {}, {}, {}
  for i = 1, n do
    local j = a + 3 * (i - 1)
    local p = ARGV[j + 2]
    if p == '' then
      keys[i] = KEYS[k]
      k = k + 1
    else
      keys[i] = p .. phoneKey .. '` + limitKeyEnd + `'
    end
    maxes[i], wins[i] = tonumber(ARGV[j]), tonumber(ARGV[j + 1])
  end
  return {keys = keys, maxes = maxes, wins = wins, n = n}
end

-- checkLimits looks at the limits. It returns the reply for the first
-- full limit, or nil and the window ends it read, for countLimits.
local function checkLimits(lim, now)
  local ends = {}
  for i = 1, lim.n do
    local c = redis.call('HMGET', lim.keys[i], 'n', 'e')
    local cnt, e = tonumber(c[1]) or 0, tonumber(c[2]) or 0
    if e <= now then cnt = 0 end
    if cnt >= lim.maxes[i] then
      local retry = lim.wins[i]
      if e > now then retry = e - now end
      return {'rl', retry, i - 1}, nil
    end
    ends[i] = e
  end
  return nil, ends
end

-- countLimits counts one event against each limit checkLimits allowed.
local function countLimits(lim, now, ends)
  for i = 1, lim.n do
    local key = lim.keys[i]
    if ends[i] <= now then
      local win = lim.wins[i]
      if win < 1 then win = 1 end
      redis.call('HSET', key, 'n', 1, 'e', now + win)
      redis.call('PEXPIRE', key, win)
    else
      redis.call('HINCRBY', key, 'n', 1)
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
const createScript = prelude + `
local now, ttl, nttl, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6])
local old = redis.call('HGET', KEYS[1], 'n')
if old then
  -- A retried Create (its first reply was lost) finds its own nonce: done.
  if old == ARGV[5] then return {'ok'} end
  return {'exists'}
end
local lim = limits(3, 7, n, '')
local full, ends = checkLimits(lim, now)
if full then return full end
countLimits(lim, now, ends)
redis.call('HSET', KEYS[1], 'n', ARGV[5], unpack(ARGV, 7 + 3 * n))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[4], 'PX', nttl)
return {'ok'}
`

// newestScript reads the newest verification of an app and phone key.
// The record's key is built here from the id the index holds (a key not
// declared in KEYS: see doc.go on Redis Cluster).
//
// KEYS: newest. ARGV: key prefix.
const newestScript = prelude + `
local id = redis.call('GET', KEYS[1])
if not id then return {'nf'} end
local v = load(ARGV[1] .. '{' .. id .. '}:v')
if not v then return {'nf'} end
return {'ok', id, packed(v)}
`

// resendScript counts a new send on a verification of the app.
//
// KEYS: record, limits... ARGV: now, retention, app, number of limits,
// (max, window, phone prefix)...
const resendScript = prelude + `
local now, keep, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local v = load(KEYS[1])
if not v or v[A] ~= ARGV[3] then return {'nf'} end
local st = status(v, now)
if st ~= 'pending' then return {'np', st} end
local sends = tonumber(v[S])
if sends >= tonumber(v[MS]) then return {'sends', tonumber(v[X]) - now} end
if now < tonumber(v[R]) then return {'early', tonumber(v[R]) - now} end
local lim = limits(2, 5, n, v[H])
local full, ends = checkLimits(lim, now)
if full then return full end
countLimits(lim, now, ends)
sends = sends + 1
local d = tonumber(v[CD])
local i = 1
while i < sends and d < 86400000 do
  d = d * 2
  i = i + 1
end
v[S], v[X], v[R], v[17] = sends, now + tonumber(v[L]), now + d, false
redis.call('HSET', KEYS[1], 's', v[S], 'x', v[X], 'r', v[R])
redis.call('HDEL', KEYS[1], 'd')
redis.call('PEXPIRE', KEYS[1], v[X] + keep - now)
return {'ok', packed(v)}
`

// reserveScript counts one check attempt on a verification of the app,
// before the code is compared.
//
// KEYS: record, limits... ARGV: now, app, number of limits,
// (max, window, phone prefix)...
const reserveScript = prelude + `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[3])
local v = load(KEYS[1])
if not v or v[A] ~= ARGV[2] then return {'nf'} end
local st = status(v, now)
if st ~= 'pending' then return {'np', st} end
local lim = limits(2, 4, n, v[H])
local full, ends = checkLimits(lim, now)
if full then return full end
countLimits(lim, now, ends)
v[T] = redis.call('HINCRBY', KEYS[1], 't', 1)
return {'ok', packed(v)}
`

// approveScript approves a pending verification whose send count has not
// moved, ignoring attempts (the approving check was reserved), and gives
// one event back to each refund limit still in its window.
//
// KEYS: record, refund limits... ARGV: now, sends, number of limits,
// (max, window, phone prefix)...
const approveScript = prelude + `
local now, sends, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = load(KEYS[1])
if not v then return {'nf'} end
if v[ST] ~= 'p' then return {'np', NAMES[v[ST]] or v[ST]} end
if now >= tonumber(v[X]) then return {'np', 'expired'} end
if tonumber(v[S]) ~= sends then return {'np', status(v, now)} end
redis.call('HSET', KEYS[1], 'st', 'a')
v[ST] = 'a'
local lim = limits(2, 4, n, v[H])
for i = 1, n do
  local c = redis.call('HMGET', lim.keys[i], 'n', 'e')
  if (tonumber(c[2]) or 0) > now and (tonumber(c[1]) or 0) > 0 then
    redis.call('HINCRBY', lim.keys[i], 'n', -1)
  end
end
return {'ok', packed(v)}
`

// cancelScript cancels a pending verification of the app.
//
// KEYS: record. ARGV: now, app.
const cancelScript = prelude + `
local now = tonumber(ARGV[1])
local v = load(KEYS[1])
if not v or v[A] ~= ARGV[2] then return {'nf'} end
local st = status(v, now)
if st ~= 'pending' then return {'np', st} end
redis.call('HSET', KEYS[1], 'st', 'c')
v[ST] = 'c'
return {'ok', packed(v)}
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
