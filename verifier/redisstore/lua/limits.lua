-- limits.lua: fixed-window limit counters. Go puts this file before the
-- scripts that count or give back events.
--
-- A script's limits are n runs of four ARGV entries, the first at index
-- la: max, window (ms), phone prefix, guard ("g" for a limit that is only
-- read, verifier.Limit.Guard, else ""). A limit's counter is the next
-- declared key from KEYS[lk] on when its phone prefix is empty; else
-- (a PerPhone limit of a script that takes an id) the prefix, the
-- record's phone key ph and '}:l' (Store.limitKeyEnd) name it, the key
-- Store.limitKey makes of Key+phone key. That key is not declared: on
-- Redis Cluster it shares the declared keys' slot through the prefix's
-- hash tag (see doc.go).
--
-- A counter is a hash {n = events, e = window end (unix ms)}. A window
-- whose end is not after now is over: the counter starts again from zero.

-- limit_key(j, lk, ph) returns the counter key of the limit whose
-- arguments start at ARGV[j], and the index of the next declared key.
local function limit_key(j, lk, ph)
  if ARGV[j + 2] == '' then return KEYS[lk], lk + 1 end
  return ARGV[j + 2] .. ph .. '}:l', lk
end

-- count_limits(now, n, la, lk, ph) counts one event against each limit
-- but guards when every one has room, and returns nothing; else it
-- counts nothing and returns the refusal {'rl', retry ms, index}, index
-- 0-based.
local function count_limits(now, n, la, lk, ph)
  local keys, ends = {}, {}
  for i = 1, n do
    local j = la + 4 * (i - 1)
    local key
    key, lk = limit_key(j, lk, ph)
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
    if ARGV[j + 3] == '' then
      if ends[i] > now then
        redis.call('HINCRBY', keys[i], 'n', 1)
      else
        local win = math.max(1, tonumber(ARGV[j + 1]))
        redis.call('HSET', keys[i], 'n', 1, 'e', now + win)
        redis.call('PEXPIRE', keys[i], win)
      end
    end
  end
end

-- refund_limits(now, n, la, lk, ph) gives one event back to each limit
-- but guards whose window is still open, never going below zero.
local function refund_limits(now, n, la, lk, ph)
  for i = 1, n do
    local j = la + 4 * (i - 1)
    local key
    key, lk = limit_key(j, lk, ph)
    if ARGV[j + 3] == '' then
      local c = redis.call('HMGET', key, 'n', 'e')
      if (tonumber(c[2]) or 0) > now and (tonumber(c[1]) or 0) > 0 then
        redis.call('HINCRBY', key, 'n', -1)
      end
    end
  end
end
