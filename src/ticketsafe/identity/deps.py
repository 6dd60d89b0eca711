"""Authentication dependencies: `CurrentUser` (required) and `OptionalUser`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.identity.service import AccountService
from ticketsafe.identity.sessions import SessionService
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.identity.vault import PiiVault
from ticketsafe.infra.crypto.keyring import KeyRing
from ticketsafe.infra.deps import DbDep, RedisDep, SettingsDep
from ticketsafe.infra.errors import Forbidden, Unauthenticated
from ticketsafe.infra.fastlane import FastRequest
from ticketsafe.infra.idempotency import VERIFIED_PRINCIPAL
from ticketsafe.infra.ratelimit import RateLimiter

_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login")


async def get_token_codec(request: Request) -> AccessTokenCodec:
    codec: AccessTokenCodec = request.app.state.token_codec
    return codec


TokenCodecDep = Annotated[AccessTokenCodec, Depends(get_token_codec)]


async def get_optional_user(
    request: Request,
    codec: TokenCodecDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    return _verify(codec, credentials.credentials, request.scope)


async def get_current_user(
    user: Annotated[Principal | None, Depends(get_optional_user)],
) -> Principal:
    return _required(user)


def fast_current_user(request: FastRequest) -> Principal:
    """`CurrentUser` for fast-lane handlers: the same token rules and the same 401."""
    header = request.header(b"authorization")
    scheme, _, token = (header or b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _required(None)
    return _required(_verify(request.app.state.token_codec, token.strip(), request.scope))


def _verify(codec: AccessTokenCodec, token: str, scope: Scope) -> Principal:
    verified = scope.get("state", {}).get(VERIFIED_PRINCIPAL)  # by the idempotency layer
    if verified is not None and verified[0] == token:
        principal: Principal = verified[1]
        return principal
    return codec.verify(token)


def _required(user: Principal | None) -> Principal:
    if user is None:
        raise Unauthenticated("sign in to continue", headers={"WWW-Authenticate": "Bearer"})
    return user


OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]
CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_role(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """`Depends(require_role(Role.ORGANIZER))`: 403 unless the caller has the role."""

    async def check(user: CurrentUser) -> Principal:
        if not user.has(role):
            raise Forbidden(f"requires the {role.value} role", code="role_required")
        return user

    return check


async def get_keyring(request: Request) -> KeyRing:
    keyring: KeyRing = request.app.state.keyring
    return keyring


async def get_vault(request: Request, db: DbDep) -> PiiVault:
    """The PII vault (see `ticketsafe.identity.vault`), for any domain's endpoints."""
    return PiiVault(db, await get_keyring(request))


VaultDep = Annotated[PiiVault, Depends(get_vault)]


async def get_repository(db: DbDep) -> IdentityRepository:
    return IdentityRepository(db)


RepositoryDep = Annotated[IdentityRepository, Depends(get_repository)]


async def get_session_service(
    repo: RepositoryDep, codec: TokenCodecDep, settings: SettingsDep
) -> SessionService:
    return SessionService(repo, codec, settings.refresh_token_ttl_s)


SessionServiceDep = Annotated[SessionService, Depends(get_session_service)]


async def get_account_service(
    repo: RepositoryDep,
    vault: VaultDep,
    redis: RedisDep,
    sessions: SessionServiceDep,
    settings: SettingsDep,
) -> AccountService:
    return AccountService(repo, vault, RateLimiter(redis), sessions, settings)


AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]


async def get_organization_service(repo: RepositoryDep, vault: VaultDep) -> OrganizationService:
    return OrganizationService(repo, vault)


OrganizationServiceDep = Annotated[OrganizationService, Depends(get_organization_service)]


async def client_ip(request: Request) -> str:
    """The peer address (uvicorn applies X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


ClientIpDep = Annotated[str, Depends(client_ip)]
