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
//	{'ok', field values...}     success: the record after the change
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
local A, S, T, MA, MS, X, R, ST, L, CD = 1, 10, 11, 12, 13, 8, 9, 16, 14, 15

local function load(key)
  local v = redis.call('HMGET', key, unpack(F))
  if not v[1] then return nil end
  return v
end

local NAMES = {p = 'pending', a = 'approved', c = 'canceled'}

-- status is verifier.Verification.StatusAt.
local function status(v, now)
  if v[ST] ~= 'p' then return NAMES[v[ST]] or v[ST] end
  if tonumber(v[T]) >= tonumber(v[MA]) then return 'max_attempts_reached' end
  if now >= tonumber(v[X]) then return 'expired' end
  return 'pending'
end

-- checkLimits looks at n limits: keys from KEYS[k], (max, window) pairs
-- from ARGV[a]. It returns the reply for the first full limit, or nil and
-- the window ends it read, for countLimits.
local function checkLimits(k, a, n, now)
  local ends = {}
  for i = 0, n - 1 do
    local max = tonumber(ARGV[a + 2 * i])
    local win = tonumber(ARGV[a + 2 * i + 1])
    local c = redis.call('HMGET', KEYS[k + i], 'n', 'e')
    local cnt, e = tonumber(c[1]) or 0, tonumber(c[2]) or 0
    if e <= now then cnt = 0 end
    if cnt >= max then
      local retry = win
      if e > now then retry = e - now end
      return {'rl', retry, i}, nil
    end
    ends[i] = e
  end
  return nil, ends
end

-- countLimits counts one event against each limit checkLimits allowed.
local function countLimits(k, a, n, now, ends)
  for i = 0, n - 1 do
    local key = KEYS[k + i]
    if ends[i] <= now then
      local win = tonumber(ARGV[a + 2 * i + 1])
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
// nonce, number of limits, (max, window)..., then the record's field/value
// pairs.
const createScript = prelude + `
local now, ttl, nttl, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6])
local old = redis.call('HGET', KEYS[1], 'n')
if old then
  -- A retried Create (its first reply was lost) finds its own nonce: done.
  if old == ARGV[5] then return {'ok'} end
  return {'exists'}
end
local full, ends = checkLimits(3, 7, n, now)
if full then return full end
countLimits(3, 7, n, now, ends)
redis.call('HSET', KEYS[1], 'n', ARGV[5], unpack(ARGV, 7 + 2 * n))
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
return {'ok', id, unpack(v)}
`

// resendScript counts a new send.
//
// KEYS: record, limits... ARGV: now, retention, number of limits,
// (max, window)...
const resendScript = prelude + `
local now, keep, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = load(KEYS[1])
if not v then return {'nf'} end
local st = status(v, now)
if st ~= 'pending' then return {'np', st} end
local sends = tonumber(v[S])
if sends >= tonumber(v[MS]) then return {'sends', tonumber(v[X]) - now} end
if now < tonumber(v[R]) then return {'early', tonumber(v[R]) - now} end
local full, ends = checkLimits(2, 4, n, now)
if full then return full end
countLimits(2, 4, n, now, ends)
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
return {'ok', unpack(v)}
`

// reserveScript counts one check attempt before the code is compared.
//
// KEYS: record, limits... ARGV: now, number of limits, (max, window)...
const reserveScript = prelude + `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = load(KEYS[1])
if not v then return {'nf'} end
local st = status(v, now)
if st ~= 'pending' then return {'np', st} end
local full, ends = checkLimits(2, 3, n, now)
if full then return full end
countLimits(2, 3, n, now, ends)
v[T] = redis.call('HINCRBY', KEYS[1], 't', 1)
return {'ok', unpack(v)}
`

// approveScript approves a pending verification whose send count has not
// moved, ignoring attempts (the approving check was reserved), and gives
// one event back to each refund limit still in its window.
//
// KEYS: record, refund limits... ARGV: now, sends.
const approveScript = prelude + `
local now, sends = tonumber(ARGV[1]), tonumber(ARGV[2])
local v = load(KEYS[1])
if not v then return {'nf'} end
if v[ST] ~= 'p' then return {'np', NAMES[v[ST]] or v[ST]} end
if now >= tonumber(v[X]) then return {'np', 'expired'} end
if tonumber(v[S]) ~= sends then return {'np', status(v, now)} end
redis.call('HSET', KEYS[1], 'st', 'a')
v[ST] = 'a'
for i = 2, #KEYS do
  local c = redis.call('HMGET', KEYS[i], 'n', 'e')
  if (tonumber(c[2]) or 0) > now and (tonumber(c[1]) or 0) > 0 then
    redis.call('HINCRBY', KEYS[i], 'n', -1)
  end
end
return {'ok', unpack(v)}
`

// cancelScript cancels a pending verification.
//
// KEYS: record. ARGV: now.
const cancelScript = prelude + `
local now = tonumber(ARGV[1])
local v = load(KEYS[1])
if not v then return {'nf'} end
local st = status(v, now)
if st ~= 'pending' then return {'np', st} end
redis.call('HSET', KEYS[1], 'st', 'c')
v[ST] = 'c'
return {'ok', unpack(v)}
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
