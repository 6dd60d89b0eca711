-- Drop people whose check-in is overdue by more than the grace period (the score in
-- `seen` is that deadline, see _poll.lua): they lose their place.
-- KEYS: cfg, pre, q, seen, stats
-- ARGV: limit
-- Returns the number of places released.
local stale = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. now, 'LIMIT', 0, ARGV[1])
local released = 0
for _, user in ipairs(stale) do
  released = released + redis.call('ZREM', KEYS[3], user) + redis.call('HDEL', KEYS[2], user)
  redis.call('ZREM', KEYS[4], user)
end
if released > 0 then redis.call('HINCRBY', KEYS[5], 'abandoned', released) end
return released
