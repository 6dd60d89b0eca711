from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from ticketsafe.identity.deps import CurrentUser, OptionalUser, require_role
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.errors import Unauthenticated

SECRET = "s" * 40


def test_round_trip_keeps_principal() -> None:
    codec = AccessTokenCodec(SECRET)
    p = Principal("usr_1", frozenset({Role.ORGANIZER}), ("org_1",), "ses_1")
    assert codec.verify(codec.issue(p)) == p


def test_expired_token_refused() -> None:
    codec = AccessTokenCodec(SECRET, ttl_s=60)
    token = codec.issue(Principal("usr_1"), now=1_000_000)
    with pytest.raises(Unauthenticated) as info:
        codec.verify(token)
    assert info.value.instance_code == "token_expired"


def test_token_signed_with_other_key_refused() -> None:
    forged = AccessTokenCodec("o" * 40).issue(Principal("usr_1", frozenset({Role.ADMIN})))
    with pytest.raises(Unauthenticated):
        AccessTokenCodec(SECRET).verify(forged)


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        AccessTokenCodec("short")


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    @app.get("/_test/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"user": user.user_id}

    @app.get("/_test/maybe")
    async def maybe(user: OptionalUser) -> dict[str, str | None]:
        return {"user": user.user_id if user else None}

    @app.get("/_test/org", dependencies=[Depends(require_role(Role.ORGANIZER))])
    async def org_only() -> dict[str, bool]:
        return {"ok": True}

    return app


def _bearer(app: FastAPI, principal: Principal) -> dict[str, str]:
    return {"authorization": f"Bearer {app.state.token_codec.issue(principal)}"}


async def test_endpoints_require_and_check_tokens(app: FastAPI, client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/_test/me")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthenticated"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    garbage = await client.get("/_test/me", headers={"authorization": "Bearer x.y.z"})
    assert garbage.json()["code"] == "invalid_token"
    buyer = _bearer(app, Principal("usr_b"))
    assert (await client.get("/_test/me", headers=buyer)).json() == {"user": "usr_b"}
    assert (await client.get("/_test/maybe")).json() == {"user": None}
    refused = await client.get("/_test/org", headers=buyer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "role_required"
    organizer = _bearer(app, Principal("usr_o", frozenset({Role.ORGANIZER}), ("org_1",)))
    assert (await client.get("/_test/org", headers=organizer)).status_code == 200
