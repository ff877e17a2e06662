package redisstore

import (
	"strconv"
	"strings"
)

// The Lua scripts. Each Store method that reads and writes is one script,
// run with EVALSHA (EVAL after NOSCRIPT), so it is atomic and costs one
// round trip. Every decision uses the time passed in ARGV, never the Redis
// clock; Redis time only drives key expiry (garbage collection).
//
// A record is one string (see record.go): a fixed-width header of the
// fields that change, then the fields that never change, each ended by a
// NUL byte, then the delivery error. A script reads it with one GET, takes
// the few fields it decides on with string.sub and one anchored
// string.match, and writes a change to the header in place with SETRANGE;
// a string costs Redis far less to read and to hand to Lua than a hash of
// seventeen fields. Scripts answer a table whose first element says what
// happened:
//
//	{'ok', record}              success: the record after the change
//	{'nf'}                      no such verification
//	{'np', status}              not pending: the status as of now
//	{'rl', retry ms, index}     limit number index (0-based) is full
//	{'sends', retry ms}         no sends left (Resend)
//	{'early', retry ms}         before ResendAfter (Resend)
//	{'key', key id}             derived with a key the caller lacks
//	{'exists'}                  another verification has this id (Create)

// The scripts share no prelude of Lua functions: a script's body runs
// whole on every call, so functions and tables defined at its top would
// be built again each time (about 1 µs a call). Instead the fragments
// below are pasted in as straight-line code, and a script reads only what
// it uses.

// luaSub is the Lua expression reading the header field at [off, off+w)
// of the record v as a number.
func luaSub(off, w int) string {
	return `tonumber(string.sub(v, ` + strconv.Itoa(off+1) + `, ` + strconv.Itoa(off+w) + `))`
}

// luaFormat is the Lua expression formatting the number x as the header
// field of width w (as appendPadded does in Go).
func luaFormat(x string, w int) string {
	return `string.format('%0` + strconv.Itoa(w) + `d', ` + x + `)`
}

// bodyStart is the Lua index of the record's first fixed field.
var bodyStart = strconv.Itoa(headerLen + 1)

// loadRecord reads the record at KEYS[1] into v and, from its fixed
// fields, its app, phone key, maximum attempts and key id; the script
// answers {'nf'} when there is no record.
var loadRecord = `
local v = redis.call('GET', KEYS[1])
if not v then return {'nf'} end
local a, ph, ma, kid = string.match(v, '^(%Z*)%z(%Z*)%z(%Z*)%z(%Z*)%z', ` + bodyStart + `)
`

// keyRule answers {'key', key id} unless the key ids in ARGV[kids] (each
// between NUL bytes; "" accepts any) name the record's key (loadRecord).
const keyRule = `
if ARGV[kids] ~= '' and not string.find(ARGV[kids], '\0' .. kid .. '\0', 1, true) then return {'key', kid} end
`

// statusRule sets status to verifier.Verification.StatusAt of the record
// v at now; it needs ma (loadRecord).
var statusRule = `
local st, status = string.sub(v, 1, 1), nil
if st == 'p' then
  if ` + luaSub(offAttempts, widthCount) + ` >= tonumber(ma) then status = 'max_attempts_reached'
  elseif now >= ` + luaSub(offExpires, widthTime) + ` then status = 'expired'
  else status = 'pending' end
elseif st == 'a' then status = 'approved'
elseif st == 'c' then status = 'canceled' end
`

// fixedEnd is a pattern whose position capture is the index just after
// the record's last fixed field (its nonce) and its NUL: where the
// delivery error starts.
var fixedEnd = `'^` + strings.Repeat(`%Z*%z`, numFixed) + `()'`

// nonceOf is a pattern capturing the nonce, the last fixed field.
var nonceOf = `'^` + strings.Repeat(`%Z*%z`, numFixed-1) + `(%Z*)%z'`

// countLimits checks n fixed-window limits and, when every one has room,
// counts one event against each but guards; when one is full the script
// answers {'rl', retry ms, index}. It reads the limits from ARGV[la] on,
// as (max, window, phone prefix, guard) quadruples, guard "g" for a
// limit that is only read (Limit.Guard), else "". A limit's counter is the next key of
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
    if ARGV[la + 3] == '' then redis.call('HINCRBY', key, 'n', 1) end
  else
    local win = tonumber(ARGV[la + 1])
    if tonumber(ARGV[la]) <= 0 then return {'rl', win, 0} end
    if win < 1 then win = 1 end
    if ARGV[la + 3] == '' then
      redis.call('HSET', key, 'n', 1, 'e', now + win)
      redis.call('PEXPIRE', key, win)
    end
  end
elseif n > 1 then
  local keys, ends = {}, {}
  for i = 1, n do
    local j = la + 4 * (i - 1)
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
    local j = la + 4 * (i - 1)
    if ARGV[j + 3] ~= '' then
    elseif ends[i] > now then
      redis.call('HINCRBY', keys[i], 'n', 1)
    else
      local win = tonumber(ARGV[j + 1])
      if win < 1 then win = 1 end
      redis.call('HSET', keys[i], 'n', 1, 'e', now + win)
      redis.call('PEXPIRE', keys[i], win)
    end
  end
end
`

// refundLimits gives one event back to each of n limits but guards whose
// window is still open, never going below zero. It reads the limits as
// countLimits does, from ARGV[la] and KEYS[lk] on.
const refundLimits = `
for i = 1, n do
  local j = la + 4 * (i - 1)
  local p, key = ARGV[j + 2], nil
  if p == '' then
    key = KEYS[lk]
    lk = lk + 1
  else
    key = p .. ph .. '` + limitKeyEnd + `'
  end
  if ARGV[j + 3] == '' then
    local c = redis.call('HMGET', key, 'n', 'e')
    if (tonumber(c[2]) or 0) > now and (tonumber(c[1]) or 0) > 0 then
      redis.call('HINCRBY', key, 'n', -1)
    end
  end
end
`

// createScript stores a verification if every limit has room.
//
// KEYS: record, newest, limits... ARGV: now, record ttl, newest ttl, id,
// nonce, number of limits, (max, window, phone prefix, guard)..., then the
// record (encodeRecord, which holds the nonce). The Go side names
// PerPhone limits' keys itself (it knows the phone key): phone prefixes
// are empty.
var createScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[6])
local old = redis.call('GET', KEYS[1])
if old then
  -- A retried Create (its first reply was lost) finds its own nonce: done.
  if string.match(old, ` + nonceOf + `, ` + bodyStart + `) == ARGV[5] then return {'ok'} end
  return {'exists'}
end
local la, lk, ph = 7, 3, ''
` + countLimits + `
redis.call('SET', KEYS[1], ARGV[7 + 4 * n], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
return {'ok'}
`

// newestScript reads the newest verification of an app and phone key.
// The record's key is built here from the id the index holds (a key not
// declared in KEYS: see doc.go on Redis Cluster).
//
// KEYS: newest. ARGV: key prefix.
var newestScript = `
local id = redis.call('GET', KEYS[1])
if not id then return {'nf'} end
local v = redis.call('GET', ARGV[1] .. '{' .. id .. '` + recordKeyEnd + `')
if not v then return {'nf'} end
return {'ok', id, v}
`

// resendScript counts a new send on a verification of the app: the send
// count, expiry and resend time move on, and the delivery error of the
// previous send is cleared.
//
// KEYS: record, limits... ARGV: now, retention, app, key ids, number of
// limits, (max, window, phone prefix, guard)...
var resendScript = `
local now, n, kids = tonumber(ARGV[1]), tonumber(ARGV[5]), 4
` + loadRecord + `
if a ~= ARGV[3] then return {'nf'} end
` + statusRule + `
if status ~= 'pending' then return {'np', status} end
` + keyRule + `
local ms, l, cd, fe = string.match(v, '^%Z*%z%Z*%z%Z*%z%Z*%z%Z*%z%Z*%z%Z*%z%Z*%z(%Z*)%z(%Z*)%z(%Z*)%z%Z*%z()', ` + bodyStart + `)
local sends, x, r = ` + luaSub(offSends, widthCount) + `, ` + luaSub(offExpires, widthTime) + `, ` + luaSub(offResendAfter, widthTime) + `
if sends >= tonumber(ms) then return {'sends', x - now} end
if now < r then return {'early', r - now} end
local la, lk = 6, 2
` + countLimits + `
sends = sends + 1
local d = tonumber(cd)
local i = 1
while i < sends and d < 86400000 do
  d = d * 2
  i = i + 1
end
x = now + tonumber(l)
v = string.sub(v, 1, ` + strconv.Itoa(offSends) + `) .. ` + luaFormat("sends", widthCount) + ` .. ` + luaFormat("x", widthTime) + ` .. ` + luaFormat("now + d", widthTime) + ` .. string.sub(v, ` + bodyStart + `, fe - 1)
redis.call('SET', KEYS[1], v, 'PX', math.max(1, x + tonumber(ARGV[2]) - now))
return {'ok', v}
`

// reserveScript counts one check attempt on a verification of the app,
// before the code is compared.
//
// KEYS: record, limits... ARGV: now, app, key ids, number of limits,
// (max, window, phone prefix, guard)...
var reserveScript = `
local now, n, kids = tonumber(ARGV[1]), tonumber(ARGV[4]), 3
` + loadRecord + `
if a ~= ARGV[2] then return {'nf'} end
` + statusRule + `
if status ~= 'pending' then return {'np', status} end
` + keyRule + `
local la, lk = 5, 2
` + countLimits + `
local t = ` + luaFormat(luaSub(offAttempts, widthCount)+" + 1", widthCount) + `
redis.call('SETRANGE', KEYS[1], ` + strconv.Itoa(offAttempts) + `, t)
return {'ok', string.sub(v, 1, ` + strconv.Itoa(offAttempts) + `) .. t .. string.sub(v, ` + strconv.Itoa(offAttempts+widthCount+1) + `)}
`

// approveScript approves a pending verification whose send count has not
// moved, ignoring attempts (the approving check was reserved), and gives
// one event back to each refund limit still in its window.
//
// KEYS: record, refund limits... ARGV: now, sends, number of limits,
// (max, window, phone prefix, guard)...
var approveScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[3])
` + loadRecord + `
local st = string.sub(v, 1, 1)
if st ~= 'p' then
  if st == 'a' then st = 'approved' elseif st == 'c' then st = 'canceled' end
  return {'np', st}
end
if now >= ` + luaSub(offExpires, widthTime) + ` then return {'np', 'expired'} end
if ` + luaSub(offSends, widthCount) + ` ~= tonumber(ARGV[2]) then
  if ` + luaSub(offAttempts, widthCount) + ` >= tonumber(ma) then return {'np', 'max_attempts_reached'} end
  return {'np', 'pending'}
end
redis.call('SETRANGE', KEYS[1], 0, 'a')
local la, lk = 4, 2
` + refundLimits + `
return {'ok', 'a' .. string.sub(v, 2)}
`

// cancelScript cancels a pending verification of the app.
//
// KEYS: record. ARGV: now, app.
var cancelScript = `
local now = tonumber(ARGV[1])
` + loadRecord + `
if a ~= ARGV[2] then return {'nf'} end
` + statusRule + `
if status ~= 'pending' then return {'np', status} end
redis.call('SETRANGE', KEYS[1], 0, 'c')
return {'ok', 'c' .. string.sub(v, 2)}
`

// deliveryScript records that send number sends failed: the reason (not
// empty) replaces the end of the record, the resend time moves to now
// when it was later, and each refund limit gets one event back. A failure
// already recorded for that send changes nothing: a retried script gives
// nothing back twice.
//
// KEYS: record, refund limits... ARGV: now, sends, reason, number of
// limits, (max, window, phone prefix, guard)...
var deliveryScript = `
local now, n = tonumber(ARGV[1]), tonumber(ARGV[4])
` + loadRecord + `
if ` + luaSub(offSends, widthCount) + ` ~= tonumber(ARGV[2]) then return {'ok'} end
local fe = string.match(v, ` + fixedEnd + `, ` + bodyStart + `)
if fe <= #v then return {'ok'} end
if ` + luaSub(offResendAfter, widthTime) + ` > now then
  v = string.sub(v, 1, ` + strconv.Itoa(offResendAfter) + `) .. ` + luaFormat("now", widthTime) + ` .. string.sub(v, ` + bodyStart + `)
end
redis.call('SET', KEYS[1], v .. ARGV[3], 'KEEPTTL')
local la, lk = 5, 2
` + refundLimits + `
return {'ok'}
`
