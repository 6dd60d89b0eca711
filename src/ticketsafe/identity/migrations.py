"""Identity's collections and indexes (versions 100–199)."""

from __future__ import annotations

from pymongo import ASCENDING

from ticketsafe.identity import repository as r
from ticketsafe.identity.erasures import create_erasures_collection
from ticketsafe.infra.migrations import Migration
from ticketsafe.infra.mongodb import Database


async def _accounts(db: Database) -> None:
    # Unique blind index; erased accounts drop theirs, so the e-mail can register again.
    await db[r.USERS].create_index(
        [("email_index", ASCENDING)], name="email_index", unique=True, sparse=True
    )
    await db[r.SESSIONS].create_index([("user_id", ASCENDING)], name="user")
    await db[r.REFRESH_TOKENS].create_index([("session_id", ASCENDING)], name="session")
    # TTL only tidies; expiry is checked on every use, never left to the sweeper.
    await db[r.REFRESH_TOKENS].create_index(
        [("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0
    )
    await db[r.PASSWORD_RESETS].create_index([("user_id", ASCENDING)], name="user")
    await db[r.PASSWORD_RESETS].create_index(
        [("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0
    )


async def _organizations(db: Database) -> None:
    await db[r.MEMBERSHIPS].create_index([("user_id", ASCENDING)], name="user")
    await db[r.MEMBERSHIPS].create_index([("org_id", ASCENDING)], name="org")
    await db[r.GATE_GRANTS].create_index([("user_id", ASCENDING)], name="user")
    await db[r.GATE_GRANTS].create_index([("org_id", ASCENDING)], name="org")


async def _sessions_by_revocation(db: Database) -> None:
    # The session denylist is rebuilt from the sessions revoked within a token lifetime.
    await db[r.SESSIONS].create_index([("revoked_at", ASCENDING)], name="revoked_at")


MIGRATIONS = [
    Migration(100, "identity: users, sessions, refresh tokens, password resets", _accounts),
    Migration(101, "identity: organizations, memberships, gate grants", _organizations),
    Migration(105, "identity: sessions by revocation time (denylist)", _sessions_by_revocation),
    Migration(
        140, "identity: erasures owed to other domains (re-drive)", create_erasures_collection
    ),
]
