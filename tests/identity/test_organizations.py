from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import FastAPI

from tests.catalog.conftest import event_payload, small_venue
from tests.identity.conftest import Account, relogin, signed_up
from ticketsafe.identity.models import GateGrant
from ticketsafe.identity.organizations import OrganizationService
from ticketsafe.identity.principal import Role
from ticketsafe.identity.repository import IdentityRepository
from ticketsafe.infra.resources import Resources


def _service(app: FastAPI, resources: Resources) -> OrganizationService:
    service: OrganizationService = app.state.services.organizations
    return service


async def _event(client: httpx.AsyncClient, owner: Account, org_id: str) -> str:
    """An event of `org_id`, made by its owner (acting at once, with the same token)."""
    venue = await client.post(
        f"/organizations/{org_id}/venues", json=small_venue(), headers=owner.headers
    )
    assert venue.status_code == 201, venue.text
    event = await client.post(
        f"/organizations/{org_id}/events", json=event_payload(venue.json()["id"]),
        headers=owner.headers,
    )  # fmt: skip
    assert event.status_code == 201, event.text
    return str(event.json()["id"])


async def _org(client: httpx.AsyncClient, owner: Account, name: str = "Casa de Shows") -> str:
    response = await client.post("/organizations", headers=owner.headers, json={"name": name})
    assert response.status_code == 201, response.text
    org_id: str = response.json()["id"]
    return org_id


async def test_creator_owns_the_new_organization(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    response = await client.post("/organizations", headers=owner.headers, json={"name": "Arena"})
    assert response.status_code == 201
    assert response.json()["my_role"] == "owner"


async def test_fresh_token_carries_organizer_role_and_org(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    org_id = await _org(client, owner)
    me = await client.get("/me", headers=(await relogin(client, owner)).headers)
    assert "organizer" in me.json()["roles"]
    assert me.json()["org_ids"] == [org_id]


async def test_list_mine_shows_only_my_organizations(client: httpx.AsyncClient) -> None:
    ana = await signed_up(client, "ana@example.com")
    bob = await signed_up(client, "bob@example.com")
    mine = await _org(client, ana, "Ana Produções")
    await _org(client, bob, "Bob Eventos")
    listed = await client.get("/organizations", headers=ana.headers)
    assert [o["id"] for o in listed.json()] == [mine]


async def test_owner_adds_member_by_email(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    staff = await signed_up(client, "staff@example.com")
    org_id = await _org(client, owner)
    added = await client.post(
        f"/organizations/{org_id}/members",
        headers=owner.headers,
        json={"email": "staff@example.com"},
    )
    assert added.status_code == 201
    members = await client.get(f"/organizations/{org_id}/members", headers=staff.headers)
    assert {m["user_id"] for m in members.json()} == {owner.user_id, staff.user_id}


async def test_adding_unknown_email_is_not_found(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    org_id = await _org(client, owner)
    added = await client.post(
        f"/organizations/{org_id}/members", headers=owner.headers, json={"email": "x@example.com"}
    )
    assert added.status_code == 404


async def test_plain_member_cannot_add_members(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    member = await signed_up(client, "member@example.com")
    await signed_up(client, "third@example.com")
    org_id = await _org(client, owner)
    await client.post(
        f"/organizations/{org_id}/members",
        headers=owner.headers,
        json={"email": "member@example.com"},
    )
    attempt = await client.post(
        f"/organizations/{org_id}/members",
        headers=member.headers,
        json={"email": "third@example.com"},
    )
    assert attempt.status_code == 403


async def test_removed_member_loses_access_at_once(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    member = await signed_up(client, "member@example.com")
    org_id = await _org(client, owner)
    await client.post(
        f"/organizations/{org_id}/members",
        headers=owner.headers,
        json={"email": "member@example.com"},
    )
    member = await relogin(client, member)  # token lists the organization
    removed = await client.delete(
        f"/organizations/{org_id}/members/{member.user_id}", headers=owner.headers
    )
    assert removed.status_code == 204
    assert (await client.get(f"/organizations/{org_id}", headers=member.headers)).status_code == 404


async def test_last_owner_cannot_leave(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    org_id = await _org(client, owner)
    response = await client.delete(
        f"/organizations/{org_id}/members/{owner.user_id}", headers=owner.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "last_owner"


async def test_gate_staff_grant_gives_role_and_is_listed(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    staff = await signed_up(client, "gate@example.com")
    org_id = await _org(client, owner)
    event_id = await _event(client, owner, org_id)
    granted = await client.post(
        f"/organizations/{org_id}/gate-staff",
        headers=owner.headers,
        json={"event_id": event_id, "user_id": staff.user_id},
    )
    assert granted.status_code == 201
    listed = await client.get(f"/organizations/{org_id}/gate-staff", headers=owner.headers)
    grants = [(g["event_id"], g["user_id"]) for g in listed.json()["items"]]
    assert grants == [(event_id, staff.user_id)]
    me = await client.get("/me", headers=(await relogin(client, staff)).headers)
    assert "gate_staff" in me.json()["roles"]


async def test_revoked_gate_grant_disappears(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    staff = await signed_up(client, "gate@example.com")
    org_id = await _org(client, owner)
    event_id = await _event(client, owner, org_id)
    await client.post(
        f"/organizations/{org_id}/gate-staff",
        headers=owner.headers,
        json={"event_id": event_id, "user_id": staff.user_id},
    )
    revoked = await client.delete(
        f"/organizations/{org_id}/gate-staff/{event_id}/{staff.user_id}", headers=owner.headers
    )
    assert revoked.status_code == 204
    listed = await client.get(f"/organizations/{org_id}/gate-staff", headers=owner.headers)
    assert listed.json() == {"items": [], "next_cursor": None}


async def test_gate_staff_pages_with_a_cursor(client: httpx.AsyncClient) -> None:
    owner = await signed_up(client, "owner@example.com")
    org_id = await _org(client, owner)
    event_id = await _event(client, owner, org_id)
    staff = [await signed_up(client, f"gate{n}@example.com") for n in range(3)]
    for person in staff:
        body = {"event_id": event_id, "user_id": person.user_id}
        await client.post(f"/organizations/{org_id}/gate-staff", headers=owner.headers, json=body)
    url, seen, cursor = f"/organizations/{org_id}/gate-staff", [], None
    for _ in range(2):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(url, params=params, headers=owner.headers)).json()
        seen += [g["user_id"] for g in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert sorted(seen) == sorted(p.user_id for p in staff)
    bad = await client.get(url, params={"cursor": "x"}, headers=owner.headers)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_grant_from_another_org_does_not_admit_to_this_orgs_event(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    ana = await signed_up(client, "ana@example.com")
    bob = await signed_up(client, "bob@example.com")
    staff = await signed_up(client, "gate@example.com")
    ana_org, bob_org = await _org(client, ana), await _org(client, bob)
    anas_event = await _event(client, ana, ana_org)
    for event_id in (anas_event, "evt_nowhere"):  # nested ids must belong to the path's org
        body = {"event_id": event_id, "user_id": staff.user_id}
        squat = await client.post(
            f"/organizations/{bob_org}/gate-staff", headers=bob.headers, json=body
        )
        assert (squat.status_code, squat.json()["code"]) == (404, "event_not_found")
    listed = await client.get(f"/organizations/{bob_org}/gate-staff", headers=bob.headers)
    assert listed.json() == {"items": [], "next_cursor": None}
    orgs = _service(app, resources)
    assert not await orgs.is_gate_staff(staff.user_id, anas_event, ana_org)
    # A grant stored before grants were checked (or written around the API) is still
    # worthless: it counts only with the organization that owns the event.
    await orgs.repo.grant_gate(
        GateGrant(bob_org, anas_event, staff.user_id, bob.user_id, datetime.now(UTC))
    )
    assert not await orgs.is_gate_staff(staff.user_id, anas_event, ana_org)


async def test_granted_staff_may_scan_the_orgs_event(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    owner = await signed_up(client, "owner@example.com")
    staff = await signed_up(client, "gate@example.com")
    org_id = await _org(client, owner)
    event_id = await _event(client, owner, org_id)
    granted = await client.post(
        f"/organizations/{org_id}/gate-staff",
        headers=owner.headers,
        json={"event_id": event_id, "user_id": staff.user_id},
    )
    assert granted.status_code == 201, granted.text
    orgs = _service(app, resources)
    assert await orgs.is_gate_staff(staff.user_id, event_id, org_id)
    assert not await orgs.is_gate_staff(staff.user_id, "evt_2", org_id)


async def test_platform_admin_reaches_any_organization(
    client: httpx.AsyncClient, app: FastAPI, resources: Resources
) -> None:
    owner = await signed_up(client, "owner@example.com")
    admin = await signed_up(client, "admin@example.com")
    org_id = await _org(client, owner)
    await IdentityRepository(resources.db).grant_role(admin.user_id, Role.ADMIN)
    admin = await relogin(client, admin)
    members = await client.get(f"/organizations/{org_id}/members", headers=admin.headers)
    assert members.status_code == 200
    assert [m["user_id"] for m in members.json()] == [owner.user_id]
