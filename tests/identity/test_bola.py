"""Every object endpoint, tried across tenants: an outsider (signed in, other organization)
gets 404 and no data; a plain member gets 403 on owner-only changes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.identity.conftest import Account, signed_up


@dataclass
class World:
    owner: Account
    member: Account
    outsider: Account
    org_id: str
    outsider_org: str


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    owner = await signed_up(client, "owner@example.com")
    member = await signed_up(client, "member@example.com")
    outsider = await signed_up(client, "outsider@example.com")
    org = await client.post("/organizations", headers=owner.headers, json={"name": "Arena A"})
    other = await client.post("/organizations", headers=outsider.headers, json={"name": "Arena B"})
    org_id = org.json()["id"]
    await client.post(
        f"/organizations/{org_id}/members",
        headers=owner.headers,
        json={"email": "member@example.com"},
    )
    await client.post(
        f"/organizations/{org_id}/gate-staff",
        headers=owner.headers,
        json={"event_id": "evt_a", "user_id": member.user_id},
    )
    return World(owner, member, outsider, org_id, other.json()["id"])


def _calls(w: World) -> dict[str, tuple[str, str, dict[str, str] | None]]:
    org = w.org_id
    return {
        "get org": ("GET", f"/organizations/{org}", None),
        "list members": ("GET", f"/organizations/{org}/members", None),
        "add member": ("POST", f"/organizations/{org}/members", {"email": "outsider@example.com"}),
        "remove member": ("DELETE", f"/organizations/{org}/members/{w.member.user_id}", None),
        "remove owner": ("DELETE", f"/organizations/{org}/members/{w.owner.user_id}", None),
        "list gate staff": ("GET", f"/organizations/{org}/gate-staff", None),
        "grant gate staff": (
            "POST",
            f"/organizations/{org}/gate-staff",
            {"event_id": "evt_a", "user_id": w.outsider.user_id},
        ),
        "revoke gate staff": (
            "DELETE",
            f"/organizations/{org}/gate-staff/evt_a/{w.member.user_id}",
            None,
        ),
    }


ENDPOINTS = [
    "get org",
    "list members",
    "add member",
    "remove member",
    "remove owner",
    "list gate staff",
    "grant gate staff",
    "revoke gate staff",
]
OWNER_ONLY = ["add member", "remove owner", "grant gate staff", "revoke gate staff"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_outsider_gets_not_found(
    client: httpx.AsyncClient, world: World, endpoint: str
) -> None:
    method, url, body = _calls(world)[endpoint]
    response = await client.request(method, url, headers=world.outsider.headers, json=body)
    assert response.status_code == 404
    assert world.org_id not in response.text
    assert world.owner.user_id not in response.text


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_anonymous_gets_unauthenticated(
    client: httpx.AsyncClient, world: World, endpoint: str
) -> None:
    method, url, body = _calls(world)[endpoint]
    assert (await client.request(method, url, json=body)).status_code == 401


@pytest.mark.parametrize("endpoint", OWNER_ONLY)
async def test_plain_member_refused_owner_changes(
    client: httpx.AsyncClient, world: World, endpoint: str
) -> None:
    method, url, body = _calls(world)[endpoint]
    response = await client.request(method, url, headers=world.member.headers, json=body)
    assert response.status_code == 403


async def test_outsiders_own_org_list_excludes_other_tenant(
    client: httpx.AsyncClient, world: World
) -> None:
    listed = await client.get("/organizations", headers=world.outsider.headers)
    assert [o["id"] for o in listed.json()] == [world.outsider_org]


async def test_me_shows_only_the_callers_profile(client: httpx.AsyncClient, world: World) -> None:
    me = await client.get("/me", headers=world.outsider.headers)
    assert me.json()["id"] == world.outsider.user_id
    assert "owner@example.com" not in me.text


async def test_outsider_cannot_reach_org_by_forged_token_claim(
    client: httpx.AsyncClient, world: World
) -> None:
    """Access is checked against memberships, not the org list a token claims."""
    from ticketsafe.identity.principal import Principal, Role  # noqa: PLC0415

    codec = client._transport.app.state.services.token_codec  # type: ignore[attr-defined]
    forged = codec.issue(
        Principal(world.outsider.user_id, frozenset({Role.ORGANIZER}), (world.org_id,))
    )
    response = await client.get(
        f"/organizations/{world.org_id}/members", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 404
