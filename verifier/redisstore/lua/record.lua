-- record.lua: reading and writing a verification record, whose layout
-- record.go documents. Go puts this file before the scripts that read a
-- record; TestTheLuaReadsTheRecordWhereGoWritesIt checks every position
-- below against the Go codec.

-- The header's fields, as string.sub bounds (1-based, inclusive): the
-- status letter, then fixed-width decimal numbers.
local STATUS = 1
local ATTEMPTS_FROM, ATTEMPTS_TO = 2, 11
local SENDS_FROM, SENDS_TO = 12, 21
local EXPIRES_FROM, EXPIRES_TO = 22, 36
local RESEND_FROM, RESEND_TO = 37, 51
-- BODY is where the NUL-ended fixed fields start; they are numbered from 1.
local BODY = 52
local MAX_SENDS, LIFETIME, COOLDOWN, NONCE = 9, 10, 11, 14

-- header(v, from, to) is the header number of record v at from..to.
local function header(v, from, to)
  return tonumber(string.sub(v, from, to))
end

-- count(n) and time(t) format a number for the header: attempts and
-- sends take 10 digits, times 15 (unix ms, "-" and 14 digits before 1970).
local function count(n)
  return string.format('%010d', n)
end

local function time(t)
  return string.format('%015d', t)
end

-- put(v, from, to, s) is record v with the header field at from..to
-- replaced by s (as formatted by count or time).
local function put(v, from, to, s)
  return string.sub(v, 1, from - 1) .. s .. string.sub(v, to + 1)
end

-- first_fixed(v) returns the first four fixed fields of record v: app,
-- phone key, max attempts and key id.
local function first_fixed(v)
  return string.match(v, '^(%Z*)%z(%Z*)%z(%Z*)%z(%Z*)%z', BODY)
end

-- fixed(v, i) returns fixed field i of record v and the index just past
-- its NUL (for NONCE, the last one: where the delivery error starts).
local function fixed(v, i)
  local from = BODY
  for _ = 2, i do
    from = string.find(v, '\0', from, true) + 1
  end
  local nul = string.find(v, '\0', from, true)
  return string.sub(v, from, nul - 1), nul + 1
end

-- stored(v) names the stored status of record v as verifier.Status does.
local function stored(v)
  local st = string.sub(v, STATUS, STATUS)
  if st == 'p' then return 'pending' end
  if st == 'a' then return 'approved' end
  if st == 'c' then return 'canceled' end
end

-- status_at(v, now, max_attempts) is verifier.Verification.StatusAt of
-- record v at now (unix ms).
local function status_at(v, now, max_attempts)
  local st = stored(v)
  if st ~= 'pending' then return st end
  if header(v, ATTEMPTS_FROM, ATTEMPTS_TO) >= tonumber(max_attempts) then return 'max_attempts_reached' end
  if now >= header(v, EXPIRES_FROM, EXPIRES_TO) then return 'expired' end
  return 'pending'
end

-- key_allowed(kids, kid) reports whether the key list kids (each key id
-- between NUL bytes, Store.keyList) names kid; '' names every key.
local function key_allowed(kids, kid)
  return kids == '' or string.find(kids, '\0' .. kid .. '\0', 1, true) ~= nil
end

-- pending_record(key, app, now, kids) reads the record at key for a
-- change that needs it pending (a check attempt, a resend). It returns
-- the record and its phone key, or nil and the reply that ends the script:
-- nf (no record, or another app's), np and the status, key and the key id
-- the caller lacks (key_allowed).
local function pending_record(key, app, now, kids)
  local v = redis.call('GET', key)
  if not v then return nil, {'nf'} end
  local a, ph, max_attempts, kid = first_fixed(v)
  if a ~= app then return nil, {'nf'} end
  local status = status_at(v, now, max_attempts)
  if status ~= 'pending' then return nil, {'np', status} end
  if not key_allowed(kids, kid) then return nil, {'key', kid} end
  return v, ph
end
