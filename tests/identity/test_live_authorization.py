"""Authorization reads membership and sessions, not only the token (invariant 9): a new
owner acts at once, a removed member loses access on the next request, and logout,
refresh-token reuse and a password change end the session's access tokens at once —
also after Redis loses the denylist."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from tests.catalog.conftest import small_venue
from tests.identity.conftest import PASSWORD, Account, login, signed_up
from ticketsafe.identity.access import Access
from ticketsafe.identity.principal import Principal
from ticketsafe.infra.resources import Resources


async def _organization(client: httpx.AsyncClient, owner: Account, name: str = "Arena") -> str:
    r = await client.post("/organizations", headers=owner.headers, json={"name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _venue(client: httpx.AsyncClient, account: Account, org_id: str) -> httpx.Response:
    return await client.post(
        f"/organizations/{org_id}/venues", json=small_venue(), headers=account.headers
    )


async def test_a_new_owner_creates_a_venue_with_the_same_token(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    org_id = await _organization(client, owner)
    created = await _venue(client, owner, org_id)  # no refresh, no new login
    assert created.status_code == 201, created.text
    events = await client.get(f"/organizations/{org_id}/events", headers=owner.headers)
    assert events.status_code == 200


async def test_the_organizer_403_says_what_to_do(client: httpx.AsyncClient) -> None:
    buyer = await signed_up(client, "buyer@example.com")
    refused = await _venue(client, buyer, "org_somewhere")
    assert (refused.status_code, refused.json()["code"]) == (403, "role_required")
    assert "POST /organizations" in refused.json()["detail"]
    assert "no new token" in refused.json()["detail"]


async def test_a_removed_member_is_refused_on_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    owner = await signed_up(client, "owner@example.com")
    member = await signed_up(client, "member@example.com")
    org_id = await _organization(client, owner)
    added = await client.post(
        f"/organizations/{org_id}/members", headers=owner.headers,
        json={"email": "member@example.com"},
    )  # fmt: skip
    assert added.status_code == 201
    # The member acts with the token from before they joined (memberships are cached now).
    assert (await _venue(client, member, org_id)).status_code == 201
    orders = await client.get(f"/orgs/{org_id}/orders", headers=member.headers)
    assert orders.status_code == 200
    removed = await client.delete(
        f"/organizations/{org_id}/members/{member.user_id}", headers=owner.headers
    )
    assert removed.status_code == 204
    refused = await _venue(client, member, org_id)
    assert (refused.status_code, refused.json()["code"]) == (403, "role_required")
    orders = await client.get(f"/orgs/{org_id}/orders", headers=member.headers)
    assert orders.status_code == 403
    venues = await client.get(f"/organizations/{org_id}/venues", headers=member.headers)
    assert venues.status_code == 403


async def test_leaving_one_of_two_organizations_keeps_the_other(
    client: httpx.AsyncClient,
) -> None:
    owner = await signed_up(client, "owner@example.com")
    member = await signed_up(client, "member@example.com")
    first, second = (
        await _organization(client, owner),
        await _organization(client, owner, "Arena B"),
    )
    for org_id in (first, second):
        await client.post(
            f"/organizations/{org_id}/members", headers=owner.headers,
            json={"email": "member@example.com"},
        )  # fmt: skip
    assert (await _venue(client, member, first)).status_code == 201
    await client.delete(f"/organizations/{first}/members/{member.user_id}", headers=member.headers)
    refused = await _venue(client, member, first)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_an_organization_member")
    assert (await client.get(f"/orgs/{first}/orders", headers=member.headers)).status_code == 404
    assert (await _venue(client, member, second)).status_code == 201


async def test_logout_ends_the_access_token_at_once(client: httpx.AsyncClient) -> None:
    account = await signed_up(client, "ana@example.com")
    assert (await client.get("/me", headers=account.headers)).status_code == 200
    assert (await client.post("/auth/logout", headers=account.headers)).status_code == 204
    after = await client.get("/me", headers=account.headers)
    assert (after.status_code, after.json()["code"]) == (401, "session_revoked")


async def test_refresh_token_reuse_ends_every_access_token_of_the_session(
    client: httpx.AsyncClient,
) -> None:
    first = await signed_up(client, "ana@example.com")
    rotated = await client.post("/auth/refresh", json={"refresh_token": first.refresh_token})
    second = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    assert (await client.get("/me", headers=second)).status_code == 200
    reused = await client.post("/auth/refresh", json={"refresh_token": first.refresh_token})
    assert reused.json()["code"] == "refresh_token_reused"
    for headers in (first.headers, second):
        denied = await client.get("/me", headers=headers)
        assert (denied.status_code, denied.json()["code"]) == (401, "session_revoked")


async def test_a_password_change_ends_the_other_sessions_at_once(
    client: httpx.AsyncClient,
) -> None:
    here = await signed_up(client, "ana@example.com")
    there = (await login(client, "ana@example.com")).json()
    elsewhere = {"Authorization": f"Bearer {there['access_token']}"}
    changed = await client.post(
        "/auth/password", headers=here.headers,
        json={"current_password": PASSWORD, "new_password": "another long passphrase"},
    )  # fmt: skip
    assert changed.status_code == 204
    assert (await client.get("/me", headers=elsewhere)).status_code == 401
    assert (await client.get("/me", headers=here.headers)).status_code == 200


async def test_the_denylist_is_rebuilt_from_mongodb_when_redis_loses_it(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    gone = await signed_up(client, "ana@example.com")
    kept = await signed_up(client, "bia@example.com")
    await client.post("/auth/logout", headers=gone.headers)
    await resources.redis.flushdb()  # FLUSHALL, eviction, failover to an empty replica
    denied = await client.get("/me", headers=gone.headers)
    assert (denied.status_code, denied.json()["code"]) == (401, "session_revoked")
    assert (await client.get("/me", headers=kept.headers)).status_code == 200


async def test_the_fast_lane_checks_the_session_too(client: httpx.AsyncClient) -> None:
    """Holds, queue joins and polls skip FastAPI's dependencies: the same 401 there."""
    account = await signed_up(client, "ana@example.com")
    hold = {"kind": "ga", "area_id": "floor", "quantity": 1}
    calls = [
        ("GET", "/waitingroom/events/evt_none/status", None),
        ("POST", "/waitingroom/events/evt_none/challenge", None),
        ("POST", "/events/evt_none/holds", hold),
    ]
    for method, url, body in calls:
        live = await client.request(method, url, json=body, headers=account.headers)
        assert live.status_code != 401, (url, live.text)
    await client.post("/auth/logout", headers=account.headers)
    for method, url, body in calls:
        denied = await client.request(method, url, json=body, headers=account.headers)
        assert (denied.status_code, denied.json()["code"]) == (401, "session_revoked"), url


async def test_an_open_event_stream_ends_with_its_session(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A status stream opened before the logout stops at its next chunk."""
    account = await signed_up(client, "ana@example.com")
    access: Access = app.state.services.access
    principal: Principal = app.state.services.token_codec.verify(account.access_token)
    logged_out = asyncio.Event()

    async def chunks() -> AsyncIterator[str]:
        yield "first"
        await logged_out.wait()
        yield "after the logout"

    stream = access.while_signed_in(principal, chunks())
    assert await anext(stream) == "first"
    assert (await client.post("/auth/logout", headers=account.headers)).status_code == 204
    logged_out.set()
    assert [chunk async for chunk in stream] == []
