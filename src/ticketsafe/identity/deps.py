"""Authentication dependencies: `CurrentUser` (required) and `OptionalUser`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login")


def get_token_codec(request: Request) -> AccessTokenCodec:
    codec: AccessTokenCodec = request.app.state.token_codec
    return codec


TokenCodecDep = Annotated[AccessTokenCodec, Depends(get_token_codec)]


def get_optional_user(
    codec: TokenCodecDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    return codec.verify(credentials.credentials)


def get_current_user(
    user: Annotated[Principal | None, Depends(get_optional_user)],
) -> Principal:
    if user is None:
        raise Unauthenticated("sign in to continue", headers={"WWW-Authenticate": "Bearer"})
    return user


OptionalUser = Annotated[Principal | None, Depends(get_optional_user)]
CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_role(role: Role) -> Callable[[Principal], Principal]:
    """`Depends(require_role(Role.ORGANIZER))`: 403 unless the caller has the role."""

    def check(user: CurrentUser) -> Principal:
        if not user.has(role):
            raise Forbidden(f"requires the {role.value} role", code="role_required")
        return user

    return check
