-- Join the queue: the whole join path in one atomic call.
-- KEYS: cfg, pre, q, seen, adm, seq, stats, pow_nonce
-- ARGV: user_id, pseudonym, pow_ttl_ms
-- Returns {code, where, rank, on_sale_ms, rate_x1000, poll_ms, wait_s, supply}: code 1 = already
-- had a place (idempotent), 2 = new place, -1 no queue, -2 not open yet, -3 closed, -4
-- challenge already used. where: 'pre' (pre-queue, drawn at on-sale), 'q' (rank
-- 0-based), 'adm' (admitted). poll_ms / wait_s / supply: see _poll.lua and status.lua.
-- Someone whose admission expired unused joins again at the back of the line.
local cfg = redis.call('HMGET', KEYS[1],
  'state', 'opens_ms', 'on_sale_ms', 'mode', 'rate', 'token_ttl_ms', 'grace_ms', 'supply')
if not cfg[1] then return {-1, '', 0, 0, 0, 0, -1, ''} end
local supply = cfg[8] or ''
local user = ARGV[1]
local rate = line_rate(cfg[4], cfg[5], KEYS[7])
local grace = tonumber(cfg[7] or '0')
-- The answer, and for a place in line its check-in deadline (see _poll.lua).
local function reply(code, where, rank)
  local poll, wait = 0, -1
  if where == 'q' then
    poll, wait = queued_poll(rank, rate, tonumber(cfg[6]), supply)
  elseif where == 'pre' then
    poll = pre_queue_poll(tonumber(cfg[3]), user)
  end
  if where == 'q' then keep_place(KEYS[4], user, poll, grace) end
  return {code, where, rank, cfg[3], math.floor(rate * 1000), poll, wait, supply}
end
if cfg[1] == 'closed' then return reply(-3, '', 0) end
if now < tonumber(cfg[2]) then return reply(-2, '', 0) end
-- One place per account: a repeated join (refresh, another tab) returns the same place.
local admitted = redis.call('ZSCORE', KEYS[5], user)
if admitted and now < tonumber(admitted) + tonumber(cfg[6]) then return reply(1, 'adm', 0) end
local rank = redis.call('ZRANK', KEYS[3], user)
if rank then return reply(1, 'q', rank) end
if redis.call('HEXISTS', KEYS[2], user) == 1 then return reply(1, 'pre', 0) end
-- A new place costs one unused proof-of-work challenge.
if not redis.call('SET', KEYS[8], '1', 'NX', 'PX', ARGV[3]) then return reply(-4, '', 0) end
-- An expired admission is spent: the place it was is given up for a new one.
if admitted then redis.call('ZREM', KEYS[5], user) end
redis.call('HINCRBY', KEYS[7], 'joined', 1)
if cfg[1] == 'pre' and now < tonumber(cfg[3]) then
  -- Before on-sale: the arrival time is deliberately not recorded; the draw orders all.
  redis.call('HSET', KEYS[2], user, ARGV[2])
  return reply(2, 'pre', 0)
end
-- After on-sale: first come, first served, behind every pre-queue entrant (scores 1..N).
local seq = redis.call('INCR', KEYS[6])
redis.call('ZADD', KEYS[3], 1000000000000 + seq, user)
return reply(2, 'q', redis.call('ZRANK', KEYS[3], user))
