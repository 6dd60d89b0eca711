-- A buyer's place, and a check-in (polling or SSE keeps the place; see _poll.lua).
-- KEYS: cfg, pre, q, seen, adm, stats
-- ARGV: user_id
-- Returns {code, value, rate_x1000, on_sale_ms, token_ttl_ms, poll_ms, wait_s, supply}:
-- code 3 admitted (value = admitted ms), 4 admitted but the admission token expired
-- (value = admitted ms; join again for a place at the back), 2 queued (value = rank), 1
-- pre-queue (value = pseudonym; no check-in needed before the draw), 0 not in queue, -1
-- no queue. wait_s is -1 when unknown. supply: '' (tickets left), 'all_held' or
-- 'sold_out' (admission paused, see _poll.lua).
local cfg = redis.call(
  'HMGET', KEYS[1], 'on_sale_ms', 'token_ttl_ms', 'mode', 'rate', 'grace_ms', 'supply')
if not cfg[1] then return {-1, '', 0, 0, 0, 0, -1, ''} end
local supply = cfg[6] or ''
local rate = line_rate(cfg[3], cfg[4], KEYS[6])
local rate_x1000 = math.floor(rate * 1000)
local token_ttl, grace = tonumber(cfg[2]), tonumber(cfg[5] or '0')
local user = ARGV[1]
local admitted = redis.call('ZSCORE', KEYS[5], user)
if admitted then
  local code = 3
  if now >= tonumber(admitted) + token_ttl then code = 4 end
  return {code, admitted, rate_x1000, cfg[1], cfg[2], 0, 0, supply}
end
local rank = redis.call('ZRANK', KEYS[3], user)
if rank then
  local poll, wait = queued_poll(rank, rate, token_ttl, supply)
  keep_place(KEYS[4], user, poll, grace, 'XX')
  return {2, rank, rate_x1000, cfg[1], cfg[2], poll, wait, supply}
end
local pseudo = redis.call('HGET', KEYS[2], user)
if pseudo then
  local poll = pre_queue_poll(tonumber(cfg[1]), user)
  return {1, pseudo, rate_x1000, cfg[1], cfg[2], poll, -1, supply}
end
return {0, '', rate_x1000, cfg[1], cfg[2], MIN_POLL_MS, -1, supply}
