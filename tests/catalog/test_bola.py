"""Cross-tenant access (BOLA): every catalog object endpoint, tried by an organizer of
another organization, by a buyer and anonymously, answers 404/403/401, never data, and
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.catalog.conftest import (
    ORG_A,
    ORG_B,
    Headers,
    create_event,
    create_venue,
    event_payload,
    reserved,
    small_venue,
)


@dataclass(frozen=True)
class Target:
    venue_id: str
    draft_id: str
    published_id: str


@dataclass(frozen=True)
class Call:
    method: str
    route: str  # the route template, as FastAPI declares it
    params: dict[str, str]
    json: Any = None
    content: str | None = None

    @property
    def path(self) -> str:
        return self.route.format(**self.params)


@pytest.fixture
async def target(client: httpx.AsyncClient, org_a: Headers) -> Target:
    venue_id = await create_venue(client, org_a)
    draft_id = await create_event(client, org_a, venue_id, name="Segredo")
    published_id = await create_event(client, org_a, venue_id, name="Aberto")
    r = await client.post(
        f"/events/{published_id}/status", json={"status": "published"}, headers=org_a
    )
    assert r.status_code == 200
    return Target(venue_id, draft_id, published_id)


def _calls(t: Target) -> list[Call]:
    csv = "section,row,seat,x,y,category,accessibility,blocked\nX,1,1,0,0,standard,,false\n"
    venue = {"venue_id": t.venue_id}
    draft = {"event_id": t.draft_id}
    published = {"event_id": t.published_id}
    org_a, org_b = {"org_id": ORG_A}, {"org_id": ORG_B}
    new_layout = {"sections": [reserved("X", 1, 1)]}
    return [
        Call("GET", "/venues/{venue_id}", venue),
        Call("GET", "/venues/{venue_id}/layout", venue),
        Call("PUT", "/venues/{venue_id}/layout", venue, json=new_layout),
        Call("GET", "/venues/{venue_id}/seats.csv", venue),
        Call("PUT", "/venues/{venue_id}/seats.csv", venue, content=csv),
        Call("GET", "/organizations/{org_id}/venues", org_a),
        Call("POST", "/organizations/{org_id}/venues", org_a, json=small_venue("Intruso")),
        Call("GET", "/organizations/{org_id}/events", org_a),
        Call("POST", "/organizations/{org_id}/events", org_a, json=event_payload(t.venue_id)),
        Call("POST", "/organizations/{org_id}/events", org_b, json=event_payload(t.venue_id)),
        Call("GET", "/events/{event_id}", draft),
        Call("GET", "/events/{event_id}/seat-map", draft),
        Call("PATCH", "/events/{event_id}", draft, json={"name": "pwned"}),
        Call("PATCH", "/events/{event_id}", published, json={"description": "pwned"}),
        Call("POST", "/events/{event_id}/status", draft, json={"status": "published"}),
        Call("POST", "/events/{event_id}/status", published, json={"status": "cancelled"}),
    ]


CALL_COUNT = 16


async def _attempt(client: httpx.AsyncClient, call: Call, headers: Headers) -> httpx.Response:
    return await client.request(
        call.method, call.path, json=call.json, content=call.content, headers=headers
    )


async def _unchanged(client: httpx.AsyncClient, org_a: Headers, t: Target) -> None:
    events = (await client.get(f"/organizations/{ORG_A}/events", headers=org_a)).json()["items"]
    assert sorted((e["name"], e["status"], e["description"]) for e in events) == [
        ("Aberto", "published", ""),
        ("Segredo", "draft", ""),
    ]
    venue = (await client.get(f"/venues/{t.venue_id}", headers=org_a)).json()
    assert (venue["layout_version"], venue["seat_count"]) == (1, 14)


def _leaks(response: httpx.Response) -> bool:
    secrets = ("Teatro", "Segredo", "Aberto", "Praça", "Setor")
    return any(s in response.text for s in secrets)


@pytest.mark.parametrize("index", range(CALL_COUNT))
async def test_other_organizer_is_refused(
    client: httpx.AsyncClient, org_a: Headers, org_b: Headers, target: Target, index: int
) -> None:
    call = _calls(target)[index]
    r = await _attempt(client, call, org_b)
    assert r.status_code in {403, 404}, (call, r.status_code, r.text)
    assert not _leaks(r)
    await _unchanged(client, org_a, target)


@pytest.mark.parametrize("index", range(CALL_COUNT))
async def test_buyer_member_without_role_is_refused(
    client: httpx.AsyncClient, org_a: Headers, buyer: Headers, target: Target, index: int
) -> None:
    call = _calls(target)[index]
    r = await _attempt(client, call, buyer)
    assert r.status_code in {403, 404}, (call, r.status_code, r.text)
    assert not _leaks(r)
    await _unchanged(client, org_a, target)


@pytest.mark.parametrize("index", range(CALL_COUNT))
async def test_anonymous_is_refused(
    client: httpx.AsyncClient, org_a: Headers, target: Target, index: int
) -> None:
    call = _calls(target)[index]
    r = await _attempt(client, call, {})
    assert r.status_code in {401, 404}, (call, r.status_code, r.text)
    assert not _leaks(r)
    await _unchanged(client, org_a, target)


def test_call_list_covers_every_catalog_route(app: FastAPI) -> None:
    tried = {(c.method, c.route) for c in _calls(Target("v", "d", "p"))}
    assert len(_calls(Target("v", "d", "p"))) == CALL_COUNT
    catalog_routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if {"venues", "events"} & set(operation.get("tags", []))
    }
    public_listing = {("GET", "/events")}
    assert catalog_routes - public_listing == tried


async def test_public_reads_only_published(
    client: httpx.AsyncClient, org_b: Headers, target: Target
) -> None:
    assert (await client.get(f"/events/{target.published_id}", headers=org_b)).status_code == 200
    assert (await client.get(f"/events/{target.draft_id}", headers=org_b)).status_code == 404
