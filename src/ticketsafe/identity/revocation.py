"""Session revocation that takes effect on the next request (invariant 9).

Access tokens are verified without a store lookup (`tokens.py`): what a token cannot
say is whether its session ended since it was issued (logout, refresh-token reuse, a
password change or reset, erasure). MongoDB's `sessions.revoked_at` is the record;
this denylist is its fast copy in Redis, read with every authenticated request.

Only sessions revoked within the last access-token lifetime matter: an older one has
no unexpired token left (refresh refuses a revoked session, so none is issued after).
They live in `SHARDS` sorted sets, `ts:{auth:<n>}:revoked` (a session belongs to shard
crc32(id) mod SHARDS, so a Redis Cluster spreads the reads), scored by the moment the
session's last token expires (ms). Each shard also holds `_built` (score +inf): the
shard was filled from MongoDB. A check is one command on one key,
`ZMSCORE shard _built <session>`, which the auto-pipelining client sends in the same
pipeline as everything else of its event-loop turn; no MongoDB read.

Redis losing the set (FLUSHALL, eviction, failover to an empty replica) loses `_built`
with it: the first check to see that rebuilds every shard from MongoDB (one indexed
query for the sessions revoked within the window; one process-wide rebuild at a time)
before answering, so a revocation never silently lapses. A revocation writes MongoDB
first, then Redis, so a rebuild racing it still finds it in one or the other. (Only a
second flush landing between a rebuild's query and its write could drop a revocation
that raced that rebuild; the next flush-free rebuild restores it.)
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime

from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.errors import Unauthenticated
from ticketsafe.infra.redisdb import RedisClient

SHARDS = 16
_BUILT = "_built"
# Tokens are checked against the issuing instance's clock: keep entries a little longer
# than the token lifetime so clock skew between instances never reopens a session.
_SKEW_MS = 60_000


class SessionRevoked(Unauthenticated):
    code = "session_revoked"
    title = "This session was signed out"


def _key(shard: int) -> str:
    return f"ts:{{auth:{shard}}}:revoked"


def shard_key(session_id: str) -> str:
    return _key(zlib.crc32(session_id.encode()) % SHARDS)


class SessionDenylist:
    def __init__(self, repo: IdentityRepository, redis: RedisClient, token_ttl_s: int) -> None:
        self.repo = repo
        self.redis = redis
        self.window_ms = token_ttl_s * 1000 + _SKEW_MS
        self._rebuild: asyncio.Task[frozenset[str]] | None = None

    async def check(self, session_id: str | None) -> None:
        """Raise `SessionRevoked` (401) if the session has been revoked. A token without
        a session (minted by a holder of the signing key, as the bench does) has none to
        revoke."""
        if session_id is None:
            return
        built, expires = await self.redis.zmscore(shard_key(session_id), [_BUILT, session_id])
        if built is None:
            # Shielded: a caller that goes away does not cancel the rebuild for the rest.
            revoked = session_id in await asyncio.shield(self._rebuilt())
        else:
            revoked = expires is not None and expires > time.time() * 1000
        if revoked:
            raise SessionRevoked("this session was signed out: sign in again")

    async def revoke(self, session_ids: Iterable[str], revoked_at: datetime) -> None:
        """Deny the sessions' live access tokens from now on. Call after recording the
        revocation in MongoDB (the rebuild reads it there)."""
        expires = revoked_at.timestamp() * 1000 + self.window_ms
        by_shard: dict[str, dict[str, float]] = {}
        for session_id in session_ids:
            by_shard.setdefault(shard_key(session_id), {})[session_id] = expires
        now_ms = time.time() * 1000
        for key, members in by_shard.items():
            await self.redis.zadd(key, members)
            await self.redis.zremrangebyscore(key, "-inf", now_ms)  # spent entries

    def _rebuilt(self) -> asyncio.Task[frozenset[str]]:
        if self._rebuild is None or self._rebuild.done():
            self._rebuild = asyncio.create_task(self._build())
        return self._rebuild

    async def _build(self) -> frozenset[str]:
        now_ms = time.time() * 1000
        since = datetime.fromtimestamp((now_ms - self.window_ms) / 1000, UTC)
        revoked = await self.repo.sessions_revoked_since(since)
        shards = {_key(n): {_BUILT: float("inf")} for n in range(SHARDS)}
        live: set[str] = set()
        for session_id, revoked_at in revoked:
            expires = revoked_at.timestamp() * 1000 + self.window_ms
            if expires > now_ms:
                shards[shard_key(session_id)][session_id] = expires
                live.add(session_id)
        # `_built` goes in with the entries, in one command per shard.
        await asyncio.gather(*(self.redis.zadd(key, members) for key, members in shards.items()))
        return frozenset(live)
