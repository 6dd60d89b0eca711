"""Sessions and rotating refresh tokens with reuse detection.

A login opens a session (the token *family*). Each refresh token is used once: using it
marks it used (guarded update, so of two concurrent uses only one wins) and issues the
next one. Presenting a used token again means it leaked (or a client raced itself): the
whole session is revoked, so the thief's copy and the victim's both stop working.
Tokens are stored only as SHA-256 hashes; a 256-bit random token needs no slow hash.

Revoking a session (logout, reuse detected, password change or reset, erasure) also
puts it on the session denylist (`revocation.py`), which every request checks: its
access tokens stop working at once, not when they expire.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketsafe.identity.errors import InvalidRefreshToken, RefreshTokenReused
from ticketsafe.identity.models import AccountStatus
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.revocation import SessionDenylist
from ticketsafe.identity.tokens import AccessTokenCodec

log = logging.getLogger("ticketsafe.identity")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    principal: Principal


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionService:
    def __init__(
        self,
        repo: IdentityRepository,
        codec: AccessTokenCodec,
        refresh_ttl_s: int,
        denylist: SessionDenylist,
    ) -> None:
        self.repo = repo
        self.codec = codec
        self.refresh_ttl = timedelta(seconds=refresh_ttl_s)
        self.denylist = denylist

    async def principal_for(self, user_id: str, session_id: str | None) -> Principal:
        """Roles as of now: stored roles, organizer while a member, gate staff while
        holding a grant."""
        user = await self.repo.user_by_id(user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            raise InvalidRefreshToken()
        memberships = await self.repo.memberships_of(user_id)
        roles = set(user.roles)
        if memberships:
            roles.add(Role.ORGANIZER)
        if await self.repo.has_gate_grants(user_id):
            roles.add(Role.GATE_STAFF)
        return Principal(
            user_id=user_id,
            roles=frozenset(roles),
            org_ids=tuple(m.org_id for m in memberships),
            session_id=session_id,
        )

    async def open_session(self, user_id: str) -> TokenPair:
        now = datetime.now(UTC)
        session_id = f"ses_{secrets.token_hex(12)}"
        await self.repo.insert_session(session_id, user_id, now)
        return await self._issue(user_id, session_id, now)

    async def refresh(self, refresh_token: str) -> TokenPair:
        now = datetime.now(UTC)
        stored = await self.repo.refresh_token(hash_token(refresh_token))
        if stored is None:
            raise InvalidRefreshToken()
        session = await self.repo.session(stored.session_id)
        if session is None or session.revoked_at is not None:
            raise InvalidRefreshToken()
        if stored.expires_at <= now:
            raise InvalidRefreshToken("refresh token expired")
        if stored.used_at is not None or not await self.repo.mark_refresh_token_used(
            stored.token_hash, now
        ):
            await self.repo.revoke_session(stored.session_id, now)
            await self.denylist.revoke([stored.session_id], now)
            log.warning("refresh token reused; session revoked", extra={"session": session.id})
            raise RefreshTokenReused()
        return await self._issue(stored.user_id, stored.session_id, now)

    async def revoke(self, session_id: str) -> None:
        now = datetime.now(UTC)
        await self.repo.revoke_session(session_id, now)
        await self.denylist.revoke([session_id], now)  # even if MongoDB had it already

    async def revoke_all(self, user_id: str, *, except_session: str | None = None) -> None:
        """Sign the user out everywhere (but `except_session`), effective at once."""
        now = datetime.now(UTC)
        revoked = await self.repo.revoke_user_sessions(user_id, now, except_session=except_session)
        await self.denylist.revoke(revoked, now)

    async def _issue(self, user_id: str, session_id: str, now: datetime) -> TokenPair:
        principal = await self.principal_for(user_id, session_id)
        token = f"rt_{secrets.token_urlsafe(32)}"
        await self.repo.insert_refresh_token(
            hash_token(token), session_id, user_id, now + self.refresh_ttl
        )
        return TokenPair(self.codec.issue(principal), token, self.codec.ttl_s, principal)
