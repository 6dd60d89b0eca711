-- Drop people in line whose check-in is overdue by more than the grace period (the
-- score in `seen` is that deadline, see _poll.lua): they lose their place. The pre-queue
-- is never swept: nobody loses a place for waiting before the sale starts.
-- KEYS: q, seen, stats
-- ARGV: limit
-- Returns the number of places released.
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now, 'LIMIT', 0, ARGV[1])
local released = 0
for _, user in ipairs(stale) do
  released = released + redis.call('ZREM', KEYS[1], user)
  redis.call('ZREM', KEYS[2], user)
end
if released > 0 then redis.call('HINCRBY', KEYS[3], 'abandoned', released) end
return released
