"""The public seat map: shape, visibility, cache."""

from __future__ import annotations

import httpx

from tests.catalog.conftest import Headers, create_event, create_venue, move
from ticketsafe.catalog.venues.repository import CHUNKS
from ticketsafe.infra.resources import Resources


async def test_published_seat_map_is_public(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    r = await client.get(f"/events/{event_id}/seat-map")
    assert r.status_code == 200
    body = r.json()
    assert body["currency"] == "BRL"
    assert [p["id"] for p in body["price_levels"]] == ["p1", "p2", "p3"]
    assert len(body["seats"]) == 14
    assert body["seats"][12] == {
        "seat_id": "VIP:r-1:s-1",
        "section_id": "VIP",
        "row_label": "1",
        "seat_label": "1",
        "order": 0,
        "x": 0.0,
        "y": 10.0,
        "category": "vip",
        "price_level_id": "p2",
        "accessibility": ["wheelchair"],
        "blocked": False,
    }
    assert body["ga_areas"] == [
        {"area_id": "pista", "name": "Pista", "capacity": 100, "price_level_id": "p3"}
    ]


async def test_draft_seat_map_only_for_its_organizers(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    assert (await client.get(f"/events/{event_id}/seat-map")).status_code == 404
    assert (await client.get(f"/events/{event_id}/seat-map", headers=org_a)).status_code == 200


async def test_published_seat_map_is_cached(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    first = (await client.get(f"/events/{event_id}/seat-map")).json()
    await resources.db[CHUNKS].delete_many({"venue_id": venue_id})  # behind the API's back
    assert (await client.get(f"/events/{event_id}/seat-map")).json() == first
