"""Who is calling: the authenticated principal carried by an access token."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    ORGANIZER = "organizer"
    GATE_STAFF = "gate_staff"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.BUYER}))
    # The organizations the caller belongs to, read live by `identity.access.Access
    # .as_member` (the `CurrentMember` dependency); never from the token, so empty for a
    # principal straight from `CurrentUser`.
    org_ids: tuple[str, ...] = ()
    session_id: str | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles

    def member_of(self, org_id: str) -> bool:
        return org_id in self.org_ids or Role.ADMIN in self.roles
