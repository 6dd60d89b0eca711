"""Public listing and search: visibility, filters, cursor pagination, Redis cache."""

from __future__ import annotations

import httpx

from tests.catalog.conftest import Headers, create_event, create_venue, move, small_venue
from ticketsafe.catalog.events.repository import EVENTS
from ticketsafe.infra.resources import Resources


async def _listed(client: httpx.AsyncClient, **params: str | int) -> list[str]:
    r = await client.get("/events", params=params)
    assert r.status_code == 200, r.text
    return [e["name"] for e in r.json()["items"]]


async def test_drafts_are_not_listed(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    await create_event(client, org_a, venue_id, name="Rascunho")
    shown = await create_event(client, org_a, venue_id, name="Publicado")
    await move(client, org_a, shown, "published")
    assert await _listed(client) == ["Publicado"]


async def test_draft_is_404_for_the_public(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    r = await client.get(f"/events/{event_id}")
    assert r.status_code == 404
    assert (await client.get(f"/events/{event_id}", headers=org_a)).status_code == 200


async def test_search_by_text_city_and_dates(client: httpx.AsyncClient, org_a: Headers) -> None:
    rio = await create_venue(client, org_a, small_venue(name="Vivo Rio", city="Rio de Janeiro"))
    sp = await create_venue(client, org_a, small_venue(name="Allianz", city="São Paulo"))
    for venue_id, name, days in [
        (rio, "Samba Night", 10),
        (sp, "Rock Fest", 20),
        (sp, "Samba SP", 40),
    ]:
        await move(
            client,
            org_a,
            await create_event(client, org_a, venue_id, name=name, days=days),
            "published",
        )
    assert await _listed(client, q="samba") == ["Samba Night", "Samba SP"]
    assert await _listed(client, q="allianz") == ["Rock Fest", "Samba SP"]
    assert await _listed(client, city="são paulo") == ["Rock Fest", "Samba SP"]
    assert await _listed(
        client, starts_from="2030-01-15T00:00:00Z", starts_until="2030-02-01T00:00:00Z"
    ) == ["Rock Fest"]
    assert await _listed(client, q="a.*b") == []  # text is matched literally, not as a regex


async def test_cursor_walks_every_event_once(client: httpx.AsyncClient, org_a: Headers) -> None:
    venue_id = await create_venue(client, org_a)
    names = []
    for i in range(13):
        name = f"Show {i:02d}"
        names.append(name)
        # Some share a start time: the id breaks ties, so none is skipped or repeated.
        event_id = await create_event(client, org_a, venue_id, name=name, days=i // 3)
        await move(client, org_a, event_id, "published")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/events", params=params)).json()
        seen += [e["name"] for e in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == names
    assert len(seen) == len(set(seen))


async def test_bad_cursor_is_400(client: httpx.AsyncClient) -> None:
    r = await client.get("/events", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_cursor"


async def test_listing_is_served_from_cache(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id, name="Antes")
    await move(client, org_a, event_id, "published")
    assert await _listed(client) == ["Antes"]
    # Behind the API's back: a cached answer does not see it.
    await resources.db[EVENTS].update_one({"_id": event_id}, {"$set": {"name": "Escondido"}})
    assert await _listed(client) == ["Antes"]


async def test_change_through_api_invalidates_listing(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id, name="Show")
    await move(client, org_a, event_id, "published")
    assert await _listed(client) == ["Show"]
    await move(client, org_a, event_id, "cancelled")
    assert await _listed(client) == []


async def test_publishing_shows_up_in_cached_listing(
    client: httpx.AsyncClient, org_a: Headers
) -> None:
    venue_id = await create_venue(client, org_a)
    assert await _listed(client) == []
    event_id = await create_event(client, org_a, venue_id, name="Novo")
    await move(client, org_a, event_id, "published")
    assert await _listed(client) == ["Novo"]


async def test_public_event_cache_invalidated_on_edit(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id)
    await move(client, org_a, event_id, "published")
    assert (await client.get(f"/events/{event_id}")).json()["description"] == ""
    await resources.db[EVENTS].update_one({"_id": event_id}, {"$set": {"description": "raw"}})
    assert (await client.get(f"/events/{event_id}")).json()["description"] == ""
    r = await client.patch(f"/events/{event_id}", json={"description": "nova"}, headers=org_a)
    assert r.status_code == 200
    assert (await client.get(f"/events/{event_id}")).json()["description"] == "nova"


async def test_listing_rebuilt_after_redis_flush(
    client: httpx.AsyncClient, org_a: Headers, resources: Resources
) -> None:
    venue_id = await create_venue(client, org_a)
    event_id = await create_event(client, org_a, venue_id, name="Show")
    await move(client, org_a, event_id, "published")
    assert await _listed(client) == ["Show"]
    await resources.redis.flushdb()
    assert await _listed(client) == ["Show"]
