-- The inventory engine of one event: every hot-path operation is one atomic call here.
--
-- Invariant kept by every op: a unit (reserved seat or GA unit) is in exactly one state.
--   seats  hash  seat -> 'A' available | 'B' blocked | 'H:<hold>' held | 'S:<order>' sold
--   gau    hash  GA unit -> 'H:<hold>' | 'S:<order>'   (absent = free, listed in gafree)
--   gafree zset  free GA units, score = area index * 1e9 + unit number
--   holds  hash  hold -> JSON {b buyer, e expires ms, x extended, c commit deadline, o order,
--                             u units, k kind}
--   exp    zset  hold -> expiry ms (or commit deadline while committing)
--   buyers hash  buyer -> units held + bought (the per-buyer limit)
--   meta   hash  ready, v (version), hold_ms, limit, opens (ms: no hold before the sale
--                starts; 0 = open), ai:<area> index, cap:<area>,
--                b:<seat> blocked in the layout, areas (JSON list), sa (seats available)
--   rows   hash  '<section>#<n>' -> JSON row segment {ids, cat, d} for best-available;
--                '@<seat>' -> '<section>#<n>|<d>' (its segment and distance to the stage)
--   segs   zset  segment ('<section>#<n>') -> distance of its nearest available seat;
--                only segments with an available seat (meta.lv = '2' once built)
-- Every change bumps meta.v and publishes one delta on the event channel.
-- Redis is an accelerator: MongoDB's unique sold-unit ids refuse any second sale even if
-- this state is lost or stale, so nothing here can oversell on its own.
--
-- KEYS: meta seats gau gafree holds exp buyers rows segs channel [idempotency record]
-- ARGV: op, now_ms (0 = server clock), op arguments...
-- A hold may carry an Idempotency-Key: KEYS[11] is its record (same hash tag) and the
-- hold's first answer is kept there, so a retry — even a concurrent one — gets that
-- answer back in the same atomic call instead of a second hold.
local META, SEATS, GAU, GAFREE, HOLDS, EXP, BUYERS, ROWS, SEGS, CHAN =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]

local op = ARGV[1]
local now = tonumber(ARGV[2])
if not now or now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local delta_seats = {}
local delta_ga = {}
local touched = false

local area_index_cache = {}
local function area_index(area)
  local idx = area_index_cache[area]
  if idx == nil then
    idx = tonumber(redis.call('HGET', META, 'ai:' .. area)) or false
    area_index_cache[area] = idx
  end
  return idx
end

local function ga_parts(u)
  local area, k = string.match(u, '^ga:(.*):(%d+)$')
  return area, tonumber(k)
end

local function is_ga(u) return string.sub(u, 1, 3) == 'ga:' end

local function public(st)
  if st == 'A' then return 'available' end
  if st == 'B' then return 'blocked' end
  local c = string.sub(st, 1, 1)
  if c == 'H' then return 'held' end
  return 'sold'
end

-- Current raw state of a unit; GA free units read as 'A', unknown units as false.
local function state_of(u)
  if is_ga(u) then
    local st = redis.call('HGET', GAU, u)
    if st then return st end
    local area, k = ga_parts(u)
    local idx = area and area_index(area)
    if not idx then return false end
    if redis.call('ZSCORE', GAFREE, u) then return 'A' end
    return false
  end
  return redis.call('HGET', SEATS, u)
end

-- meta.sa counts available seats (GA free units are gafree's size), so "is anything
-- left?" is O(1) for the waiting room's sold-out pause. `load` sets it by counting; a
-- state written before the counter existed has none, and `supply` counts it then.
local function count_free_seats()
  local free = 0
  for _, st in ipairs(redis.call('HVALS', SEATS)) do
    if st == 'A' then free = free + 1 end
  end
  redis.call('HSET', META, 'sa', free)
  return free
end

local function seats_free_add(d)
  if redis.call('HEXISTS', META, 'sa') == 1 then redis.call('HINCRBY', META, 'sa', d) end
end

-- Best-available reads row segments in order of their nearest *available* seat (segs),
-- so a segment whose near seats are gone stops being read first. A seat coming free can
-- only bring its segment's distance down (one ZADD); taking the seat that set it makes
-- the segment dirty, and `finish` reads that segment once to find the next nearest.
local dirty_segs = {}

local function seat_segment(u)
  local at = redis.call('HGET', ROWS, '@' .. u)
  if not at then return nil, nil end
  local seg, d = string.match(at, '^(.*)|(%d+)$')
  return seg, tonumber(d)
end

local function segment_changed(u, freed)
  local seg, d = seat_segment(u)
  if not seg then return end  -- no best-available index yet (see ensure_segments)
  local cur = redis.call('ZSCORE', SEGS, seg)
  if freed then
    if not cur or d < tonumber(cur) then redis.call('ZADD', SEGS, d, seg) end
  elseif cur and d <= tonumber(cur) then
    dirty_segs[seg] = true
  end
end

-- The segment's nearest available seat, from its seats' states (nil: none available).
local function refresh_segment(seg, row)
  if not row then
    local raw = redis.call('HGET', ROWS, seg)
    if raw then row = cjson.decode(raw) end
  end
  local nearest = nil
  if row then
    local states = redis.call('HMGET', SEATS, unpack(row.ids))
    for i = 1, #row.ids do
      if states[i] == 'A' and (nearest == nil or row.d[i] < nearest) then nearest = row.d[i] end
    end
  end
  if nearest then redis.call('ZADD', SEGS, nearest, seg) else redis.call('ZREM', SEGS, seg) end
end

-- Build the seat -> segment fields and segs from the row segments, once per layout (load
-- clears meta.lv; a state written before segs existed is indexed on first use).
local function ensure_segments()
  if redis.call('HGET', META, 'lv') == '2' then return end
  redis.call('DEL', SEGS)
  for _, f in ipairs(redis.call('HKEYS', ROWS)) do
    if string.sub(f, 1, 1) ~= '@' and string.find(f, '#', 1, true) then
      local row = cjson.decode(redis.call('HGET', ROWS, f))
      local at = {}
      for i, id in ipairs(row.ids) do
        at[#at + 1] = '@' .. id
        at[#at + 1] = f .. '|' .. row.d[i]
        if #at >= 1000 then  -- unpack() has a limit; rows are rarely this long
          redis.call('HSET', ROWS, unpack(at))
          at = {}
        end
      end
      if #at > 0 then redis.call('HSET', ROWS, unpack(at)) end
      refresh_segment(f, row)
    end
  end
  redis.call('HSET', META, 'lv', '2')
end

local function set_unit(u, st)
  touched = true
  if is_ga(u) then
    local area, k = ga_parts(u)
    delta_ga[area] = true
    if st == 'A' then
      redis.call('HDEL', GAU, u)
      local cap = tonumber(redis.call('HGET', META, 'cap:' .. area)) or 0
      local idx = area_index(area)
      if idx and k < cap then redis.call('ZADD', GAFREE, idx * 1e9 + k, u) end
    else
      redis.call('ZREM', GAFREE, u)
      redis.call('HSET', GAU, u, st)
    end
    return
  end
  local old = redis.call('HGET', SEATS, u)
  if st == 'A' then
    if redis.call('HEXISTS', META, 'r:' .. u) == 1 then
      redis.call('HDEL', SEATS, u)  -- removed from the layout while taken
      if old == 'A' then
        seats_free_add(-1)
        segment_changed(u, false)
      end
      delta_seats[u] = 'removed'
      return
    end
    if redis.call('HEXISTS', META, 'b:' .. u) == 1 then st = 'B' end
  end
  redis.call('HSET', SEATS, u, st)
  if old == 'A' and st ~= 'A' then
    seats_free_add(-1)
    segment_changed(u, false)
  elseif old ~= 'A' and st == 'A' then
    seats_free_add(1)
    segment_changed(u, true)
  end
  delta_seats[u] = public(st)
end

local function buyer_add(b, n)
  if n == 0 then return end
  local left = redis.call('HINCRBY', BUYERS, b, n)
  if left <= 0 then redis.call('HDEL', BUYERS, b) end
end

local function get_hold(hid)
  local raw = redis.call('HGET', HOLDS, hid)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function put_hold(hid, h)
  redis.call('HSET', HOLDS, hid, cjson.encode(h))
end

-- Return a hold's units (only those still held by it) and forget the hold.
local function drop_hold(hid, h)
  local mine = 'H:' .. hid
  for _, u in ipairs(h.u) do
    if state_of(u) == mine then set_unit(u, 'A') end
  end
  redis.call('HDEL', HOLDS, hid)
  redis.call('ZREM', EXP, hid)
  buyer_add(h.b, -#h.u)
  touched = true
end

-- Release due holds. Holds in the middle of a commit are not released here: their MongoDB
-- outcome is unknown, so they are returned for the caller to reconcile with MongoDB first
-- (and pushed back 5 s so they do not block the front of the queue meanwhile).
local function expire_due(limit)
  local due = redis.call('ZRANGEBYSCORE', EXP, '-inf', now, 'LIMIT', 0, limit)
  local released, overdue, gone = 0, {}, {}
  for _, hid in ipairs(due) do
    local h = get_hold(hid)
    if not h then
      redis.call('ZREM', EXP, hid)
    elseif h.c and h.c > 0 then
      overdue[#overdue + 1] = hid
      redis.call('ZADD', EXP, now + 5000, hid)
    else
      drop_hold(hid, h)
      released = released + 1
      gone[#gone + 1] = hid .. ' ' .. h.b
    end
  end
  return released, overdue, gone
end

local function ga_free_count(area)
  local idx = area_index(area)
  if not idx then return 0 end
  return redis.call('ZCOUNT', GAFREE, idx * 1e9, idx * 1e9 + 1e9 - 1)
end

local function finish()
  for seg, _ in pairs(dirty_segs) do refresh_segment(seg) end
  dirty_segs = {}
  if not touched then return tonumber(redis.call('HGET', META, 'v') or '0') end
  local v = redis.call('HINCRBY', META, 'v', 1)
  local ga = {}
  local any_ga = false
  for area, _ in pairs(delta_ga) do
    ga[area] = ga_free_count(area)
    any_ga = true
  end
  local msg = {v = v, seats = delta_seats}
  if any_ga then msg.ga = ga end
  if next(delta_seats) == nil then msg.seats = nil end
  redis.call('PUBLISH', CHAN, cjson.encode(msg))
  return v
end

-- Best available: N adjacent seats in one row segment of a section (optionally one price
-- category), minimising the summed distance to the focus point; a window that would leave
-- a single empty seat beside it is taken only when no other window exists.
-- Segments are read in order of their nearest available seat (segs) and the scan stops
-- once no later segment can beat the best gap-free window found (n * its nearest
-- available seat), so a call reads the few segments that can still win. (Reading them in
-- a fixed nearest-first order instead re-read every row whose near seats were sold: up to
-- 8 ms of the single-threaded Redis per hold in a 50,000-seat section.)
local function best_window(section, cat, n)
  ensure_segments()
  local prefix = section .. '#'
  local best_score, best = nil, nil
  local free_total = 0
  local first, PAGE = 0, 16
  while true do
    local page = redis.call('ZRANGE', SEGS, first, first + PAGE - 1, 'WITHSCORES')
    if #page == 0 then break end
    for p = 1, #page, 2 do
      local seg, nearest = page[p], tonumber(page[p + 1])
      if best_score ~= nil and best_score < 1e15 and best_score <= n * nearest then
        return best, free_total
      end
      if string.sub(seg, 1, #prefix) == prefix then
        local row = cjson.decode(redis.call('HGET', ROWS, seg))
        local ids = row.ids
        local states = redis.call('HMGET', SEATS, unpack(ids))
        local m = #ids
        local function ok(i) return states[i] == 'A' and (cat == '' or row.cat[i] == cat) end
        local i = 1
        while i <= m do
          if ok(i) then
            local j = i
            while j + 1 <= m and ok(j + 1) do j = j + 1 end
            free_total = free_total + (j - i + 1)
            if j - i + 1 >= n then
              local sum = 0
              for t = i, i + n - 1 do sum = sum + row.d[t] end
              for s = i, j - n + 1 do
                if s > i then sum = sum - row.d[s - 1] + row.d[s + n - 1] end
                local gaps = 0
                if s - i == 1 then gaps = gaps + 1 end
                if j - (s + n - 1) == 1 then gaps = gaps + 1 end
                local score = gaps * 1e15 + sum
                if best_score == nil or score < best_score then
                  best_score = score
                  best = {}
                  for t = s, s + n - 1 do best[#best + 1] = ids[t] end
                end
              end
            end
            i = j + 1
          else
            i = i + 1
          end
        end
      end
    end
    first = first + PAGE
  end
  return best, free_total
end

local function not_ready()
  return redis.call('HGET', META, 'ready') ~= '1'
end

-- ---------------------------------------------------------------------------------------
if op == 'load' then
  -- Provision or rebuild. ARGV[3] = JSON spec. With spec.reset (state lost) everything is
  -- rebuilt from MongoDB's facts (layout + sold units); otherwise holds and sales are kept
  -- and only the layout (blocked seats, capacity, new or removed seats) is merged in.
  local spec = cjson.decode(ARGV[3])
  local reset = spec.reset or not_ready()
  if reset then
    redis.call('DEL', META, SEATS, GAU, GAFREE, HOLDS, EXP, BUYERS, ROWS, SEGS)
  else
    -- Drop previous layout flags; they are re-set below from the new layout.
    local fields = redis.call('HKEYS', META)
    for _, f in ipairs(fields) do
      local p = string.sub(f, 1, 2)
      if p == 'b:' or p == 'r:' then redis.call('HDEL', META, f) end
    end
  end
  redis.call('HSET', META, 'hold_ms', spec.hold_ms, 'limit', spec.limit,
    'opens', spec.opens_ms or 0, 'areas', cjson.encode(spec.area_ids))
  local sold = {}
  for _, p in ipairs(spec.sold) do sold[p[1]] = p[2] end
  local in_layout = {}
  for _, s in ipairs(spec.seats) do
    local u, blocked = s[1], s[2] == 1
    in_layout[u] = true
    if blocked then redis.call('HSET', META, 'b:' .. u, '1') end
    local cur = redis.call('HGET', SEATS, u)
    if sold[u] then
      if cur ~= 'S:' .. sold[u] then set_unit(u, 'S:' .. sold[u]) end
    elseif not cur or cur == 'A' or cur == 'B' then
      local want = blocked and 'B' or 'A'
      if cur ~= want then set_unit(u, want) end
    end
  end
  if not reset then
    local all = redis.call('HGETALL', SEATS)
    for i = 1, #all, 2 do
      local u, st = all[i], all[i + 1]
      if not in_layout[u] then
        if st == 'A' or st == 'B' then
          redis.call('HDEL', SEATS, u)
          delta_seats[u] = 'removed'
          touched = true
        else
          redis.call('HSET', META, 'r:' .. u, '1')
        end
      end
    end
  end
  for _, a in ipairs(spec.areas) do
    local area, cap = a[1], a[2]
    -- An area keeps its index for life: free units are scored by it.
    local idx = tonumber(redis.call('HGET', META, 'ai:' .. area))
    if not idx then idx = redis.call('HINCRBY', META, 'next_ai', 1) end
    local old_cap = tonumber(redis.call('HGET', META, 'cap:' .. area)) or cap
    redis.call('HSET', META, 'ai:' .. area, idx, 'cap:' .. area, cap)
    area_index_cache[area] = idx
    delta_ga[area] = true
    touched = true
    local top = math.max(cap, old_cap)
    for k = 0, top - 1 do
      local u = 'ga:' .. area .. ':' .. k
      local cur = redis.call('HGET', GAU, u)
      if sold[u] then
        if cur ~= 'S:' .. sold[u] then
          redis.call('HSET', GAU, u, 'S:' .. sold[u])
          redis.call('ZREM', GAFREE, u)
        end
      elseif not cur then
        if k < cap then
          redis.call('ZADD', GAFREE, idx * 1e9 + k, u)
        else
          redis.call('ZREM', GAFREE, u)
        end
      end
    end
  end
  redis.call('DEL', ROWS)
  for field, value in pairs(spec.rows) do redis.call('HSET', ROWS, field, value) end
  -- New segments: index them afresh (and drop an older state's low-water marks, 'lw').
  redis.call('HDEL', META, 'lw', 'lv')
  ensure_segments()
  count_free_seats()
  if reset then
    for b, n in pairs(spec.buyers) do redis.call('HSET', BUYERS, b, n) end
  end
  redis.call('HSET', META, 'ready', '1')
  touched = true
  local v = redis.call('HINCRBY', META, 'v', 1)
  redis.call('PUBLISH', CHAN, cjson.encode({v = v, reset = true}))
  return {'OK', v}
end

if not_ready() then return {'NOREADY'} end

if op == 'hold' then
  -- ARGV: hold id, buyer, kind (seats|best|ga), JSON params
  --       [, request fingerprint, record ttl ms]   (with KEYS[11], the idempotency record)
  local hid, buyer, kind = ARGV[3], ARGV[4], ARGV[5]
  local idem = KEYS[11]
  if idem then
    local first = redis.call('GET', idem)
    if first then return {'IDEM', first} end
  end
  -- Provisioned ahead of the sale, closed until it starts (by Redis's clock, to the ms).
  local opens = tonumber(redis.call('HGET', META, 'opens')) or 0
  if now < opens then return {'NOTYET', opens} end
  local p = cjson.decode(ARGV[6])
  expire_due(16)
  local n = p.n
  if kind == 'seats' then n = #p.seats end
  local limit = tonumber(redis.call('HGET', META, 'limit')) or 0
  local current = tonumber(redis.call('HGET', BUYERS, buyer) or '0')
  if limit > 0 and current + n > limit then
    finish()
    return {'LIMIT', limit, current}
  end
  local units = {}
  if kind == 'seats' then
    local unknown, taken = {}, {}
    for _, u in ipairs(p.seats) do
      local st = redis.call('HGET', SEATS, u)
      if not st then unknown[#unknown + 1] = u
      elseif st ~= 'A' then taken[#taken + 1] = u end
    end
    if #unknown > 0 then finish(); return {'UNKNOWN', unpack(unknown)} end
    if #taken > 0 then finish(); return {'TAKEN', unpack(taken)} end
    units = p.seats
  elseif kind == 'best' then
    local best, free_total = best_window(p.section, p.cat or '', n)
    if not best then
      finish()
      if free_total < n then return {'SOLDOUT', free_total} end
      return {'NOADJ', free_total}
    end
    units = best
  else
    local idx = area_index(p.area)
    if not idx then finish(); return {'UNKNOWN', 'ga:' .. p.area} end
    units = redis.call('ZRANGEBYSCORE', GAFREE, idx * 1e9, idx * 1e9 + 1e9 - 1, 'LIMIT', 0, n)
    if #units < n then finish(); return {'SOLDOUT', #units} end
  end
  local mine = 'H:' .. hid
  for _, u in ipairs(units) do set_unit(u, mine) end
  local expires = now + tonumber(redis.call('HGET', META, 'hold_ms'))
  put_hold(hid, {b = buyer, e = expires, x = 0, c = 0, o = '', u = units, k = kind})
  redis.call('ZADD', EXP, expires, hid)
  buyer_add(buyer, #units)
  if idem then
    local first = cjson.encode({f = ARGV[7], h = hid, e = expires, u = units})
    redis.call('SET', idem, first, 'PX', tonumber(ARGV[8]))
  end
  local v = finish()
  return {'OK', expires, v, unpack(units)}
end

if op == 'get' then
  local raw = redis.call('HGET', HOLDS, ARGV[3])
  if not raw then return {'GONE'} end
  return {'OK', raw, now}
end

if op == 'release' then
  -- ARGV: hold id, buyer ('' = any: the sweeper after reconciling with MongoDB)
  local hid, buyer = ARGV[3], ARGV[4]
  local h = get_hold(hid)
  if not h then return {'GONE'} end
  if buyer ~= '' and h.b ~= buyer then return {'NOTYOURS'} end
  if buyer ~= '' and h.c > 0 then return {'COMMITTING'} end
  drop_hold(hid, h)
  return {'OK', finish()}
end

if op == 'extend' then
  -- ARGV: hold id, buyer, warning window ms. Once only, and only inside the warning
  -- window before expiry (WCAG 2.2.1: warn, then let the user ask for more time).
  local hid, buyer, warn = ARGV[3], ARGV[4], tonumber(ARGV[5])
  local h = get_hold(hid)
  if not h then return {'GONE'} end
  if h.b ~= buyer then return {'NOTYOURS'} end
  if h.c > 0 then return {'COMMITTING'} end
  if h.e <= now then drop_hold(hid, h); finish(); return {'EXPIRED'} end
  if h.x == 1 then return {'ONCE', h.e} end
  if h.e - now > warn then return {'EARLY', h.e - warn} end
  h.e = now + tonumber(redis.call('HGET', META, 'hold_ms'))
  h.x = 1
  put_hold(hid, h)
  redis.call('ZADD', EXP, h.e, hid)
  return {'OK', h.e}
end

if op == 'commit_begin' then
  -- ARGV: hold id, buyer, order id, grace ms. Marks the hold as committing so neither the
  -- sweeper nor the buyer can release it while the MongoDB write is in flight; if that
  -- caller dies, the sweeper reconciles with MongoDB once the grace has passed.
  local hid, buyer, order, grace = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
  local h = get_hold(hid)
  if not h then return {'GONE'} end
  if h.b ~= buyer then return {'NOTYOURS'} end
  if h.c > 0 then
    if h.o ~= order then return {'COMMITTING'} end
  elseif h.e <= now then
    drop_hold(hid, h); finish(); return {'EXPIRED'}
  end
  h.c = now + grace
  h.o = order
  put_hold(hid, h)
  redis.call('ZADD', EXP, h.c, hid)
  return {'OK', unpack(h.u)}
end

if op == 'commit_done' then
  -- ARGV: hold id, order id, units... MongoDB accepted the sale: mark the units sold.
  -- The hold may have vanished (Redis flushed meanwhile): units still free become sold.
  local hid, order = ARGV[3], ARGV[4]
  local h = get_hold(hid)
  local mine = 'H:' .. hid
  for i = 5, #ARGV do
    local u = ARGV[i]
    local st = state_of(u)
    if st == mine or st == 'A' then set_unit(u, 'S:' .. order) end
  end
  if h then
    redis.call('HDEL', HOLDS, hid)
    redis.call('ZREM', EXP, hid)
  end
  return {'OK', finish()}
end

if op == 'commit_abort' then
  -- ARGV: hold id. The MongoDB write did not happen (or was undone): the hold is held
  -- again until its own expiry (released at once if that has passed).
  local hid = ARGV[3]
  local h = get_hold(hid)
  if not h then return {'GONE'} end
  h.c = 0
  h.o = ''
  if h.e <= now then drop_hold(hid, h); return {'EXPIRED', finish()} end
  put_hold(hid, h)
  redis.call('ZADD', EXP, h.e, hid)
  return {'OK'}
end

if op == 'mark_sold' then
  -- ARGV: pairs unit, order. MongoDB says these units are sold: make Redis agree, even
  -- over a hold that (wrongly) believes it has them; that hold's commit will be refused.
  -- Units of a hold in the middle of its commit are left to that commit (or to the
  -- sweeper's reconciliation): its MongoDB write may still be undone.
  for i = 3, #ARGV, 2 do
    local u, order = ARGV[i], ARGV[i + 1]
    local st = state_of(u)
    local busy = false
    if st and string.sub(st, 1, 2) == 'H:' then
      local h = get_hold(string.sub(st, 3))
      busy = h ~= nil and h.c > 0
    end
    if st and not busy and st ~= 'S:' .. order then set_unit(u, 'S:' .. order) end
  end
  return {'OK', finish()}
end

if op == 'refund' then
  -- ARGV: order id, buyer, units... Sold units of this order become available again.
  local order, buyer = ARGV[3], ARGV[4]
  local n = 0
  for i = 5, #ARGV do
    if state_of(ARGV[i]) == 'S:' .. order then
      set_unit(ARGV[i], 'A')
      n = n + 1
    end
  end
  buyer_add(buyer, -n)
  return {'OK', finish(), n}
end

if op == 'expire' then
  -- released count, overdue commits' count, their ids, then '<hold> <buyer>' released
  local released, overdue, gone = expire_due(tonumber(ARGV[3]))
  finish()
  local reply = {'OK', released, #overdue}
  for _, hid in ipairs(overdue) do reply[#reply + 1] = hid end
  for _, hb in ipairs(gone) do reply[#reply + 1] = hb end
  return reply
end

if op == 'supply' then
  -- Units available now (seats + GA), live holds (whose units may come back), and
  -- whether holds are open (1) or the sale has not started yet (0).
  local sa = tonumber(redis.call('HGET', META, 'sa')) or count_free_seats()
  local open = 1
  if now < (tonumber(redis.call('HGET', META, 'opens')) or 0) then open = 0 end
  return {'OK', sa + redis.call('ZCARD', GAFREE), redis.call('ZCARD', EXP), open}
end

if op == 'avail' then
  local areas = cjson.decode(redis.call('HGET', META, 'areas') or '[]')
  local ga = {}
  for _, area in ipairs(areas) do
    ga[#ga + 1] = {area, tonumber(redis.call('HGET', META, 'cap:' .. area)), ga_free_count(area)}
  end
  local v = tonumber(redis.call('HGET', META, 'v'))
  return {'OK', v, cjson.encode(ga), redis.call('HGETALL', SEATS)}
end

return redis.error_reply('unknown op ' .. tostring(op))
