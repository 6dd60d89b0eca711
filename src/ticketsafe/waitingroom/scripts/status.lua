-- A buyer's place, and a heartbeat (polling or SSE keeps the place through the grace period).
-- KEYS: cfg, pre, q, seen, adm, stats
-- ARGV: user_id
-- Returns {code, value, rate_x1000, on_sale_ms, token_ttl_ms}: code 3 admitted (value =
-- admitted ms), 2 queued (value = rank), 1 pre-queue (value = pseudonym), 0 not in queue,
-- -1 no queue.
local cfg = redis.call('HMGET', KEYS[1], 'on_sale_ms', 'token_ttl_ms', 'mode', 'rate')
if not cfg[1] then return {-1, '', 0, 0, 0} end
local rate = tonumber(cfg[4])
if cfg[3] == 'auto' then rate = tonumber(redis.call('HGET', KEYS[6], 'measured_rate') or '0') end
local rate_x1000 = math.floor(rate * 1000)
local user = ARGV[1]
local admitted = redis.call('ZSCORE', KEYS[5], user)
if admitted then return {3, admitted, rate_x1000, cfg[1], cfg[2]} end
local rank = redis.call('ZRANK', KEYS[3], user)
if rank then
  redis.call('ZADD', KEYS[4], 'XX', now, user)
  return {2, rank, rate_x1000, cfg[1], cfg[2]}
end
local pseudo = redis.call('HGET', KEYS[2], user)
if pseudo then
  redis.call('ZADD', KEYS[4], 'XX', now, user)
  return {1, pseudo, rate_x1000, cfg[1], cfg[2]}
end
return {0, '', rate_x1000, cfg[1], cfg[2]}
