-- One admission step, atomically: whoever runs it, and however often, each queued person
-- is popped exactly once and strictly from the head (ZPOPMIN), so no one is admitted
-- twice and no one is skipped. The budget comes from Redis's clock, so two ticks in the
-- same instant share one budget instead of doubling it. Nobody is admitted while the
-- event has nothing left (cfg.supply set: every unit held or sold); the fixed-rate
-- budget does not build up meanwhile. Adaptive mode spends the same budget at the rate
-- its controller set, within the target number of active shoppers.
-- KEYS: cfg, q, seen, adm, active, stats, done
-- ARGV: max_batch
-- Returns the admitted user ids.
local cfg = redis.call(
  'HMGET', KEYS[1], 'state', 'on_sale_ms', 'mode', 'rate', 'target', 'window_ms', 'supply')
if cfg[1] ~= 'drawn' or now < tonumber(cfg[2]) then return {} end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - 60000)
local n
local credit = 0
if cfg[3] == 'fixed' or cfg[3] == 'adaptive' then
  local rate = tonumber(cfg[4])
  if cfg[3] == 'adaptive' then  -- the controller's rate (waitingroom/aimd.py), once set
    rate = tonumber(redis.call('HGET', KEYS[6], 'arate') or cfg[4])
  end
  local last = tonumber(redis.call('HGET', KEYS[6], 'last_tick') or cfg[2])
  credit = tonumber(redis.call('HGET', KEYS[6], 'credit') or '0')
  credit = credit + rate * (now - last) / 60000
  local cap = math.max(1, rate / 12)  -- never more than 5 s of admissions at once
  if credit > cap then credit = cap end
  n = math.floor(credit)
  if cfg[3] == 'adaptive' then  -- and never more shoppers than the target at once
    n = math.min(n, tonumber(cfg[5]) - redis.call('ZCARD', KEYS[5]))
  end
else
  n = tonumber(cfg[5]) - redis.call('ZCARD', KEYS[5])
end
local max_batch = tonumber(ARGV[1])
if n > max_batch then n = max_batch end
if cfg[7] and cfg[7] ~= '' then n, credit = 0, 0 end
local admitted = {}
if n > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], n)
  local until_ms = now + tonumber(cfg[6])
  for i = 1, #popped, 2 do
    local user = popped[i]
    redis.call('ZADD', KEYS[4], now, user)
    redis.call('ZADD', KEYS[5], until_ms, user)
    redis.call('ZREM', KEYS[3], user)
    admitted[#admitted + 1] = user
  end
  if #admitted < n then credit = 0 else credit = credit - #admitted end
  redis.call('HINCRBY', KEYS[6], 'admitted', #admitted)
else
  if redis.call('ZCARD', KEYS[2]) == 0 then credit = 0 end
end
-- Admissions of the last minute; in the sale's first minute, at the pace so far (the
-- count alone told the first people in line a wait many times too long).
local measured = redis.call('ZCOUNT', KEYS[4], now - 60000, '+inf')
local open_ms = now - tonumber(cfg[2])
if open_ms > 0 and open_ms < 60000 then measured = measured * 60000 / math.max(1000, open_ms) end
redis.call('HSET', KEYS[6], 'last_tick', now, 'credit', credit, 'measured_rate', measured)
return admitted
