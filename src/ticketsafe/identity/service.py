"""Accounts: registration, login, profile, passwords, erasure; and the PII contract that
other domains use (`seal_pii`, `open_pii`, `contact_of`, `queue_mail_to_user`).

Personal data never leaves this module in clear except in a response to its owner or to
a mail rendered for them; logs and the audit trail carry ids only.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketsafe.identity import erasures, mails
from ticketsafe.identity.erasures import PERSON_ERASED_JOB
from ticketsafe.identity.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidResetToken,
    UserNotFound,
)
from ticketsafe.identity.membership_cache import MembershipCache
from ticketsafe.identity.models import AccountStatus
from ticketsafe.identity.passwords import hash_password, verify_password
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.schemas import AccountCreated, Profile, ProfileUpdate, Registration
from ticketsafe.identity.sessions import SessionService, TokenPair, hash_token
from ticketsafe.infra import audit
from ticketsafe.infra.jobs import JobBuffer
from ticketsafe.infra.mongodb import Database, Document
from ticketsafe.infra.ratelimit import RateLimiter
from ticketsafe.infra.settings import Settings
from ticketsafe.infra.vault import (
    PersonErased,
    PiiVault,
    sealed_from_document,
    sealed_to_document,
)
from ticketsafe.mail.outbox import queue_mail
from ticketsafe.mail.templates import MailTemplate

# The per-account counters (`<kind>:acct:<e-mail blind index>`) of the rate limits below.
_ACCOUNT_LIMITS = ("login", "register", "reset")

PII_FIELDS = ("email", "name", "phone", "cpf")


# --- the PII contract for every domain -----------------------------------------------------
async def seal_pii(vault: PiiVault, person_id: str, fields: Mapping[str, str]) -> Document:
    """Encrypt `fields` under the person's data key; store the returned sub-document as is."""
    return sealed_to_document(await vault.seal(person_id, fields))


async def open_pii(
    vault: PiiVault, person_id: str, stored: Mapping[str, Any] | None
) -> dict[str, str] | None:
    """Decrypt what `seal_pii` returned; None when the person was erased (show "erased"),
    also where an erasure hook already dropped the sealed value itself."""
    if not stored:
        return None
    try:
        return await vault.open(person_id, sealed_from_document(stored))
    except PersonErased:
        return None


async def grant_admin(repo: IdentityRepository, vault: PiiVault, email: str) -> str:
    """Make an existing account a platform admin (the `grant-admin` command)."""
    user = await repo.active_user_by_email_index(vault.email_index(email))
    if user is None or not await repo.grant_role(user.id, Role.ADMIN):
        raise UserNotFound("no active account with this e-mail")
    await audit.record(repo.db, actor="cli", action="identity.admin_granted", subject=user.id)
    return user.id


@dataclass(frozen=True)
class Contact:
    user_id: str
    email: str
    name: str
    locale: str


class AccountService:
    def __init__(
        self,
        repo: IdentityRepository,
        vault: PiiVault,
        limiter: RateLimiter,
        sessions: SessionService,
        settings: Settings,
        *,
        memberships: MembershipCache,
    ) -> None:
        self.memberships = memberships
        self.repo = repo
        self.vault = vault
        self.limiter = limiter
        self.sessions = sessions
        self.settings = settings

    @property
    def db(self) -> Database:
        return self.repo.db

    async def register(self, data: Registration, client_ip: str) -> AccountCreated:
        index = self.vault.email_index(data.email)
        limits = self.settings.rate_limits  # per address and per e-mail (its blind index)
        await self.limiter.hit(f"register:ip:{client_ip}", limits.signup_per_ip, what="sign-ups")
        await self.limiter.hit(f"register:acct:{index}", limits.signup_per_email, what="sign-ups")
        user_id = f"usr_{secrets.token_hex(12)}"
        fields = {"email": data.email, "name": data.name}
        if data.phone:
            fields["phone"] = data.phone
        if data.cpf:
            fields["cpf"] = data.cpf
        sealed = await self.vault.seal(user_id, fields)
        created = await self.repo.insert_user(
            user_id,
            email_index=index,
            password_hash=await hash_password(data.password),
            locale=data.locale,
            pii=sealed,
            now=datetime.now(UTC),
        )
        if not created:
            await self.vault.discard(user_id)  # the data key made for nobody
            raise EmailTaken()
        await audit.record(self.db, actor=user_id, action="identity.registered", subject=user_id)
        return AccountCreated(id=user_id, locale=data.locale)

    async def login(self, email: str, password: str, client_ip: str) -> TokenPair:
        index = self.vault.email_index(email)
        limits, what = self.settings.rate_limits, "sign-in attempts"
        await self.limiter.hit(f"login:ip:{client_ip}", limits.login_per_ip, what=what)
        await self.limiter.hit(f"login:acct:{index}", limits.login_per_account, what=what)
        user = await self.repo.active_user_by_email_index(index)
        # Verify even without a user, against a dummy hash: same timing either way.
        ok = await verify_password(user.password_hash if user else None, password)
        if user is None or not ok:
            raise InvalidCredentials()
        return await self.sessions.open_session(user.id)

    async def profile(self, user_id: str) -> Profile:
        user = await self.repo.user_by_id(user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            raise UserNotFound()
        fields = await self.vault.open(user.id, user.pii)
        principal = await self.sessions.principal_for(user.id, None)
        return Profile(
            id=user.id,
            email=fields["email"],
            name=fields["name"],
            phone=fields.get("phone"),
            cpf=fields.get("cpf"),
            locale=user.locale,
            roles=sorted(principal.roles),
            org_ids=list(principal.org_ids),
            created_at=user.created_at,
        )

    async def update_profile(self, user_id: str, changes: ProfileUpdate) -> None:
        given = changes.model_dump(exclude_unset=True)
        pii = {k: v for k, v in given.items() if k in PII_FIELDS and v is not None}
        cleared = [k for k, v in given.items() if k in ("phone", "cpf") and v is None]
        await self.profile(user_id)  # 404 for an erased account
        sealed = await self.vault.seal(user_id, pii) if pii else {}
        await self.repo.update_profile(user_id, pii=sealed, locale=given.get("locale"))
        await self.repo.remove_profile_fields(user_id, cleared)
        await audit.record(
            self.db,
            actor=user_id,
            action="identity.profile_updated",
            subject=user_id,
            data={"fields": sorted(given)},
        )

    async def change_password(
        self, principal: Principal, current: str, new: str, jobs: JobBuffer
    ) -> None:
        user = await self.repo.user_by_id(principal.user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            raise UserNotFound()
        if not await verify_password(user.password_hash, current):
            raise InvalidCredentials("current password is wrong")
        await self.repo.set_password_hash(user.id, await hash_password(new))
        # Every other device signs in again; this one keeps its session.
        await self.sessions.revoke_all(user.id, except_session=principal.session_id)
        await audit.record(
            self.db, actor=user.id, action="identity.password_changed", subject=user.id
        )
        await self.queue_mail_to_user(user.id, mails.PASSWORD_CHANGED, {}, jobs)

    async def request_password_reset(self, email: str, client_ip: str, jobs: JobBuffer) -> None:
        """Always succeeds from the caller's view: never reveals whether an account exists."""
        index = self.vault.email_index(email)
        limits, what = self.settings.rate_limits, "reset requests"
        await self.limiter.hit(f"reset:ip:{client_ip}", limits.password_reset_per_ip, what=what)
        await self.limiter.hit(f"reset:acct:{index}", limits.password_reset_per_email, what=what)
        user = await self.repo.active_user_by_email_index(index)
        if user is None:
            return
        token = f"pr_{secrets.token_urlsafe(32)}"
        ttl = self.settings.password_reset_ttl_s
        expires = datetime.now(UTC) + timedelta(seconds=ttl)
        await self.repo.insert_password_reset(hash_token(token), user.id, expires)
        # The token rides in the fragment: it never reaches a server log.
        link = f"{self.settings.public_base_url.rstrip('/')}/account/reset-password#token={token}"
        params = {"link": link, "minutes": str(ttl // 60)}
        await self.queue_mail_to_user(user.id, mails.PASSWORD_RESET, params, jobs)

    async def confirm_password_reset(self, token: str, new_password: str) -> None:
        now = datetime.now(UTC)
        reset = await self.repo.password_reset(hash_token(token))
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            raise InvalidResetToken()
        user = await self.repo.user_by_id(reset.user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            raise InvalidResetToken()
        if not await self.repo.consume_password_reset(reset.token_hash, now):
            raise InvalidResetToken()  # a concurrent confirm won
        await self.repo.set_password_hash(user.id, await hash_password(new_password))
        await self.sessions.revoke_all(user.id)
        await audit.record(
            self.db, actor=user.id, action="identity.password_reset", subject=user.id
        )

    async def erase(self, principal: Principal, password: str, jobs: JobBuffer) -> None:
        """LGPD/GDPR erasure: shred the data key (every sealed field, in every collection
        and every backup holding the same data key, becomes unreadable), then anonymise
        the account while keeping its id, so orders and sales figures stay whole."""
        user = await self.repo.user_by_id(principal.user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            raise UserNotFound()
        if not await verify_password(user.password_hash, password):
            raise InvalidCredentials("password is wrong")
        now = datetime.now(UTC)
        fields = await self.vault.open(user.id, user.pii)
        await self.vault.shred(user.id)
        await self.repo.anonymise_user(user.id, now)
        await self.sessions.revoke_all(user.id)
        await self.repo.delete_user_password_resets(user.id)
        await self.repo.remove_all_memberships(user.id)
        await self.repo.revoke_all_gate_grants(user.id)
        await self.memberships.invalidate(user.id)  # after both writes: neither comes back
        # The rate-limit counters are keyed by the e-mail's blind index: a lookup by it.
        index = self.vault.email_index(fields["email"])
        await self.limiter.forget(*(f"{kind}:acct:{index}" for kind in _ACCOUNT_LIMITS))
        await audit.record(self.db, actor=user.id, action="identity.erased", subject=user.id)
        await erasures.record(self.db, user.id, now)  # the other domains' hooks are owed
        jobs.defer(PERSON_ERASED_JOB, {"person_id": user.id})
        jobs.defer(PERSON_ERASED_JOB, {"person_id": user.id}, delay_s=erasures.RERUN_S)

    # --- used by other domains --------------------------------------------------------------
    async def contact_of(self, user_id: str) -> Contact | None:
        """E-mail, name and locale of an active user; None if unknown or erased."""
        user = await self.repo.user_by_id(user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            return None
        fields = await open_pii(self.vault, user.id, sealed_to_document(user.pii))
        if fields is None:
            return None
        return Contact(user.id, fields["email"], fields["name"], user.locale)

    async def queue_mail_to_user(
        self, user_id: str, template: MailTemplate, params: Mapping[str, str], jobs: JobBuffer
    ) -> str | None:
        """Queue `template` for the user in their locale (`name` is filled in)."""
        contact = await self.contact_of(user_id)
        if contact is None:
            return None
        return await queue_mail(
            self.db,
            self.vault,
            jobs,
            recipient_id=user_id,
            to=contact.email,
            locale=contact.locale,
            template=template,
            params={"name": contact.name, **params},
        )
