"""Who may reach which catalog object. Only organizers (the role) who belong to the owning
organization manage its venues and events; to anyone else such an object looks exactly
like a missing one (404), so ids cannot be probed across tenants. Organization-level
collections answer 403 to non-members.

`principal` must come with its live memberships (`identity.deps.Organizer` /
`CurrentMember`, or `Access.as_member`): a token's own principal has none."""

from __future__ import annotations

from ticketsafe.catalog.errors import NotAMember
from ticketsafe.identity.principal import Principal, Role


def manages(principal: Principal | None, org_id: str) -> bool:
    return principal is not None and principal.has(Role.ORGANIZER) and principal.member_of(org_id)


def ensure_member(principal: Principal, org_id: str) -> None:
    if not manages(principal, org_id):
        raise NotAMember(
            f"not an organizer of organization {org_id}: ask one of its owners to add you"
        )


def actor_of(principal: Principal) -> str:
    return f"user:{principal.user_id}"
