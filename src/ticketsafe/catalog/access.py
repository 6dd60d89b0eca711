"""Who may reach which catalog object. An organizer reaches only the venues and events of
organizations they belong to; anything else looks exactly like a missing object (404),
so ids cannot be probed across tenants. Organization-level collections answer 403."""

from __future__ import annotations

from ticketsafe.catalog.errors import NotAMember
from ticketsafe.identity.principal import Principal


def ensure_member(principal: Principal, org_id: str) -> None:
    if not principal.member_of(org_id):
        raise NotAMember(f"not a member of organization {org_id}")


def actor_of(principal: Principal) -> str:
    return f"user:{principal.user_id}"
