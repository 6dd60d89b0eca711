"""Identity's stored models (what the repository returns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ticketsafe.identity.principal import Role
from ticketsafe.infra.vault import SealedField


class AccountStatus(StrEnum):
    ACTIVE = "active"
    ERASED = "erased"


class MemberRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


@dataclass(frozen=True)
class User:
    id: str
    status: AccountStatus
    roles: frozenset[Role]
    locale: str
    password_hash: str | None
    pii: dict[str, SealedField]
    created_at: datetime


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class RefreshToken:
    token_hash: str
    session_id: str
    user_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class PasswordReset:
    token_hash: str
    user_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    org_id: str
    user_id: str
    role: MemberRole
    added_at: datetime


@dataclass(frozen=True)
class GateGrant:
    org_id: str
    event_id: str
    user_id: str
    granted_by: str
    granted_at: datetime
