-- Place the drawn pre-queue order at positions 1..N, reveal the draw, open admission.
-- KEYS: cfg, pre, q, draw
-- ARGV: count, seed_hex, order_text, user_1 .. user_N (in drawn order)
-- Returns N, or -1 already drawn/closed, -2 before on-sale, -3 pre-queue changed (retry).
local cfg = redis.call('HMGET', KEYS[1], 'state', 'on_sale_ms', 'seed')
if cfg[1] ~= 'pre' then return -1 end
if now < tonumber(cfg[2]) then return -2 end
local n = tonumber(ARGV[1])
if redis.call('HLEN', KEYS[2]) ~= n or cfg[3] ~= ARGV[2] then return -3 end
for i = 1, n do
  if redis.call('HEXISTS', KEYS[2], ARGV[3 + i]) == 0 then return -3 end
end
for i = 1, n do
  redis.call('ZADD', KEYS[3], i, ARGV[3 + i])
end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[4], ARGV[3])
redis.call('HSET', KEYS[1], 'state', 'drawn', 'drawn_ms', now)
return n
