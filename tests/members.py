"""Organizers for tests: organizations are read live from MongoDB's memberships (never
from a token), so a test that mints an organizer's token records the membership too."""

from __future__ import annotations

from datetime import UTC, datetime

from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.models import MemberRole
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.resources import Resources


async def add_member(
    resources: Resources, org_id: str, user_id: str, role: MemberRole = MemberRole.OWNER
) -> None:
    """Make `user_id` a member of `org_id` (idempotent), as `POST /organizations` or an
    owner's `POST /organizations/{org}/members` would, cached list invalidated."""
    repo = IdentityRepository(resources.db)
    await repo.add_member(org_id, user_id, role, datetime.now(UTC))
    await MembershipCache(repo, resources.redis, ttl_s=1).invalidate(user_id)
