"""The membership cache against real MongoDB and Redis: filled on a miss, forgotten on
every change, rebuilt after Redis loses it, and never refilled with a list read before
a change that was invalidated meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.models import MemberRole, Membership
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.resources import Resources


async def _join(repo: IdentityRepository, org_id: str, user_id: str) -> None:
    await repo.add_member(org_id, user_id, MemberRole.MEMBER, datetime.now(UTC))


async def test_cached_until_invalidated_then_read_again(resources: Resources) -> None:
    repo = IdentityRepository(resources.db)
    cache = MembershipCache(repo, resources.redis, ttl_s=600)
    await _join(repo, "org_a", "usr_1")
    assert await cache.org_ids("usr_1") == {"org_a"}
    await _join(repo, "org_b", "usr_1")
    assert await cache.org_ids("usr_1") == {"org_a"}  # cached: nobody said it changed
    await cache.invalidate("usr_1")
    assert await cache.org_ids("usr_1") == {"org_a", "org_b"}
    await resources.redis.flushdb()
    await repo.remove_member("org_a", "usr_1")
    assert await cache.org_ids("usr_1") == {"org_b"}  # rebuilt from MongoDB


class _ChangedWhileReading(IdentityRepository):
    """Removes the membership (MongoDB write, then invalidation, as the service does)
    right after a fill read MongoDB and before it writes Redis: the race to lose."""

    cache: MembershipCache

    async def memberships_of(self, user_id: str) -> list[Membership]:
        found = await super().memberships_of(user_id)
        await self.remove_member("org_a", user_id)
        await self.cache.invalidate(user_id)
        return found


async def test_a_fill_that_read_before_a_change_is_not_kept(resources: Resources) -> None:
    racing = _ChangedWhileReading(resources.db)
    racing.cache = MembershipCache(racing, resources.redis, ttl_s=600)
    await _join(racing, "org_a", "usr_1")
    assert await racing.cache.org_ids("usr_1") == {"org_a"}  # read before the removal
    plain = MembershipCache(IdentityRepository(resources.db), resources.redis, ttl_s=600)
    assert await plain.org_ids("usr_1") == frozenset()  # the stale list was never cached
