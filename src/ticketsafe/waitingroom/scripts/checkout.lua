-- A shopper finished (completed = 1) or left (completed = 0): they stop counting as active;
-- completions feed the measured rate shown to the organizer and to auto mode.
-- KEYS: active, done, stats
-- ARGV: user_id, completed
local was = redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[2], now, ARGV[1] .. ':' .. now)
  redis.call('HINCRBY', KEYS[3], 'completed', 1)
elseif was == 1 then
  redis.call('HINCRBY', KEYS[3], 'left', 1)
end
return was
