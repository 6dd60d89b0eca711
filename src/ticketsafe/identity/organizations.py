"""Organizations (the organizer tenants), their members, and per-event gate staff.

Every call checks membership in the database, not the token's org list, so removing a
member takes effect at once. Someone outside the organization gets 404 (its existence is
not revealed); a member who is not an owner gets 403 for owner-only changes.

Gate staff grants are (org_id, event_id, user_id): event ids are opaque here, so a grant
counts only together with the organization that owns the event. The checkin domain asks
`is_gate_staff(user_id, event_id, event_org_id)` with the owner it gets from the catalog,
so an organization granting staff on someone else's event id achieves nothing; and the
grant itself is refused (404) unless the event is the organization's (`event_owner`,
the catalog's answer, handed in by the composition root: identity does not import the
catalog).

Every membership or gate-grant change invalidates the member's cached organizations
and grants (`membership_cache.py`) after the MongoDB write, so organizer actions and the
next scan see it at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from ticketsafe.identity.errors import (
    EventNotInOrganization,
    OrganizationNotFound,
    OwnerRequired,
    UserNotFound,
)
from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.models import (
    AccountStatus,
    GateGrant,
    MemberRole,
    Membership,
    Organization,
)
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra import audit
from ticketsafe.infra.errors import BusinessRuleViolation, Conflict, NotFound
from ticketsafe.infra.pagination import Page
from ticketsafe.infra.vault import PiiVault

# event id → the organization that owns it (None: no such event)
EventOwner = Callable[[str], Awaitable[str | None]]


class OrganizationService:
    def __init__(
        self,
        repo: IdentityRepository,
        vault: PiiVault,
        memberships: MembershipCache,
        event_owner: EventOwner,
    ) -> None:
        self.repo = repo
        self.vault = vault
        self.memberships = memberships
        self.event_owner = event_owner

    async def create(self, principal: Principal, name: str) -> tuple[Organization, Membership]:
        now = datetime.now(UTC)
        org = Organization(f"org_{secrets.token_hex(10)}", name, principal.user_id, now)
        await self.repo.insert_organization(org, principal.user_id)
        await self.memberships.invalidate(principal.user_id)  # an organizer from now on
        await audit.record(
            self.repo.db, actor=principal.user_id, action="identity.org_created", subject=org.id
        )
        return org, Membership(org.id, principal.user_id, MemberRole.OWNER, now)

    async def mine(self, principal: Principal) -> list[tuple[Organization, Membership]]:
        memberships = {m.org_id: m for m in await self.repo.memberships_of(principal.user_id)}
        orgs = await self.repo.organizations(list(memberships))
        return [(o, memberships[o.id]) for o in orgs]

    async def get(self, principal: Principal, org_id: str) -> tuple[Organization, Membership]:
        membership = await self._membership(principal, org_id)
        org = await self.repo.organization(org_id)
        if org is None:
            raise OrganizationNotFound()
        return org, membership

    async def members(self, principal: Principal, org_id: str) -> list[Membership]:
        await self._membership(principal, org_id)
        return await self.repo.members(org_id)

    async def add_member(
        self, principal: Principal, org_id: str, email: str, role: MemberRole
    ) -> Membership:
        await self._owner(principal, org_id)
        user = await self.repo.active_user_by_email_index(self.vault.email_index(email))
        if user is None:
            raise UserNotFound("no account with this e-mail")
        now = datetime.now(UTC)
        if not await self.repo.add_member(org_id, user.id, role, now):
            raise Conflict("already a member", code="already_member")
        await self.memberships.invalidate(user.id)
        await audit.record(
            self.repo.db,
            actor=principal.user_id,
            action="identity.member_added",
            subject=org_id,
            data={"user_id": user.id, "role": role.value},
        )
        return Membership(org_id, user.id, role, now)

    async def remove_member(self, principal: Principal, org_id: str, user_id: str) -> None:
        if user_id != principal.user_id:  # anyone may leave; only owners remove others
            await self._owner(principal, org_id)
        else:
            await self._membership(principal, org_id)
        target = await self.repo.membership(org_id, user_id)
        if target is None:
            raise NotFound("not a member", code="member_not_found")
        if target.role is MemberRole.OWNER and await self.repo.count_owners(org_id) <= 1:
            raise BusinessRuleViolation(
                "an organization keeps at least one owner", code="last_owner"
            )
        await self.repo.remove_member(org_id, user_id)
        await self.memberships.invalidate(user_id)  # effective on their next request
        await audit.record(
            self.repo.db,
            actor=principal.user_id,
            action="identity.member_removed",
            subject=org_id,
            data={"user_id": user_id},
        )

    # --- gate staff ---------------------------------------------------------------------
    async def grant_gate_staff(
        self, principal: Principal, org_id: str, event_id: str, user_id: str
    ) -> GateGrant:
        await self._owner(principal, org_id)
        if await self.event_owner(event_id) != org_id:  # someone else's, or none at all
            raise EventNotInOrganization(f"organization {org_id} has no event {event_id}")
        user = await self.repo.user_by_id(user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            raise UserNotFound()
        grant = GateGrant(org_id, event_id, user_id, principal.user_id, datetime.now(UTC))
        if not await self.repo.grant_gate(grant):  # granted before: answer the same
            existing = await self.repo.gate_grant(org_id, event_id, user_id)
            return existing or grant
        await self.memberships.invalidate(user_id)  # may scan from the next request
        await audit.record(
            self.repo.db,
            actor=principal.user_id,
            action="identity.gate_granted",
            subject=f"event:{event_id}",
            data={"user_id": user_id, "org_id": org_id},
        )
        return grant

    async def gate_staff(
        self, principal: Principal, org_id: str, *, cursor: str | None, limit: int
    ) -> Page[GateGrant]:
        await self._membership(principal, org_id)
        return await self.repo.gate_grants_of_org(org_id, cursor=cursor, limit=limit)

    async def revoke_gate_staff(
        self, principal: Principal, org_id: str, event_id: str, user_id: str
    ) -> None:
        await self._owner(principal, org_id)
        if not await self.repo.revoke_gate(org_id, event_id, user_id):
            raise NotFound("no such grant", code="gate_grant_not_found")
        await self.memberships.invalidate(user_id)  # stops at the next scan
        await audit.record(
            self.repo.db,
            actor=principal.user_id,
            action="identity.gate_revoked",
            subject=f"event:{event_id}",
            data={"user_id": user_id, "org_id": org_id},
        )

    async def is_gate_staff(self, user_id: str, event_id: str, event_org_id: str) -> bool:
        """For the checkin domain: may `user_id` scan tickets of `event_id`, which belongs
        to `event_org_id` (from the catalog)? Members of that organization may too.
        Both answers come from the membership cache (one Redis read each, every scan),
        which every grant, revocation and membership change invalidates."""
        if f"{event_org_id}:{event_id}" in await self.memberships.gate_grants(user_id):
            return True
        return event_org_id in await self.memberships.org_ids(user_id)

    async def is_member(self, user_id: str, org_id: str) -> bool:
        """For other domains: is `user_id` a member of `org_id` right now?"""
        return await self.repo.membership(org_id, user_id) is not None

    async def _membership(self, principal: Principal, org_id: str) -> Membership:
        membership = await self.repo.membership(org_id, principal.user_id)
        if membership is None:
            if Role.ADMIN in principal.roles and await self.repo.organization(org_id):
                return Membership(org_id, principal.user_id, MemberRole.OWNER, datetime.now(UTC))
            raise OrganizationNotFound()
        return membership

    async def _owner(self, principal: Principal, org_id: str) -> Membership:
        membership = await self._membership(principal, org_id)
        if membership.role is not MemberRole.OWNER:
            raise OwnerRequired()
        return membership
