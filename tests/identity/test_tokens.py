from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from tests.members import add_member
from ticketsafe.identity.deps import CurrentUser, OptionalUser, require_role
from ticketsafe.identity.principal import Principal, Role
from ticketsafe.identity.tokens import AccessTokenCodec
from ticketsafe.infra.errors import Unauthenticated

SECRET = "s" * 40


def test_round_trip_keeps_principal() -> None:
    codec = AccessTokenCodec(SECRET)
    p = Principal("usr_1", frozenset({Role.BUYER, Role.ADMIN}), (), "ses_1")
    assert codec.verify(codec.issue(p)) == p


def test_token_carries_no_organizations_and_grants_no_organizer_role() -> None:
    """Both are read live from memberships (`identity.access`), never from a token."""
    codec = AccessTokenCodec(SECRET)
    p = Principal("usr_1", frozenset({Role.BUYER, Role.ORGANIZER}), ("org_1",), "ses_1")
    assert codec.verify(codec.issue(p)) == Principal("usr_1", frozenset({Role.BUYER}), (), "ses_1")


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
    return {"authorization": f"Bearer {app.state.services.token_codec.issue(principal)}"}


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
    organizer = _bearer(app, Principal("usr_o", frozenset({Role.ORGANIZER})))
    assert (await client.get("/_test/org", headers=organizer)).status_code == 403  # no org yet
    await add_member(app.state.resources, "org_1", "usr_o")
    assert (await client.get("/_test/org", headers=organizer)).status_code == 200


def _forge(header: dict[str, object], claims: dict[str, object], key: str = SECRET) -> str:
    """A token signed by an independent JWT implementation (PyJWT), any header/claims."""
    alg = str(header.get("alg", "HS256"))
    if alg == "none":
        return jwt.encode(claims, "", algorithm="none", headers=header)
    return jwt.encode(claims, key, algorithm=alg, headers=header)


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": "ticketsafe", "aud": "ticketsafe-api", "sub": "usr_1",
        "iat": now, "exp": now + 10 * 365 * 86400, "roles": [], "orgs": [], "sid": None,
    }  # fmt: skip
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not _MISSING}


_MISSING = object()


def test_interoperates_with_an_independent_jwt_library() -> None:
    codec = AccessTokenCodec(SECRET)
    ours = codec.issue(Principal("usr_1", frozenset({Role.ADMIN}), ("org_9",), "ses_2"))
    decoded = jwt.decode(ours, SECRET, algorithms=["HS256"], audience="ticketsafe-api")
    assert decoded["sub"] == "usr_1"
    assert decoded["roles"] == ["admin"]
    assert codec.verify(_forge({"alg": "HS256"}, _claims(roles=["admin"]))) == Principal(
        "usr_1", frozenset({Role.ADMIN}), (), None
    )


@pytest.mark.parametrize(
    ("header", "claims"),
    [
        ({"alg": "none"}, _claims()),
        ({"alg": "HS512"}, _claims()),
        ({"alg": "HS256"}, _claims(iss="someone-else")),
        ({"alg": "HS256"}, _claims(aud="another-api")),
        ({"alg": "HS256"}, _claims(exp=_MISSING)),
        ({"alg": "HS256"}, _claims(iat=_MISSING)),
        ({"alg": "HS256"}, _claims(sub=_MISSING)),
        ({"alg": "HS256"}, _claims(sub=42)),
        ({"alg": "HS256"}, _claims(exp="never")),
        ({"alg": "HS256"}, _claims(roles=["emperor"])),
    ],
    ids=[
        "alg-none",
        "alg-hs512",
        "iss",
        "aud",
        "no-exp",
        "no-iat",
        "no-sub",
        "sub-int",
        "exp-str",
        "unknown-role",
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 case
def test_refuses_tokens_we_never_issue(
    header: dict[str, object], claims: dict[str, object]
) -> None:
    with pytest.raises(Unauthenticated) as info:
        AccessTokenCodec(SECRET).verify(_forge(header, claims))
    assert info.value.instance_code == "invalid_token"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "x",
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t.replace(".", "..", 1),
        lambda t: "é" + t,
        lambda t: "",
        lambda t: "a.b.c",
        lambda t: t.split(".")[0] + ".e30." + t.split(".")[2],  # payload swapped for {}
    ],
)
def test_refuses_mangled_tokens(mangle: Callable[[str], str]) -> None:
    codec = AccessTokenCodec(SECRET)
    with pytest.raises(Unauthenticated):
        codec.verify(mangle(codec.issue(Principal("usr_1"))))
