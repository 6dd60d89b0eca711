"""Authentication dependencies: `CurrentUser` (required) and `OptionalUser`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from ticketsafe.identity.access import Access
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.service import AccountService
from ticketsafe.identity.sessions import SessionService
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.errors import Forbidden, Unauthenticated
from ticketsafe.infra.fastlane import FastRequest
from ticketsafe.infra.idempotency import VERIFIED_PRINCIPAL
from ticketsafe.infra.request_context import note_user
from ticketsafe.infra.vault import PiiVault

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login")


# Every service below is the process's one instance, built by the composition root
# (`ticketsafe.services`) and read from `app.state.services`: none is made per request.


async def get_token_codec(request: Request) -> AccessTokenCodec:
    codec: AccessTokenCodec = request.app.state.services.token_codec
    return codec


TokenCodecDep = Annotated[AccessTokenCodec, Depends(get_token_codec)]


async def get_access(request: Request) -> Access:
    access: Access = request.app.state.services.access
    return access


AccessDep = Annotated[Access, Depends(get_access)]


async def _token_principal(
    request: Request,
    codec: TokenCodecDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The token's principal, verified (signature, expiry), not yet checked live."""
    if credentials is None:
        return None
    return _verify(codec, credentials.credentials, request.scope)


_TokenPrincipal = Annotated[Principal | None, Depends(_token_principal)]


async def get_optional_user(token: _TokenPrincipal, access: AccessDep) -> Principal | None:
    return None if token is None else await access.authenticate(token)


async def get_current_user(
    user: Annotated[Principal | None, Depends(get_optional_user)],
) -> Principal:
    return _required(user)


async def get_current_member(token: _TokenPrincipal, access: AccessDep) -> Principal:
    """`CurrentUser` with the organizations it belongs to as of now (`org_ids`), and the
    organizer role while it has any: what every organizer action decides on."""
    return await access.as_member(_required(token))


async def fast_current_user(request: FastRequest) -> Principal:
    """`CurrentUser` for fast-lane handlers: the same token rules, the same session
    check (one Redis command, pipelined with the turn's others) and the same 401."""
    return await _fast_access(request).authenticate(_fast_token_user(request))


async def fast_read_as_user(request: FastRequest, read: Callable[[Principal], Awaitable[T]]) -> T:
    """`read(user)` with the session check folded into the same Redis round trip: both
    start in one event-loop turn, so the auto-pipelining client sends them together.
    Only for work that is safe to have done for a revoked session whose answer is then
    withheld (a queue poll: its check-in keeps a place that can never hold, as holds
    check the session first). A revoked session gets the 401, whatever `read` raised."""
    user = _fast_token_user(request)
    checked, answer = await asyncio.gather(
        _fast_access(request).authenticate(user), read(user), return_exceptions=True
    )
    if isinstance(checked, BaseException):
        raise checked
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _fast_token_user(request: FastRequest) -> Principal:
    header = request.header(b"authorization")
    scheme, _, token = (header or b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _required(None)
    return _verify(request.app.state.services.token_codec, token.strip(), request.scope)


def _fast_access(request: FastRequest) -> Access:
    access: Access = request.app.state.services.access
    return access


def _verify(codec: AccessTokenCodec, token: str, scope: Scope) -> Principal:
    verified = scope.get("state", {}).get(VERIFIED_PRINCIPAL)  # by the idempotency layer
    if verified is not None and verified[0] == token:
        principal: Principal = verified[1]
    else:
        principal = codec.verify(token)
    note_user(scope, principal.user_id)  # the logs name who asked (an id, never a name)
    return principal


def _required(user: Principal | None) -> Principal:
    if user is None:
        raise Unauthenticated("sign in to continue", headers={"WWW-Authenticate": "Bearer"})
    return user


OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]
CurrentUser = Annotated[Principal, Depends(get_current_user)]
CurrentMember = Annotated[Principal, Depends(get_current_member)]

_NO_ORGANIZATION = (
    "requires the organizer role: you belong to no organization. Create one "
    "(POST /organizations) or ask an owner to add you (POST /organizations/{org_id}/members)"
    "; membership counts at once, no new token needed"
)


def require_role(role: Role) -> Callable[..., Awaitable[Principal]]:
    """`Depends(require_role(Role.ORGANIZER))`: 403 unless the caller has the role. The
    organizer role is live membership (`CurrentMember`), never a token's claim."""
    if role is Role.ORGANIZER:

        async def check_organizer(user: CurrentMember) -> Principal:
            if not user.has(role):
                raise Forbidden(_NO_ORGANIZATION, code="role_required")
            return user

        return check_organizer

    async def check(user: CurrentUser) -> Principal:
        if not user.has(role):
            raise Forbidden(f"requires the {role.value} role", code="role_required")
        return user

    return check


# An organizer as of now: live memberships in `org_ids`, 403 with what to do otherwise.
Organizer = Annotated[Principal, Depends(require_role(Role.ORGANIZER))]


async def get_vault(request: Request) -> PiiVault:
    """The PII vault (see `ticketsafe.infra.vault`), for any domain's endpoints."""
    vault: PiiVault = request.app.state.services.vault
    return vault


VaultDep = Annotated[PiiVault, Depends(get_vault)]


async def get_session_service(request: Request) -> SessionService:
    sessions: SessionService = request.app.state.services.sessions
    return sessions


SessionServiceDep = Annotated[SessionService, Depends(get_session_service)]


async def get_account_service(request: Request) -> AccountService:
    accounts: AccountService = request.app.state.services.accounts
    return accounts


AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]


async def get_organization_service(request: Request) -> OrganizationService:
    organizations: OrganizationService = request.app.state.services.organizations
    return organizations


OrganizationServiceDep = Annotated[OrganizationService, Depends(get_organization_service)]


async def client_ip(request: Request) -> str:
    """The peer address (uvicorn applies X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


ClientIpDep = Annotated[str, Depends(client_ip)]
