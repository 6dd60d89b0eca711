"""Identity's MongoDB queries, named by intent, returning typed models.

Collections: `users` (PII sealed, e-mail by blind index), `sessions` and
`refresh_tokens` (hashed, rotating), `password_resets` (hashed), `organizations`,
`memberships`, `gate_grants`. Personal data never appears here in clear."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from ticketsafe.identity.models import (
    AccountStatus,
    GateGrant,
    MemberRole,
    Membership,
    Organization,
    PasswordReset,
    RefreshToken,
    Session,
    User,
)
from ticketsafe.identity.principal import Role
from ticketsafe.infra.mongodb import Database, Document
from ticketsafe.infra.pagination import Page, keyset_page
from ticketsafe.infra.vault import SealedField, sealed_from_document, sealed_to_document

USERS = "users"
SESSIONS = "sessions"
REFRESH_TOKENS = "refresh_tokens"
PASSWORD_RESETS = "password_resets"  # noqa: S105 - a collection name
ORGANIZATIONS = "organizations"
MEMBERSHIPS = "memberships"
GATE_GRANTS = "gate_grants"


def _user(doc: Document) -> User:
    return User(
        id=doc["_id"],
        status=AccountStatus(doc["status"]),
        roles=frozenset(Role(r) for r in doc.get("roles", [])),
        locale=doc.get("locale", "pt-BR"),
        password_hash=doc.get("password_hash"),
        pii=sealed_from_document(doc.get("pii")),
        created_at=doc["created_at"],
    )


class IdentityRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # users -------------------------------------------------------------------------------
    async def insert_user(
        self,
        user_id: str,
        *,
        email_index: str,
        password_hash: str,
        locale: str,
        pii: dict[str, SealedField],
        now: datetime,
    ) -> bool:
        """False when the e-mail (blind index) is already registered."""
        doc = {
            "_id": user_id,
            "email_index": email_index,
            "password_hash": password_hash,
            "status": AccountStatus.ACTIVE.value,
            "roles": [Role.BUYER.value],
            "locale": locale,
            "pii": sealed_to_document(pii),
            "created_at": now,
        }
        try:
            await self.db[USERS].insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def user_by_id(self, user_id: str) -> User | None:
        doc = await self.db[USERS].find_one({"_id": user_id})
        return _user(doc) if doc else None

    async def active_user_by_email_index(self, email_index: str) -> User | None:
        doc = await self.db[USERS].find_one(
            {"email_index": email_index, "status": AccountStatus.ACTIVE.value}
        )
        return _user(doc) if doc else None

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self.db[USERS].update_one(
            {"_id": user_id}, {"$set": {"password_hash": password_hash}}
        )

    async def update_profile(
        self, user_id: str, *, pii: dict[str, SealedField], locale: str | None
    ) -> None:
        changes: dict[str, Any] = {f"pii.{k}": v.to_document() for k, v in pii.items()}
        if locale is not None:
            changes["locale"] = locale
        if changes:
            await self.db[USERS].update_one(
                {"_id": user_id, "status": AccountStatus.ACTIVE.value}, {"$set": changes}
            )

    async def remove_profile_fields(self, user_id: str, names: list[str]) -> None:
        if names:
            await self.db[USERS].update_one(
                {"_id": user_id}, {"$unset": {f"pii.{n}": "" for n in names}}
            )

    async def anonymise_user(self, user_id: str, now: datetime) -> None:
        """Keep the id (other domains' references and sales figures stay whole)."""
        await self.db[USERS].update_one(
            {"_id": user_id},
            {
                "$set": {"status": AccountStatus.ERASED.value, "erased_at": now, "pii": {}},
                "$unset": {"email_index": "", "password_hash": ""},
            },
        )

    async def grant_role(self, user_id: str, role: Role) -> bool:
        result = await self.db[USERS].update_one(
            {"_id": user_id, "status": AccountStatus.ACTIVE.value},
            {"$addToSet": {"roles": role.value}},
        )
        return bool(result.matched_count)

    # sessions and refresh tokens ---------------------------------------------------------
    async def insert_session(self, session_id: str, user_id: str, now: datetime) -> None:
        await self.db[SESSIONS].insert_one(
            {"_id": session_id, "user_id": user_id, "created_at": now, "revoked_at": None}
        )

    async def session(self, session_id: str) -> Session | None:
        doc = await self.db[SESSIONS].find_one({"_id": session_id})
        if doc is None:
            return None
        return Session(doc["_id"], doc["user_id"], doc["created_at"], doc.get("revoked_at"))

    async def revoke_session(self, session_id: str, now: datetime) -> None:
        await self.db[SESSIONS].update_one(
            {"_id": session_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
        )

    async def revoke_user_sessions(
        self, user_id: str, now: datetime, *, except_session: str | None = None
    ) -> list[str]:
        """Revoke the user's live sessions; returns their ids (for the denylist)."""
        query: Document = {"user_id": user_id, "revoked_at": None}
        live = [d["_id"] async for d in self.db[SESSIONS].find(query, {"_id": 1})]
        ids = [i for i in live if i != except_session]
        if ids:
            await self.db[SESSIONS].update_many(
                {"_id": {"$in": ids}, "revoked_at": None}, {"$set": {"revoked_at": now}}
            )
        return ids

    async def sessions_revoked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """(session id, revoked at) of every session revoked at or after `since`."""
        cursor = self.db[SESSIONS].find(
            {"revoked_at": {"$gte": since}}, {"_id": 1, "revoked_at": 1}
        )
        return [(d["_id"], d["revoked_at"]) async for d in cursor]

    async def insert_refresh_token(
        self, token_hash: str, session_id: str, user_id: str, expires_at: datetime
    ) -> None:
        await self.db[REFRESH_TOKENS].insert_one(
            {
                "_id": token_hash,
                "session_id": session_id,
                "user_id": user_id,
                "expires_at": expires_at,
                "used_at": None,
            }
        )

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        doc = await self.db[REFRESH_TOKENS].find_one({"_id": token_hash})
        if doc is None:
            return None
        return RefreshToken(
            doc["_id"], doc["session_id"], doc["user_id"], doc["expires_at"], doc.get("used_at")
        )

    async def mark_refresh_token_used(self, token_hash: str, now: datetime) -> bool:
        """Guarded: only the first of two concurrent uses gets True."""
        result = await self.db[REFRESH_TOKENS].update_one(
            {"_id": token_hash, "used_at": None}, {"$set": {"used_at": now}}
        )
        return bool(result.modified_count)

    # password resets ---------------------------------------------------------------------
    async def insert_password_reset(
        self, token_hash: str, user_id: str, expires_at: datetime
    ) -> None:
        await self.db[PASSWORD_RESETS].insert_one(
            {"_id": token_hash, "user_id": user_id, "expires_at": expires_at, "used_at": None}
        )

    async def password_reset(self, token_hash: str) -> PasswordReset | None:
        doc = await self.db[PASSWORD_RESETS].find_one({"_id": token_hash})
        if doc is None:
            return None
        return PasswordReset(doc["_id"], doc["user_id"], doc["expires_at"], doc.get("used_at"))

    async def consume_password_reset(self, token_hash: str, now: datetime) -> bool:
        result = await self.db[PASSWORD_RESETS].update_one(
            {"_id": token_hash, "used_at": None}, {"$set": {"used_at": now}}
        )
        return bool(result.modified_count)

    async def delete_user_password_resets(self, user_id: str) -> None:
        await self.db[PASSWORD_RESETS].delete_many({"user_id": user_id})

    # organizations and memberships -------------------------------------------------------
    async def insert_organization(self, org: Organization, owner_id: str) -> None:
        await self.db[ORGANIZATIONS].insert_one(
            {
                "_id": org.id,
                "name": org.name,
                "created_by": org.created_by,
                "created_at": org.created_at,
            }
        )
        await self.add_member(org.id, owner_id, MemberRole.OWNER, org.created_at)

    async def organization(self, org_id: str) -> Organization | None:
        doc = await self.db[ORGANIZATIONS].find_one({"_id": org_id})
        if doc is None:
            return None
        return Organization(doc["_id"], doc["name"], doc["created_by"], doc["created_at"])

    async def organizations(self, org_ids: list[str]) -> list[Organization]:
        cursor = self.db[ORGANIZATIONS].find({"_id": {"$in": org_ids}}).sort("created_at", 1)
        return [
            Organization(d["_id"], d["name"], d["created_by"], d["created_at"])
            async for d in cursor
        ]

    async def add_member(self, org_id: str, user_id: str, role: MemberRole, now: datetime) -> bool:
        """False when already a member."""
        try:
            await self.db[MEMBERSHIPS].insert_one(
                {
                    "_id": f"{org_id}:{user_id}",
                    "org_id": org_id,
                    "user_id": user_id,
                    "role": role.value,
                    "added_at": now,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def membership(self, org_id: str, user_id: str) -> Membership | None:
        doc = await self.db[MEMBERSHIPS].find_one({"_id": f"{org_id}:{user_id}"})
        return _membership(doc) if doc else None

    async def members(self, org_id: str) -> list[Membership]:
        cursor = self.db[MEMBERSHIPS].find({"org_id": org_id}).sort("added_at", 1)
        return [_membership(d) async for d in cursor]

    async def memberships_of(self, user_id: str) -> list[Membership]:
        cursor = self.db[MEMBERSHIPS].find({"user_id": user_id}).sort("added_at", 1)
        return [_membership(d) async for d in cursor]

    async def remove_member(self, org_id: str, user_id: str) -> bool:
        result = await self.db[MEMBERSHIPS].delete_one({"_id": f"{org_id}:{user_id}"})
        return bool(result.deleted_count)

    async def count_owners(self, org_id: str) -> int:
        return await self.db[MEMBERSHIPS].count_documents(
            {"org_id": org_id, "role": MemberRole.OWNER.value}
        )

    async def remove_all_memberships(self, user_id: str) -> None:
        await self.db[MEMBERSHIPS].delete_many({"user_id": user_id})

    # gate staff --------------------------------------------------------------------------
    async def grant_gate(self, grant: GateGrant) -> bool:
        try:
            await self.db[GATE_GRANTS].insert_one(
                {
                    "_id": f"{grant.org_id}:{grant.event_id}:{grant.user_id}",
                    "org_id": grant.org_id,
                    "event_id": grant.event_id,
                    "user_id": grant.user_id,
                    "granted_by": grant.granted_by,
                    "granted_at": grant.granted_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def gate_grant(self, org_id: str, event_id: str, user_id: str) -> GateGrant | None:
        doc = await self.db[GATE_GRANTS].find_one({"_id": f"{org_id}:{event_id}:{user_id}"})
        return _grant(doc) if doc else None

    async def gate_grants_of_org(
        self, org_id: str, *, cursor: str | None, limit: int
    ) -> Page[GateGrant]:
        """One page of the organization's grants, newest first (`infra.pagination`)."""
        return await keyset_page(
            self.db[GATE_GRANTS], {"org_id": org_id}, cursor=cursor, limit=limit,
            model=_grant, field="granted_at",
        )  # fmt: skip

    async def gate_grant_keys(self, user_id: str) -> list[str]:
        """`<org id>:<event id>` of the user's grants (`membership_cache` keeps them)."""
        cursor = self.db[GATE_GRANTS].find({"user_id": user_id}, {"org_id": 1, "event_id": 1})
        return [f"{d['org_id']}:{d['event_id']}" async for d in cursor]

    async def has_gate_grants(self, user_id: str) -> bool:
        return await self.db[GATE_GRANTS].find_one({"user_id": user_id}, {"_id": 1}) is not None

    async def revoke_gate(self, org_id: str, event_id: str, user_id: str) -> bool:
        result = await self.db[GATE_GRANTS].delete_one({"_id": f"{org_id}:{event_id}:{user_id}"})
        return bool(result.deleted_count)

    async def revoke_all_gate_grants(self, user_id: str) -> None:
        await self.db[GATE_GRANTS].delete_many({"user_id": user_id})


def _membership(doc: Document) -> Membership:
    return Membership(doc["org_id"], doc["user_id"], MemberRole(doc["role"]), doc["added_at"])


def _grant(doc: Document) -> GateGrant:
    return GateGrant(
        doc["org_id"], doc["event_id"], doc["user_id"], doc["granted_by"], doc["granted_at"]
    )
