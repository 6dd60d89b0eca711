"""Which organizations a user belongs to right now, for every organizer action, and
which events they may scan at the gate, for every scan.

MongoDB's `memberships` and `gate_grants` are the record. Redis keeps each user's
organization ids and gate grants for a short while (`membership_cache_ttl_s`), so an
organizer's request or a steward's scan costs one Redis read, and forgets both the
moment either changes: creating an organization, adding or removing a member, granting
or revoking gate staff, erasure all call `invalidate` after their MongoDB write. A miss
(or a flushed Redis) reads MongoDB and fills the cache again.

A fill that read MongoDB just before a change must not put the old list back after the
change's invalidation. Each user has a generation key, set to a fresh random value by
every invalidation; a fill is written only if the generation is still the one it saw
before reading MongoDB (one Lua call), so the old list can never outlive a change.
Every key of a user shares the user's hash tag (`ts:{<user>}:…`): one slot, one `MGET`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

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
# KEYS = generation, caches...; ARGV = new generation, its time to live (ms)
_INVALIDATE = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 0
"""
# A fill takes milliseconds; the generation outlives any fill by far.
_GENERATION_TTL_MS = 3_600_000


_ORGS, _GATES = "orgs", "gates"  # what is cached per user


def _generation(user_id: str) -> str:
    return f"ts:{{{user_id}}}:auth:orgs-gen"


def _keys(user_id: str, what: str) -> list[str]:
    return [f"ts:{{{user_id}}}:auth:{what}", _generation(user_id)]


class MembershipCache:
    def __init__(self, repo: IdentityRepository, redis: RedisClient, ttl_s: int) -> None:
        self.repo = repo
        self.redis = redis
        self.ttl_ms = ttl_s * 1000
        self._fill = redis.register_script(_FILL)
        self._invalidate = redis.register_script(_INVALIDATE)

    async def org_ids(self, user_id: str) -> frozenset[str]:
        return await self._read(user_id, _ORGS, self._org_ids_of)

    async def gate_grants(self, user_id: str) -> frozenset[str]:
        """`<org id>:<event id>` of every event the user is gate staff for."""
        return await self._read(user_id, _GATES, self.repo.gate_grant_keys)

    async def invalidate(self, user_id: str) -> None:
        """Call after the MongoDB write that changed the user's memberships or grants."""
        keys = [_generation(user_id), *(_keys(user_id, what)[0] for what in (_ORGS, _GATES))]
        await self._invalidate(keys=keys, args=[secrets.token_hex(8), _GENERATION_TTL_MS])

    async def _read(
        self, user_id: str, what: str, load: Callable[[str], Awaitable[list[str]]]
    ) -> frozenset[str]:
        keys = _keys(user_id, what)
        cached, generation = await self.redis.mget(keys)
        if cached is not None:
            return frozenset(orjson.loads(cached))
        values = sorted(await load(user_id))
        seen = generation.decode() if isinstance(generation, bytes) else ""
        await self._fill(keys=keys, args=[seen, orjson.dumps(values), self.ttl_ms])
        return frozenset(values)

    async def _org_ids_of(self, user_id: str) -> list[str]:
        return [m.org_id for m in await self.repo.memberships_of(user_id)]
