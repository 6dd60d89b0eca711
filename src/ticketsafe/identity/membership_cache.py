"""Which organizations a user belongs to right now, for every organizer action.

MongoDB's `memberships` is the record. Redis keeps each user's organization ids for a
short while (`membership_cache_ttl_s`), so an organizer's request costs one Redis read,
and forgets them the moment a membership changes: creating an organization, adding or
removing a member, erasure all call `invalidate` after their MongoDB write. A miss (or
a flushed Redis) reads MongoDB and fills the cache again.

A fill that read MongoDB just before a change must not put the old list back after the
change's invalidation. Each user has a generation key, set to a fresh random value by
every invalidation; a fill is written only if the generation is still the one it saw
before reading MongoDB (one Lua call), so the old list can never outlive a change.
Both keys share the user's hash tag (`ts:{<user>}:…`): one slot, one `MGET`.
"""

from __future__ import annotations

import secrets

import orjson

from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.redisdb import RedisClient

# KEYS = cache, generation; ARGV = generation seen before reading MongoDB ('' = none),
# the organization ids (JSON), time to live (ms)
_FILL = """
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 0
"""
# KEYS = cache, generation; ARGV = new generation, its time to live (ms)
_INVALIDATE = """
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[1])
return 0
"""
# A fill takes milliseconds; the generation outlives any fill by far.
_GENERATION_TTL_MS = 3_600_000


def _keys(user_id: str) -> list[str]:
    return [f"ts:{{{user_id}}}:auth:orgs", f"ts:{{{user_id}}}:auth:orgs-gen"]


class MembershipCache:
    def __init__(self, repo: IdentityRepository, redis: RedisClient, ttl_s: int) -> None:
        self.repo = repo
        self.redis = redis
        self.ttl_ms = ttl_s * 1000
        self._fill = redis.register_script(_FILL)
        self._invalidate = redis.register_script(_INVALIDATE)

    async def org_ids(self, user_id: str) -> frozenset[str]:
        keys = _keys(user_id)
        cached, generation = await self.redis.mget(keys)
        if cached is not None:
            return frozenset(orjson.loads(cached))
        org_ids = sorted(m.org_id for m in await self.repo.memberships_of(user_id))
        seen = generation.decode() if isinstance(generation, bytes) else ""
        await self._fill(keys=keys, args=[seen, orjson.dumps(org_ids), self.ttl_ms])
        return frozenset(org_ids)

    async def invalidate(self, user_id: str) -> None:
        """Call after the MongoDB write that changed the user's memberships."""
        await self._invalidate(keys=_keys(user_id), args=[secrets.token_hex(8), _GENERATION_TTL_MS])
