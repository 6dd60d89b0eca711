-- Place the drawn pre-queue order at positions 1..N, reveal the draw, open admission.
-- Each entrant's place is kept from now until their first check-in after on-sale is
-- overdue by the grace period (see _poll.lua): waiting before the sale cost no one.
-- KEYS: cfg, pre, q, draw, seen
-- ARGV: count, seed_hex, order_text, user_1 .. user_N (in drawn order)
-- Returns N, or -1 already drawn/closed, -2 before on-sale, -3 pre-queue changed (retry).
local cfg = redis.call('HMGET', KEYS[1], 'state', 'on_sale_ms', 'seed', 'grace_ms')
if cfg[1] ~= 'pre' then return -1 end
if now < tonumber(cfg[2]) then return -2 end
local n = tonumber(ARGV[1])
if redis.call('HLEN', KEYS[2]) ~= n or cfg[3] ~= ARGV[2] then return -3 end
for i = 1, n do
  if redis.call('HEXISTS', KEYS[2], ARGV[3 + i]) == 0 then return -3 end
end
local on_sale, grace = tonumber(cfg[2]), tonumber(cfg[4] or '0')
for i = 1, n do
  local user = ARGV[3 + i]
  redis.call('ZADD', KEYS[3], i, user)
  keep_place(KEYS[5], user, pre_queue_poll(on_sale, user), grace)
end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[4], ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'drawn', 'drawn_ms', now)
return n
