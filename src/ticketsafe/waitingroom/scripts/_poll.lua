-- When a waiting browser should ask again, and until when its place is kept.
-- A queued browser asks again at half its estimated wait (it hears of admission well
-- within its admission token's life), at least every 2 s, at most every 2 minutes and
-- never rarer than a third of the token's life; the very front (FRONT places, whom an
-- auto-admitting room may let in any second) asks every 2 s whatever the estimate.
-- A place in line is kept until the browser's next check-in is overdue by the grace
-- period: a person told to come back in 90 s is not dropped after a 60-s grace, and one
-- who closed the page near the front is dropped within seconds of the grace. The
-- pre-queue needs no check-ins: nobody loses a place for waiting before the sale starts.
-- The draw gives each entrant the deadline of the check-in they were told to make after
-- on-sale (pre_queue_poll) plus the grace; from then on the rule above applies.
-- (docs/waiting-room.md has these rules for buyers and organizers.)
-- While admission is paused because nothing is left (cfg.supply, set by the admission
-- tick from the inventory): with every unit held, people ask at the pace the line last
-- moved (a released hold lets the next ones in at once), with no wait estimate; once
-- sold out (nothing held either) everyone asks at the longest interval.
local FRONT, MIN_POLL_MS, MAX_POLL_MS = 100, 2000, 120000

-- The pace a queued person's wait is estimated at (per minute): the fixed rate; in
-- adaptive mode the controller's current rate, so a rise shows at once (people told to
-- come back late, from a trailing count, held the shop's places unused while they
-- slept); in auto mode the admissions of the last minute (admit.lua).
local function line_rate(mode, cfg_rate, stats_key)
  if mode == 'fixed' then return tonumber(cfg_rate) end
  if mode == 'adaptive' then
    return tonumber(redis.call('HGET', stats_key, 'arate') or cfg_rate)
  end
  return tonumber(redis.call('HGET', stats_key, 'measured_rate') or '0')
end

-- (poll ms, estimated wait s or -1 when unknown: no admission rate yet, or paused)
local function queued_poll(rank, rate_per_minute, token_ttl_ms, supply)
  local cap = math.max(MIN_POLL_MS, math.min(MAX_POLL_MS, math.floor(token_ttl_ms / 3)))
  if supply == 'sold_out' then return cap, -1 end
  local wait_s = -1
  if rate_per_minute > 0 then wait_s = math.ceil((rank + 1) * 60 / rate_per_minute) end
  local poll = MIN_POLL_MS
  if rank >= FRONT and wait_s >= 0 then
    poll = math.min(cap, math.max(MIN_POLL_MS, wait_s * 500))
  end
  if supply == 'all_held' then wait_s = -1 end
  return poll, wait_s
end

-- In the pre-queue nothing changes until the draw at on-sale: come back just after it,
-- each person at their own moment within the first PRE_SPREAD_MS (from a hash of the
-- user id), so a pre-queue of tens of thousands does not ask in the same second (halving
-- the time left made everyone ask every 2 s in the last seconds, then again at once).
local PRE_SPREAD_MS = 20000
local function pre_queue_poll(on_sale_ms, user)
  local spread = tonumber(string.sub(redis.sha1hex(user), 1, 6), 16) / 16777216
  local poll = on_sale_ms - now + math.floor(spread * PRE_SPREAD_MS)
  return math.min(MAX_POLL_MS, math.max(MIN_POLL_MS, poll))
end

local function keep_place(seen_key, user, poll_ms, grace_ms, flag)
  if flag then
    redis.call('ZADD', seen_key, flag, now + poll_ms + grace_ms, user)
  else
    redis.call('ZADD', seen_key, now + poll_ms + grace_ms, user)
  end
end
