-- A buyer's place, and a check-in (polling or SSE keeps the place; see _poll.lua).
-- KEYS: cfg, pre, q, seen, adm, stats
-- ARGV: user_id
-- Returns {code, value, rate_x1000, on_sale_ms, token_ttl_ms, poll_ms, wait_s}: code 3
-- admitted (value = admitted ms), 2 queued (value = rank), 1 pre-queue (value =
-- pseudonym), 0 not in queue, -1 no queue. wait_s is -1 when unknown.
local cfg = redis.call('HMGET', KEYS[1], 'on_sale_ms', 'token_ttl_ms', 'mode', 'rate', 'grace_ms')
if not cfg[1] then return {-1, '', 0, 0, 0, 0, -1} end
local rate = tonumber(cfg[4])
if cfg[3] == 'auto' then rate = tonumber(redis.call('HGET', KEYS[6], 'measured_rate') or '0') end
local rate_x1000 = math.floor(rate * 1000)
local token_ttl, grace = tonumber(cfg[2]), tonumber(cfg[5] or '0')
local user = ARGV[1]
local admitted = redis.call('ZSCORE', KEYS[5], user)
if admitted then return {3, admitted, rate_x1000, cfg[1], cfg[2], 0, 0} end
local rank = redis.call('ZRANK', KEYS[3], user)
if rank then
  local poll, wait = queued_poll(rank, rate, token_ttl)
  keep_place(KEYS[4], user, poll, grace, 'XX')
  return {2, rank, rate_x1000, cfg[1], cfg[2], poll, wait}
end
local pseudo = redis.call('HGET', KEYS[2], user)
if pseudo then
  local poll = pre_queue_poll(tonumber(cfg[1]), user)
  keep_place(KEYS[4], user, poll, grace, 'XX')
  return {1, pseudo, rate_x1000, cfg[1], cfg[2], poll, -1}
end
return {0, '', rate_x1000, cfg[1], cfg[2], MIN_POLL_MS, -1}
