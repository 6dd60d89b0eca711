"""What a verified access token is worth right now (invariant 9: authorization reads
membership, not only the token).

A token proves who is calling and which session it belongs to. Whether that session
still stands is the denylist's answer (`revocation.py`, every request); which
organizations the caller belongs to is the membership cache's (`membership_cache.py`,
organizer actions only). Built once per process, in the app's lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import TypeVar

from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.revocation import SessionDenylist, SessionRevoked
from ticketsafe.infra.mongodb import Database
from ticketsafe.infra.redisdb import RedisClient
from ticketsafe.infra.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Access:
    sessions: SessionDenylist
    memberships: MembershipCache

    @classmethod
    def build(cls, db: Database, redis: RedisClient, settings: Settings) -> Access:
        repo = IdentityRepository(db)
        return cls(
            SessionDenylist(repo, redis, settings.access_token_ttl_s),
            MembershipCache(repo, redis, settings.membership_cache_ttl_s),
        )

    async def authenticate(self, principal: Principal) -> Principal:
        """The token's principal, if its session still stands (else 401)."""
        await self.sessions.check(principal.session_id)
        return principal

    async def as_member(self, principal: Principal) -> Principal:
        """The principal with its organizations as of now (and the organizer role while
        it has any); the session check rides in the same Redis round trip."""
        _, org_ids = await asyncio.gather(
            self.sessions.check(principal.session_id),
            self.memberships.org_ids(principal.user_id),
        )
        return with_organizations(principal, org_ids)

    async def while_signed_in(
        self, principal: Principal, chunks: AsyncIterator[T]
    ) -> AsyncIterator[T]:
        """A long answer (an event stream) that ends with its session: the session is
        checked before each chunk goes out (one Redis command each), so a logout or a
        detected reuse stops a stream already open, not only the next request."""
        try:
            async for chunk in chunks:
                try:
                    await self.sessions.check(principal.session_id)
                except SessionRevoked:
                    return
                yield chunk
        finally:
            aclose = getattr(chunks, "aclose", None)  # an async generator: let it clean up
            if aclose is not None:
                await aclose()


def with_organizations(principal: Principal, org_ids: frozenset[str]) -> Principal:
    roles = set(principal.roles) - {Role.ORGANIZER}
    if org_ids:
        roles.add(Role.ORGANIZER)
    return replace(principal, roles=frozenset(roles), org_ids=tuple(sorted(org_ids)))
